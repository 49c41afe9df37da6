// Reading binary file formats held in memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hnn {

// The unsigned little-endian integer of `bytes` bytes (1 to 8) at offset `at` of b (the caller
// checks that they are inside b).
inline uint64_t read_le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[at + (size_t)i]);
  return v;
}

}  // namespace hnn
