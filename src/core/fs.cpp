#include "hnn/core/fs.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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

std::string inflate_bytes(const std::string& raw, Compressed format, const std::string& name) {
  z_stream zs{};
  // zlib window bits: 15 + 32 detects the gzip or zlib header, -15 is a raw deflate stream.
  const int bits = format == Compressed::Deflate ? -15 : 15 + 32;
  const char* what = format == Compressed::Gzip ? "gzip" : format == Compressed::Zlib ? "zlib" : "deflate";
  HNN_CHECK(inflateInit2(&zs, bits) == Z_OK, "zlib init failed for '{}'", name);
  std::string out;
  out.resize(raw.size() * 4 + 1024);
  zs.next_in = (Bytef*)raw.data();
  zs.avail_in = (uInt)raw.size();
  int ret = Z_OK;
  while (true) {
    if (zs.total_out >= out.size()) out.resize(out.size() * 2);
    zs.next_out = (Bytef*)out.data() + zs.total_out;
    zs.avail_out = (uInt)(out.size() - zs.total_out);
    ret = inflate(&zs, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) {
      // Concatenated gzip members: continue with the next one.
      if (format == Compressed::Gzip && zs.avail_in > 0) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (ret != Z_OK) {
      size_t off = zs.total_in;
      std::string msg = zs.msg ? zs.msg : "inflate error";
      inflateEnd(&zs);
      fail("'{}': corrupt {} data near compressed byte {} ({})", name, what, off, msg);
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      fail("'{}': {} data truncated after {} compressed bytes", name, what, raw.size());
    }
  }
  out.resize(zs.total_out);
  inflateEnd(&zs);
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
