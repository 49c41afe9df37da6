#include "hnn/data/png.h"

#include <torch/torch.h>

#include <cstdlib>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::data {
namespace {

uint32_t be32(const std::string& b, size_t at) {
  auto c = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])); };
  return c(0) << 24 | c(1) << 16 | c(2) << 8 | c(3);
}

uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

}  // namespace

at::Tensor decode_png_gray(const std::string& bytes, const std::string& name) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  HNN_CHECK(bytes.size() >= 8 && bytes.compare(0, 8, kSignature) == 0, "'{}': not a PNG file (bad signature)", name);
  uint32_t width = 0, height = 0, depth = 0, color = 0, interlace = 0;
  std::string idat;
  bool header = false, end = false;
  for (size_t at = 8; at < bytes.size() && !end;) {
    HNN_CHECK(at + 12 <= bytes.size(), "'{}': truncated PNG chunk at byte {}", name, at);
    const uint32_t len = be32(bytes, at);
    HNN_CHECK(uint64_t(at) + 12 + len <= bytes.size(), "'{}': truncated PNG chunk at byte {}", name, at);
    const std::string type = bytes.substr(at + 4, 4);
    HNN_CHECK(crc32_of(bytes.substr(at + 4, 4 + len)) == be32(bytes, at + 8 + len), "'{}': CRC mismatch in chunk {}",
              name, type);
    if (type == "IHDR") {
      HNN_CHECK(len == 13, "'{}': bad IHDR length {}", name, len);
      width = be32(bytes, at + 8);
      height = be32(bytes, at + 12);
      depth = static_cast<unsigned char>(bytes[at + 16]);
      color = static_cast<unsigned char>(bytes[at + 17]);
      interlace = static_cast<unsigned char>(bytes[at + 20]);
      header = true;
    } else if (type == "IDAT") {
      idat += bytes.substr(at + 8, len);
    } else if (type == "IEND") {
      end = true;
    }
    at += 12 + len;
  }
  HNN_CHECK(header && end && !idat.empty(), "'{}': incomplete PNG (IHDR, IDAT or IEND missing)", name);
  HNN_CHECK(color == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16) && interlace == 0,
            "'{}': only non-interlaced grayscale PNGs are supported (colour type {}, depth {}, interlace {})", name,
            color, depth, interlace);
  HNN_CHECK(width > 0 && height > 0 && width <= 65536 && height <= 65536, "'{}': bad size {} x {}", name, width,
            height);
  const size_t stride = (size_t(width) * depth + 7) / 8, bpp = depth == 16 ? 2 : 1;
  // The image data inflates to exactly one filter byte and `stride` bytes a row: no more is read
  // (a few compressed bytes can claim gigabytes).
  const std::string raw = inflate_bytes(idat, Compressed::Zlib, name, (stride + 1) * height);
  HNN_CHECK(raw.size() >= (stride + 1) * height, "'{}': image data too short ({} bytes for {} x {})", name, raw.size(),
            width, height);
  std::vector<uint8_t> prev(stride, 0), line(stride);
  auto out = torch::empty({int64_t(height), int64_t(width)}, torch::kUInt8);
  uint8_t* px = out.data_ptr<uint8_t>();
  for (uint32_t y = 0; y < height; ++y) {
    const size_t row = y * (stride + 1);
    const int filter = static_cast<unsigned char>(raw[row]);
    HNN_CHECK(filter <= 4, "'{}': bad filter type {} in row {}", name, filter, y);
    for (size_t i = 0; i < stride; ++i) {
      const int x = static_cast<unsigned char>(raw[row + 1 + i]);
      const int a = i >= bpp ? line[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      int v = x;
      if (filter == 1) v = x + a;
      if (filter == 2) v = x + b;
      if (filter == 3) v = x + (a + b) / 2;
      if (filter == 4) v = x + paeth(a, b, c);
      line[i] = static_cast<uint8_t>(v & 0xff);
    }
    for (uint32_t x = 0; x < width; ++x) {
      uint32_t v;
      if (depth == 8) {
        v = line[x];
      } else if (depth == 16) {
        v = line[2 * x];  // the high byte
      } else {
        const uint32_t per = 8 / depth, shift = 8 - depth * (x % per + 1), max = (1u << depth) - 1;
        v = ((line[x / per] >> shift) & max) * 255 / max;
      }
      px[size_t(y) * width + x] = static_cast<uint8_t>(v);
    }
    std::swap(prev, line);
  }
  return out;
}

}  // namespace hnn::data
