#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/data/omniglot.h"
#include "hnn/data/png.h"
#include "hnn/data/zip.h"
#include "test_util.h"

using namespace hnn;
using namespace hnn::data;

namespace {

TEST(Zip, ReadsTheOmniglotArchive) {
  HNN_REQUIRE_DATA("omniglot/images_background_small1.zip", path);
  ZipArchive zip(path);
  EXPECT_GT(zip.names().size(), 2720u);
  const std::string first = "images_background_small1/Balinese/character01/0108_01.png";
  ASSERT_TRUE(zip.contains(first));
  auto png = zip.read(first);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  auto img = decode_png_gray(png, first);
  EXPECT_EQ(img.sizes(), torch::IntArrayRef({105, 105}));
  // Binary drawings: white background (255) with some black ink (0).
  EXPECT_EQ(std::get<0>(at::_unique(img)).numel(), 2);
  const double ink = img.eq(0).to(torch::kDouble).mean().item<double>();
  EXPECT_GT(ink, 0.01);
  EXPECT_LT(ink, 0.3);
  EXPECT_THROW(zip.read("nope.png"), Error);
}

TEST(Zip, CorruptArchivesRaise) {
  HNN_REQUIRE_DATA("omniglot/all_runs.zip", path);
  const std::string bytes = read_file(path);
  const std::string dir = testing::TempDir();
  write_file_atomically(dir + "/trunc.zip", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(ZipArchive(dir + "/trunc.zip"), Error);
  write_file_atomically(dir + "/short.zip", "PK");
  EXPECT_THROW(ZipArchive(dir + "/short.zip"), Error);
  // A flipped byte inside the first PNG's data: inflate or the CRC check catches it.
  ZipArchive ok(path);
  std::string flipped = bytes;
  const size_t at = bytes.find("item01.png");
  ASSERT_NE(at, std::string::npos);
  flipped[at + 40] = static_cast<char>(flipped[at + 40] ^ 0x5a);
  write_file_atomically(dir + "/flip.zip", flipped);
  ZipArchive bad(dir + "/flip.zip");
  EXPECT_THROW(bad.read("run01/test/item01.png"), Error);
  EXPECT_THROW(ZipArchive(dir + "/missing.zip"), Error);
}

TEST(Png, BadInputRaises) {
  EXPECT_THROW(decode_png_gray("not a png", "x"), Error);
  EXPECT_THROW(decode_png_gray(std::string("\x89PNG\r\n\x1a\n", 8), "x"), Error);
}

TEST(Omniglot, LoadsCharactersResized) {
  HNN_REQUIRE_DATA("omniglot/images_background_small1.zip", path);
  auto set = load_omniglot(path, 31);
  EXPECT_EQ(set.images.sizes(), torch::IntArrayRef({136, 20, 1, 31, 31}));
  EXPECT_EQ(set.classes.size(), 136u);
  EXPECT_EQ(set.classes[0], "Balinese/character01");
  const double mean = set.images.mean().item<double>();  // the references normalise with mean 0.9195
  EXPECT_GT(mean, 0.85);
  EXPECT_LT(mean, 0.97);
  EXPECT_GE(set.images.min().item<double>(), 0);
  EXPECT_LE(set.images.max().item<double>(), 1);
}

TEST(Omniglot, OneShotRuns) {
  HNN_REQUIRE_DATA("omniglot/all_runs.zip", path);
  auto runs = load_one_shot_runs(path, 28);
  ASSERT_EQ(runs.size(), 20u);
  for (const auto& r : runs) {
    EXPECT_EQ(r.train.sizes(), torch::IntArrayRef({20, 1, 28, 28}));
    EXPECT_EQ(r.test.sizes(), torch::IntArrayRef({20, 1, 28, 28}));
    EXPECT_EQ(std::set<int64_t>(r.answer.begin(), r.answer.end()).size(), 20u);  // a permutation
  }
}

}  // namespace
