#include "hnn/core/zip.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "hnn/core/bytes.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn {
namespace {

// Deflate's largest ratio is 1032:1; a little slack covers tiny entries.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string read_range(std::ifstream& in, uint64_t at, uint64_t n, const std::string& path) {
  std::string b((size_t)n, '\0');
  in.clear();
  in.seekg((std::streamoff)at);
  in.read(b.data(), (std::streamsize)n);
  HNN_CHECK(in.gcount() == (std::streamsize)n, "'{}': cannot read {} bytes at offset {} (truncated?)", path, n, at);
  return b;
}

std::ifstream open_at_end(const std::string& path, uint64_t& size) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  HNN_CHECK(in, "cannot open '{}'", path);
  size = (uint64_t)in.tellg();
  return in;
}

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : path_(path) {
  uint64_t size = 0;
  std::ifstream in = open_at_end(path, size);
  HNN_CHECK(size >= 22, "'{}': not a ZIP archive ({} bytes)", path, size);
  // The end of central directory: 22 bytes and a comment of up to 65535, and before it the
  // 20-byte ZIP64 locator.
  const uint64_t tail_at = size > 22 + 65535 + 20 ? size - 22 - 65535 - 20 : 0;
  const std::string tail = read_range(in, tail_at, size - tail_at, path);
  size_t eocd = std::string::npos;
  for (size_t at = tail.size() - 22 + 1; at-- > 0;)
    if (read_le(tail, at, 4) == 0x06054b50u) {
      eocd = at;
      break;
    }
  HNN_CHECK(eocd != std::string::npos, "'{}': not a ZIP archive (no end of central directory)", path);
  uint64_t count = read_le(tail, eocd + 10, 2), cd_size = read_le(tail, eocd + 12, 4),
           cd_offset = read_le(tail, eocd + 16, 4);
  if (eocd >= 20 && read_le(tail, eocd - 20, 4) == 0x07064b50u) {  // the ZIP64 end of central directory locator
    const uint64_t at64 = read_le(tail, eocd - 20 + 8, 8);
    HNN_CHECK(size >= 56 && at64 <= size - 56, "'{}': ZIP64 end of central directory at {} lies outside the file", path,
              at64);
    const std::string e64 = read_range(in, at64, 56, path);
    HNN_CHECK(read_le(e64, 0, 4) == 0x06064b50u, "'{}': no ZIP64 end of central directory at offset {}", path, at64);
    count = read_le(e64, 32, 8);
    cd_size = read_le(e64, 40, 8);
    cd_offset = read_le(e64, 48, 8);
  }
  HNN_CHECK(cd_offset <= size && cd_size <= size - cd_offset && count <= cd_size / 46,
            "'{}': the ZIP central directory ({} entries, {} bytes at offset {}) does not fit the file's {} bytes",
            path, count, cd_size, cd_offset, size);
  const std::string cd = read_range(in, cd_offset, cd_size, path);
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    HNN_CHECK(at + 46 <= cd.size() && read_le(cd, at, 4) == 0x02014b50u,
              "'{}': corrupt central directory entry {} at offset {}", path, i, cd_offset + at);
    Entry e;
    e.flags = (uint16_t)read_le(cd, at + 8, 2);
    e.method = (uint16_t)read_le(cd, at + 10, 2);
    e.crc = (uint32_t)read_le(cd, at + 16, 4);
    e.compressed = read_le(cd, at + 20, 4);
    e.size = read_le(cd, at + 24, 4);
    e.attributes = (uint32_t)read_le(cd, at + 38, 4);
    e.header_offset = read_le(cd, at + 42, 4);
    const uint64_t n = read_le(cd, at + 28, 2), extra = read_le(cd, at + 30, 2), comment = read_le(cd, at + 32, 2);
    HNN_CHECK(at + 46 + n + extra + comment <= cd.size(), "'{}': ZIP entry {} runs past the central directory", path,
              i);
    e.name = cd.substr(at + 46, n);
    // The ZIP64 extra field holds the 64-bit values of the fields set to 0xffffffff, in this order.
    for (size_t x = at + 46 + n; x + 4 <= at + 46 + n + extra;) {
      const uint64_t id = read_le(cd, x, 2), len = read_le(cd, x + 2, 2);
      if (x + 4 + len > at + 46 + n + extra) break;
      if (id == 1) {
        size_t f = x + 4;
        for (uint64_t* v : {&e.size, &e.compressed, &e.header_offset}) {
          if (*v != 0xffffffffu) continue;
          if (f + 8 > x + 4 + len) break;
          *v = read_le(cd, f, 8);
          f += 8;
        }
      }
      x += 4 + len;
    }
    HNN_CHECK(e.header_offset <= size && e.compressed <= size - e.header_offset,
              "'{}': ZIP entry '{}' ({} bytes at offset {}) lies outside the file's {} bytes", path, e.name,
              e.compressed, e.header_offset, size);
    names_.push_back(e.name);
    index_.emplace(e.name, entries_.size());
    entries_.push_back(std::move(e));
    at += 46 + n + extra + comment;
  }
}

void ZipArchive::check_claim(const Entry& e) const {
  const uint64_t most = e.method == 0 ? e.compressed : e.compressed * kMaxDeflateRatio + 1024;
  HNN_CHECK(e.size <= most, "'{}:{}': the entry claims {} bytes from {} stored bytes (corrupt or hostile)", path_,
            e.name, e.size, e.compressed);
}

void ZipArchive::check_claims() const {
  for (const auto& e : entries_) check_claim(e);
}

std::string ZipArchive::read(const std::string& name) const {
  auto it = index_.find(name);
  HNN_CHECK(it != index_.end(), "'{}': no entry '{}'", path_, name);
  return read(entries_[it->second]);
}

std::string ZipArchive::read(const Entry& e) const {
  const std::string where = path_ + ":" + e.name;
  check_claim(e);
  HNN_CHECK(e.method == 0 || e.method == 8, "'{}': compression method {} is not supported (stored or deflate)", where,
            e.method);
  // Bits 0 and 6: encrypted; 5: a patch; 13: the local headers masked.
  HNN_CHECK((e.flags & 0x2061) == 0, "'{}': encrypted or patch entries are not supported (flags 0x{:04x})", where,
            e.flags);
  HNN_CHECK(e.size <= max_inflated_bytes(), "'{}': the entry claims {} bytes, more than the limit of {}", where, e.size,
            max_inflated_bytes());
  // The file is opened per entry, so that threads may read entries of one archive at once.
  uint64_t size = 0;
  std::ifstream in = open_at_end(path_, size);
  HNN_CHECK(size >= 30 && e.header_offset <= size - 30, "'{}': local header at offset {} lies outside the file", where,
            e.header_offset);
  const std::string local = read_range(in, e.header_offset, 30, path_);
  HNN_CHECK(read_le(local, 0, 4) == 0x04034b50u, "'{}': corrupt local header at offset {}", where, e.header_offset);
  const uint64_t data = e.header_offset + 30 + read_le(local, 26, 2) + read_le(local, 28, 2);
  HNN_CHECK(data <= size && e.compressed <= size - data, "'{}': truncated ({} bytes at offset {})", where, e.compressed,
            data);
  std::string out = read_range(in, data, e.compressed, path_);
  if (e.method == 8) out = inflate_bytes(out, Compressed::Deflate, where, std::max<size_t>((size_t)e.size, 1));
  HNN_CHECK(out.size() == e.size && crc32_of(out) == e.crc, "'{}': corrupt data (size {} of {}, CRC mismatch)", where,
            out.size(), e.size);
  return out;
}

}  // namespace hnn
