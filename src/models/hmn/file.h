// The HMN's cache files: a magic line, a JSON header line, then raw bytes; written atomically.
#pragma once
#include <cstdint>
#include <string>

namespace hnn::models::hmn {

struct Blob {
  std::string header, payload;
};
void write_blob(const std::string& path, const std::string& magic, const std::string& header,
                const std::string& payload);
// hnn::Error when the file is missing or does not start with `magic`.
Blob read_blob(const std::string& path, const std::string& magic);

// 0/1 bytes -> bits (LSB first), and back.
std::string pack_bits(const uint8_t* values, int64_t n);
void unpack_bits(const uint8_t* bits, int64_t n, uint8_t* values);

}  // namespace hnn::models::hmn
