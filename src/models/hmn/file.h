// The HMN's cache files: a magic line, a JSON header line, then raw bytes; written atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hnn::models::hmn {

struct Blob {
  std::string header;
  std::string bytes;  // the whole file
  size_t offset = 0;  // where the payload starts in bytes
  const uint8_t* payload() const { return reinterpret_cast<const uint8_t*>(bytes.data()) + offset; }
  size_t payload_size() const { return bytes.size() - offset; }
};
struct Chunk {
  const void* data;
  size_t size;
};
// The payload is the chunks in order (nothing is copied).
void write_blob(const std::string& path, const std::string& magic, const std::string& header,
                const std::vector<Chunk>& payload);
// hnn::Error when the file is missing or does not start with `magic`.
Blob read_blob(const std::string& path, const std::string& magic);

// 0/1 bytes -> bits (LSB first), and back.
std::string pack_bits(const uint8_t* values, int64_t n);
void unpack_bits(const uint8_t* bits, int64_t n, uint8_t* values);

}  // namespace hnn::models::hmn
