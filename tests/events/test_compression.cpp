// LZ4 / Zstd frames of AEDAT 4 packet bodies: round trips, and caps against bombs and garbage.
#include "events/compression.h"
#include "events_test_util.h"

using namespace hnn::events;
using hnn::events::detail::Codec;

TEST(Compression, RoundTripEveryCodec) {
  std::vector<uint8_t> in(100000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = (uint8_t)((i * i) >> 7);
  Codec codec;
  for (Compression c :
       {Compression::None, Compression::Lz4, Compression::Lz4High, Compression::Zstd, Compression::ZstdHigh}) {
    std::vector<uint8_t> z, out;
    codec.compress(c, in.data(), in.size(), z);
    std::string err;
    ASSERT_TRUE(codec.decompress(c, z.data(), z.size(), out, err)) << err;
    EXPECT_EQ(out, in) << to_string(c);
  }
}

TEST(Compression, GarbageTruncationAndCaps) {
  Codec codec;
  std::vector<uint8_t> zeros(1 << 20, 0), z, out;
  std::string err;
  // Highly compressible bodies still decode (the caps follow the codecs' real maximum ratios).
  for (Compression c : {Compression::Lz4, Compression::Zstd}) {
    codec.compress(c, zeros.data(), zeros.size(), z);
    ASSERT_TRUE(codec.decompress(c, z.data(), z.size(), out, err)) << err;
    EXPECT_EQ(out.size(), zeros.size());
  }
  EXPECT_EQ(Codec::max_decompressed(Compression::Lz4, 1000), 1000u * 256 + 4096);
  EXPECT_EQ(Codec::max_decompressed(Compression::Zstd, 1000), 1000u * 65536 + 4096);
  EXPECT_EQ(Codec::max_decompressed(Compression::Zstd, size_t{1} << 30), size_t{1} << 31);
  // Truncated frames, trailing bytes and garbage are refused with a reason.
  codec.compress(Compression::Lz4, zeros.data(), zeros.size(), z);
  std::vector<uint8_t> cut(z.begin(), z.begin() + (long)z.size() / 2);
  EXPECT_FALSE(codec.decompress(Compression::Lz4, cut.data(), cut.size(), out, err));
  std::vector<uint8_t> extra = z;
  extra.push_back(1);
  EXPECT_FALSE(codec.decompress(Compression::Lz4, extra.data(), extra.size(), out, err));
  EXPECT_NE(err.find("after the end"), std::string::npos) << err;
  codec.compress(Compression::Zstd, zeros.data(), zeros.size(), z);
  std::vector<uint8_t> zcut(z.begin(), z.end() - 2);
  EXPECT_FALSE(codec.decompress(Compression::Zstd, zcut.data(), zcut.size(), out, err));
  std::vector<uint8_t> junk(100, 0xAB);
  EXPECT_FALSE(codec.decompress(Compression::Lz4, junk.data(), junk.size(), out, err));
  EXPECT_FALSE(codec.decompress(Compression::Zstd, junk.data(), junk.size(), out, err));
}

// Hostile input: a Zstd frame header that claims 2^40 bytes of content for a 0-byte body is not
// believed: the buffer is sized from the body's own bound, and the frame is refused.
TEST(Compression, HugeSizeInHeaderIsRefused) {
  // Magic, a header with an 8-byte content size (single segment), 2^40, then one empty last raw block.
  std::vector<uint8_t> frame = {0x28, 0xb5, 0x2f, 0xfd, 0xe0};
  for (int i = 0; i < 8; ++i) frame.push_back(i == 5 ? 0x01 : 0x00);
  frame.insert(frame.end(), {0x01, 0x00, 0x00});
  Codec codec;
  std::vector<uint8_t> out;
  std::string err;
  EXPECT_FALSE(codec.decompress(Compression::Zstd, frame.data(), frame.size(), out, err));
  EXPECT_FALSE(err.empty());
  EXPECT_LE(out.capacity(), Codec::max_decompressed(Compression::Zstd, frame.size()));
}
