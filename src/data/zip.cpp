#include "hnn/data/zip.h"

#include <algorithm>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::data {
namespace {

uint32_t u16(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8;
}
uint32_t u32(const std::string& b, size_t at) {
  return u16(b, at) | u16(b, at + 2) << 16;
}

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : path_(path), bytes_(read_file(path)) {
  const std::string& b = bytes_;
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535.
  HNN_CHECK(b.size() >= 22, "'{}': not a ZIP archive ({} bytes)", path, b.size());
  size_t eocd = std::string::npos;
  const size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
  for (size_t at = b.size() - 22 + 1; at-- > lowest;) {
    if (u32(b, at) == 0x06054b50u) {
      eocd = at;
      break;
    }
  }
  HNN_CHECK(eocd != std::string::npos, "'{}': not a ZIP archive (no end of central directory)", path);
  const uint32_t count = u16(b, eocd + 10), cd_size = u32(b, eocd + 12), cd_offset = u32(b, eocd + 16);
  HNN_CHECK(uint64_t(cd_offset) + cd_size <= eocd, "'{}': central directory at {} (+{}) lies outside the file", path,
            cd_offset, cd_size);
  size_t at = cd_offset;
  for (uint32_t i = 0; i < count; ++i) {
    HNN_CHECK(at + 46 <= eocd && u32(b, at) == 0x02014b50u, "'{}': corrupt central directory entry {} at offset {}",
              path, i, at);
    Entry e;
    e.method = static_cast<uint16_t>(u16(b, at + 10));
    e.crc = u32(b, at + 16);
    e.compressed = u32(b, at + 20);
    e.size = u32(b, at + 24);
    const uint32_t n = u16(b, at + 28), extra = u16(b, at + 30), comment = u16(b, at + 32);
    e.header_offset = u32(b, at + 42);
    HNN_CHECK(at + 46 + n <= eocd, "'{}': entry name {} runs past the central directory", path, i);
    std::string name = b.substr(at + 46, n);
    names_.push_back(name);
    index_[name] = e;
    at += 46 + n + extra + comment;
  }
}

std::string ZipArchive::read(const std::string& name) const {
  auto it = index_.find(name);
  HNN_CHECK(it != index_.end(), "'{}': no entry '{}'", path_, name);
  const Entry& e = it->second;
  const std::string& b = bytes_;
  const size_t h = e.header_offset;
  HNN_CHECK(h + 30 <= b.size() && u32(b, h) == 0x04034b50u, "'{}': corrupt local header of '{}' at offset {}", path_,
            name, h);
  const size_t data = h + 30 + u16(b, h + 26) + u16(b, h + 28);
  HNN_CHECK(data + e.compressed <= b.size(), "'{}': '{}' is truncated ({} bytes at offset {})", path_, name,
            e.compressed, data);
  std::string raw = b.substr(data, e.compressed), out;
  const std::string where = path_ + ":" + name;
  if (e.method == 0) {
    out = std::move(raw);
  } else if (e.method == 8) {
    // No more than the central directory's size of the entry (and the process-wide limit).
    HNN_CHECK(e.size <= max_inflated_bytes(), "'{}': the entry claims {} bytes, more than the limit of {}", where,
              e.size, max_inflated_bytes());
    out = inflate_bytes(raw, Compressed::Deflate, where, std::max<size_t>(e.size, 1));
  } else {
    throw Error(fmt::format("'{}': compression method {} is not supported (stored or deflate)", where, e.method));
  }
  HNN_CHECK(out.size() == e.size && crc32_of(out) == e.crc, "'{}': corrupt data (size {} of {}, CRC mismatch)", where,
            out.size(), e.size);
  return out;
}

}  // namespace hnn::data
