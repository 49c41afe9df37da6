#include "hnn/core/fs.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hnn/core/error.h"

namespace hnn {

void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write) {
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  try {
    write(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    fail("cannot write '{}': {}", path, std::strerror(err));
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    HNN_CHECK(out, "cannot open '{}' for writing: {}", path, std::strerror(errno));
    out.write(bytes.data(), (std::streamsize)bytes.size());
    out.close();
    HNN_CHECK(out, "error while writing '{}'", path);
  });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HNN_CHECK(in, "cannot open '{}': {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      fail("cannot create folder '{}': {}", cur, std::strerror(errno));
  }
  struct stat st;
  HNN_CHECK(stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode), "'{}' exists and is not a folder", path);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

namespace {
std::atomic<size_t> g_max_inflated{kMaxInflatedBytes};
}  // namespace

size_t max_inflated_bytes() {
  return g_max_inflated.load();
}

void set_max_inflated_bytes(size_t n) {
  HNN_CHECK(n > 0, "set_max_inflated_bytes: the limit must be positive");
  g_max_inflated.store(n);
}

std::string inflate_bytes(const std::string& raw, Compressed format, const std::string& name, size_t max_out) {
  const size_t limit = max_out == 0 ? max_inflated_bytes() : std::min(max_out, max_inflated_bytes());
  // The buffer grows by doubling up to limit + 1 bytes: one byte more than allowed is the sign of
  // a stream longer than the limit (the file's own size does not bound it).
  const size_t cap = limit + 1;
  z_stream zs{};
  // zlib window bits: 15 + 32 detects the gzip or zlib header, -15 is a raw deflate stream.
  const int bits = format == Compressed::Deflate ? -15 : 15 + 32;
  const char* what = format == Compressed::Gzip ? "gzip" : format == Compressed::Zlib ? "zlib" : "deflate";
  HNN_CHECK(inflateInit2(&zs, bits) == Z_OK, "zlib init failed for '{}'", name);
  std::string out;
  out.resize(std::min(cap, raw.size() < cap / 4 ? raw.size() * 4 + 1024 : cap));
  // Our own counts of the bytes read and written: inflateReset (between concatenated gzip members)
  // zeroes zlib's total_in and total_out, and avail_in/avail_out are 32-bit.
  size_t in_pos = 0, produced = 0;
  constexpr size_t kStep = size_t{1} << 30;
  auto bomb = [&] {
    inflateEnd(&zs);
    fail("'{}': {} data decompresses to more than {} bytes (the limit; corrupt or a decompression bomb)", name, what,
         limit);
  };
  while (true) {
    if (produced >= out.size()) {
      if (out.size() >= cap) bomb();
      out.resize(std::min(cap, out.size() * 2));
    }
    const size_t in_n = std::min(kStep, raw.size() - in_pos), out_n = std::min(kStep, out.size() - produced);
    zs.next_in = (Bytef*)raw.data() + in_pos;
    zs.avail_in = (uInt)in_n;
    zs.next_out = (Bytef*)out.data() + produced;
    zs.avail_out = (uInt)out_n;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_n - zs.avail_in;
    produced += out_n - zs.avail_out;
    if (ret == Z_STREAM_END) {
      // Concatenated gzip members: continue with the next one.
      if (format == Compressed::Gzip && in_pos < raw.size()) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    const bool stuck = ret == Z_BUF_ERROR && in_n == zs.avail_in && out_n == zs.avail_out && in_pos < raw.size();
    if ((ret != Z_OK && ret != Z_BUF_ERROR) || stuck) {
      std::string msg = zs.msg ? zs.msg : "inflate error";
      inflateEnd(&zs);
      fail("'{}': corrupt {} data near compressed byte {} ({})", name, what, in_pos, msg);
    }
    if (in_pos == raw.size() && zs.avail_out != 0) {
      inflateEnd(&zs);
      fail("'{}': {} data truncated after {} compressed bytes", name, what, raw.size());
    }
  }
  inflateEnd(&zs);
  HNN_CHECK(produced <= limit,
            "'{}': {} data decompresses to more than {} bytes (the limit; corrupt or a decompression bomb)", name, what,
            limit);
  out.resize(produced);
  return out;
}

uint32_t crc32_of(const std::string& bytes) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::string read_maybe_gzip(const std::string& path) {
  std::string raw = read_file(path);
  if (raw.size() < 2 || (unsigned char)raw[0] != 0x1f || (unsigned char)raw[1] != 0x8b) return raw;
  return inflate_bytes(raw, Compressed::Gzip, path);
}

}  // namespace hnn
