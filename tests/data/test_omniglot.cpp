#include <gtest/gtest.h>
#include <torch/torch.h>

#include <zlib.h>

#include <functional>
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

namespace {

std::string le16(uint32_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)};
}
std::string le32(uint32_t v) {
  return le16(v & 0xffff) + le16(v >> 16);
}
std::string be32(uint32_t v) {
  std::string s;
  for (int i = 24; i >= 0; i -= 8) s += static_cast<char>((v >> i) & 0xff);
  return s;
}

// A ZIP archive of one deflated entry "a" whose central directory claims `size` bytes.
std::string zip_claiming(uint32_t size) {
  const std::string data = std::string("\x03\x00", 2);  // an empty deflate stream
  std::string local = le32(0x04034b50) + le16(20) + le16(0) + le16(8) + le32(0) + le32(0) + le32(data.size()) +
                      le32(size) + le16(1) + le16(0) + "a" + data;
  std::string central = le32(0x02014b50) + le16(20) + le16(20) + le16(0) + le16(8) + le32(0) + le32(0) +
                        le32(data.size()) + le32(size) + le16(1) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) +
                        le32(0) + "a";
  std::string eocd =
      le32(0x06054b50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(central.size()) + le32(local.size()) + le16(0);
  return local + central + eocd;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(data.size()) + type + data + be32(crc32_of(type + data));
}

std::string png_of(uint32_t width, uint32_t height, const std::string& pixels) {
  std::string z(compressBound(pixels.size()), '\0');
  uLongf n = z.size();
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(pixels.data()),
                      pixels.size(), 9),
            Z_OK);
  z.resize(n);
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x00\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", z) + png_chunk("IEND", "");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

// Hostile input: an entry that claims 4 GiB is refused before anything is inflated; one whose
// stream inflates past its claimed size stops there.
TEST(Zip, HugeSizeInHeaderIsRefused) {
  const std::string dir = testing::TempDir();
  write_file_atomically(dir + "/huge.zip", zip_claiming(0xffffffffu));
  ZipArchive huge(dir + "/huge.zip");
  std::string e = error_of([&] { huge.read("a"); });
  EXPECT_NE(e.find("huge.zip:a"), std::string::npos) << e;
  EXPECT_NE(e.find("claims 4294967295 bytes"), std::string::npos) << e;
  write_file_atomically(dir + "/small.zip", zip_claiming(0));
  EXPECT_EQ(ZipArchive(dir + "/small.zip").read("a"), "");
}

TEST(Png, HugeSizeInHeaderIsRefused) {
  // Width 2^31: refused from the header.
  std::string e = error_of([] { decode_png_gray(png_of(1u << 31, 1, std::string(2, '\0')), "wide.png"); });
  EXPECT_NE(e.find("wide.png"), std::string::npos) << e;
  EXPECT_NE(e.find("bad size"), std::string::npos) << e;
  // A 4x4 image whose data inflates to 4 MiB: inflating stops at the 20 bytes the header allows.
  e = error_of([] { decode_png_gray(png_of(4, 4, std::string(4u << 20, '\0')), "bomb.png"); });
  EXPECT_NE(e.find("bomb.png"), std::string::npos) << e;
  EXPECT_NE(e.find("more than 20 bytes"), std::string::npos) << e;
  // The same image, honest, decodes.
  EXPECT_EQ(decode_png_gray(png_of(4, 4, std::string(20, '\0')), "ok.png").sizes(), (std::vector<int64_t>{4, 4}));
}
