// Random-access bytes of a file or of a caller's buffer, for the readers. Every read is checked
// against the size, so a corrupt length can never make a reader allocate or read past the end.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "hnn/core/error.h"

namespace hnn::events::detail {

class ByteSource {
 public:
  // Opens a file (hnn::Error naming it when it cannot).
  static std::unique_ptr<ByteSource> open_file(const std::string& path);
  // A view of memory that the caller keeps alive; `name` is used in messages.
  static std::unique_ptr<ByteSource> view(const void* data, size_t size, std::string name);

  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  bool in_memory() const { return mem_ != nullptr; }

  // n bytes at offset, valid until the next read; hnn::Error "truncated" naming `what` when the
  // source ends before offset + n.
  const uint8_t* read(uint64_t offset, size_t n, const char* what);
  // Like read, into the caller's buffer (which keeps its capacity across calls).
  const uint8_t* read_into(uint64_t offset, size_t n, std::vector<uint8_t>& buf, const char* what);

  // hnn::Error "<name>: byte <offset>: <message>".
  template <typename... Args>
  [[noreturn]] void fail_at(uint64_t offset, fmt::format_string<Args...> f, Args&&... args) const {
    ::hnn::fail("{}: byte {}: {}", name_, offset, fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  ByteSource() = default;
  void check_range(uint64_t offset, size_t n, const char* what) const;

  std::string name_;
  uint64_t size_ = 0;
  const uint8_t* mem_ = nullptr;
  std::FILE* file_ = nullptr;
  std::vector<uint8_t> buf_;
};

inline uint32_t load_u32_le(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
inline int32_t load_i32_le(const uint8_t* p) {
  return (int32_t)load_u32_le(p);
}
inline uint32_t load_u32_be(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
inline void store_u32_le(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
inline void store_u32_be(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

}  // namespace hnn::events::detail
