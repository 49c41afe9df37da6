#include "byte_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace hnn::events::detail {

std::unique_ptr<ByteSource> ByteSource::open_file(const std::string& path) {
  std::unique_ptr<ByteSource> s(new ByteSource());
  s->name_ = path;
  s->file_ = std::fopen(path.c_str(), "rb");
  HNN_CHECK(s->file_, "cannot open '{}': {}", path, std::strerror(errno));
  struct stat st;
  HNN_CHECK(fstat(fileno(s->file_), &st) == 0 && S_ISREG(st.st_mode), "'{}' is not a regular file", path);
  s->size_ = (uint64_t)st.st_size;
  return s;
}

std::unique_ptr<ByteSource> ByteSource::view(const void* data, size_t size, std::string name) {
  std::unique_ptr<ByteSource> s(new ByteSource());
  s->name_ = std::move(name);
  static const uint8_t kEmpty = 0;
  s->mem_ = data ? static_cast<const uint8_t*>(data) : &kEmpty;
  s->size_ = size;
  return s;
}

ByteSource::~ByteSource() {
  if (file_) std::fclose(file_);
}

void ByteSource::check_range(uint64_t offset, size_t n, const char* what) const {
  if (offset > size_ || n > size_ - offset)
    fail_at(offset, "truncated: {} needs {} bytes, only {} left in the {}-byte file", what, n,
            offset > size_ ? 0 : size_ - offset, size_);
}

const uint8_t* ByteSource::read(uint64_t offset, size_t n, const char* what) {
  if (mem_) {
    check_range(offset, n, what);
    return mem_ + offset;
  }
  return read_into(offset, n, buf_, what);
}

const uint8_t* ByteSource::read_into(uint64_t offset, size_t n, std::vector<uint8_t>& buf, const char* what) {
  check_range(offset, n, what);
  if (mem_) {
    buf.assign(mem_ + offset, mem_ + offset + n);
    return buf.data();
  }
  if (buf.size() < n) buf.resize(n);
  if (n == 0) return buf.data();
  if (fseeko(file_, (off_t)offset, SEEK_SET) != 0 || std::fread(buf.data(), 1, n, file_) != n)
    fail_at(offset, "read error ({} bytes for {}): {}", n, what, std::strerror(errno));
  return buf.data();
}

}  // namespace hnn::events::detail
