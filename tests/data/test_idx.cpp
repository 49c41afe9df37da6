// IDX files: round trip (plain and gzip), the real Fashion-MNIST files, and corrupt copies
// (truncated, wrong magic, unknown type, absurd sizes): a clear hnn::Error, never a crash.
#include <unistd.h>
#include <zlib.h>

#include <cstdio>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/data/idx.h"
#include "test_util.h"

using namespace hnn::data;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_idx_" + std::to_string(getpid()) + "_" + name;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_idx(bytes, "bad.idx");
  } catch (const hnn::Error& e) {
    return e.what();
  }
  return "no error";
}

std::string header(uint8_t type, std::vector<uint32_t> dims) {
  std::string h = {0, 0, (char)type, (char)dims.size()};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back((char)((d >> s) & 0xff));
  return h;
}

}  // namespace

TEST(Idx, RoundTripsPlainAndGzip) {
  auto t = torch::randint(0, 256, {5, 3, 4}, torch::kLong).to(torch::kUInt8);
  auto path = temp_path("x.idx");
  write_idx(path, t);
  EXPECT_TRUE(torch::equal(read_idx(path), t));
  EXPECT_TRUE(torch::equal(read_idx(path, 2), t.slice(0, 0, 2)));
  // gzip of the same bytes reads the same
  std::string raw = hnn::read_file(path);
  gzFile gz = gzopen((path + ".gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, raw.data(), (unsigned)raw.size());
  gzclose(gz);
  EXPECT_TRUE(torch::equal(read_idx(path + ".gz"), t));
  EXPECT_THROW(write_idx(temp_path("f.idx"), torch::zeros({2})), hnn::Error);  // float: unsupported
}

TEST(Idx, CorruptFilesAreClearErrors) {
  std::string good = header(0x08, {2, 3}) + std::string(6, '\x07');
  EXPECT_EQ(parse_idx(good, "good").sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_NE(error_of("").find("too short"), std::string::npos);
  EXPECT_NE(error_of(std::string("\x01\x00\x08\x01", 4)).find("magic"), std::string::npos);
  EXPECT_NE(error_of(header(0x07, {2})).find("data type"), std::string::npos);
  EXPECT_NE(error_of(std::string("\0\0\x08\x09", 4)).find("rank"), std::string::npos);
  EXPECT_NE(error_of(header(0x08, {2, 3}).substr(0, 9)).find("truncated IDX header"), std::string::npos);
  EXPECT_NE(error_of(good.substr(0, good.size() - 1)).find("truncated IDX data"), std::string::npos);
  EXPECT_NE(error_of(header(0x08, {0xffffffffu, 0xffffffffu})).find("absurd"), std::string::npos);
  EXPECT_NE(error_of(header(0x08, {2, 3})).find("bad.idx"), std::string::npos);
  // Flipped bytes anywhere in a valid file: an error or a tensor, never a crash.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string b = good;
    b[i] = (char)(b[i] ^ 0xff);
    try {
      parse_idx(b, "flipped");
    } catch (const hnn::Error&) {
    }
  }
  EXPECT_THROW(read_idx(temp_path("missing.idx")), hnn::Error);
}

TEST(Idx, ReadsFashionMnist) {
  std::string dir;
  try {
    dir = fashion_mnist_dir();
  } catch (const hnn::Error& e) {
    GTEST_SKIP() << e.what();
  }
  auto set = load_image_set(dir, "t10k", 100);
  EXPECT_EQ(set.images.sizes(), (std::vector<int64_t>{100, 1, 28, 28}));
  EXPECT_EQ(set.labels.sizes(), (std::vector<int64_t>{100}));
  EXPECT_GE(set.images.min().item<float>(), 0.f);
  EXPECT_LE(set.images.max().item<float>(), 1.f);
  EXPECT_LT(set.labels.max().item<int64_t>(), 10);
}

namespace {

// Lowers the process-wide limit on decompressed bytes for one test.
struct InflateLimit {
  explicit InflateLimit(size_t n) : old(hnn::max_inflated_bytes()) { hnn::set_max_inflated_bytes(n); }
  ~InflateLimit() { hnn::set_max_inflated_bytes(old); }
  size_t old;
};

std::string gzip_of(const std::string& raw) {
  const std::string path = temp_path("bomb.gz");
  gzFile gz = gzopen(path.c_str(), "wb9");
  EXPECT_NE(gz, nullptr);
  gzwrite(gz, raw.data(), (unsigned)raw.size());
  gzclose(gz);
  return path;
}

}  // namespace

// Hostile input: a header's sizes are claims, never allocated before they are checked.
TEST(Idx, HugeSizeInHeaderIsRefused) {
  // 2^31 x 2^31 bytes: refused at once.
  EXPECT_NE(error_of(header(0x08, {1u << 31, 1u << 31})).find("absurd"), std::string::npos);
  // 512 GiB, below the absurd bound: refused against the file's size, no allocation.
  const std::string e = error_of(header(0x08, {1u << 20, 1u << 19}) + "xx");
  EXPECT_NE(e.find("truncated IDX data"), std::string::npos) << e;
  EXPECT_NE(e.find("bad.idx"), std::string::npos) << e;
  // A gzip bomb: 8 MiB of zeros in an 8 KiB file, read under a 1 MiB limit.
  const std::string bomb = gzip_of(header(0x08, {8u << 20}) + std::string(8u << 20, '\0'));
  InflateLimit limit(1u << 20);
  try {
    read_idx(bomb);
    ADD_FAILURE() << "no error";
  } catch (const hnn::Error& err) {
    const std::string m = err.what();
    EXPECT_NE(m.find(bomb), std::string::npos) << m;
    EXPECT_NE(m.find("more than 1048576 bytes"), std::string::npos) << m;
  }
  std::remove(bomb.c_str());
}

// Concatenated gzip members (what `cat a.gz b.gz` makes) decode to both members, in order.
TEST(Idx, ConcatenatedGzipMembersKeepEveryByte) {
  std::string a(300000, 'a'), b(5000, 'b');
  const std::string pa = gzip_of(a), ga = hnn::read_file(pa);
  const std::string pb = gzip_of(b), gb = hnn::read_file(pb);
  EXPECT_EQ(hnn::inflate_bytes(ga + gb, hnn::Compressed::Gzip, "two.gz"), a + b);
  // An explicit limit applies to the sum of the members.
  EXPECT_THROW(hnn::inflate_bytes(ga + gb, hnn::Compressed::Gzip, "two.gz", a.size()), hnn::Error);
  EXPECT_EQ(hnn::inflate_bytes(ga + gb, hnn::Compressed::Gzip, "two.gz", a.size() + b.size()).size(),
            a.size() + b.size());
  std::remove(pa.c_str());
}
