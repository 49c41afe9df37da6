#include "models/hmn/file.h"

#include <fmt/format.h>

#include <fstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::models::hmn {

void write_blob(const std::string& path, const std::string& magic, const std::string& header,
                const std::vector<Chunk>& payload) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << magic << '\n' << header << '\n';
    for (const auto& c : payload) out.write(static_cast<const char*>(c.data), static_cast<std::streamsize>(c.size));
    HNN_CHECK(out.good(), "cannot write {}", tmp);
  });
}

Blob read_blob(const std::string& path, const std::string& magic) {
  HNN_CHECK(file_exists(path), "{}: no such file", path);
  Blob blob;
  blob.bytes = read_file(path);
  const std::string& bytes = blob.bytes;
  const size_t a = bytes.find('\n');
  HNN_CHECK(a != std::string::npos && bytes.compare(0, a, magic) == 0, "{}: not a {} file", path, magic);
  const size_t b = bytes.find('\n', a + 1);
  HNN_CHECK(b != std::string::npos, "{}: truncated header", path);
  blob.header = bytes.substr(a + 1, b - a - 1);
  blob.offset = b + 1;
  return blob;
}

std::string pack_bits(const uint8_t* values, int64_t n) {
  std::string bits(static_cast<size_t>((n + 7) / 8), '\0');
  for (int64_t i = 0; i < n; ++i)
    if (values[i]) bits[static_cast<size_t>(i >> 3)] |= static_cast<char>(1u << (i & 7));
  return bits;
}

void unpack_bits(const uint8_t* bits, int64_t n, uint8_t* values) {
  for (int64_t i = 0; i < n; ++i) values[i] = (bits[i >> 3] >> (i & 7)) & 1u;
}

}  // namespace hnn::models::hmn
