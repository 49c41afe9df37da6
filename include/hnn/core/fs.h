// File helpers that never leave half-written output: write to "<path>.tmp-<pid>" and rename.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hnn {

// Calls write(tmp_path) and renames tmp_path to path when it returns; on an exception the
// temporary file is removed and the exception propagates.
void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write);
// Writes bytes atomically.
void write_file_atomically(const std::string& path, const std::string& bytes);
// Reads a whole file; hnn::Error naming the path when it cannot.
std::string read_file(const std::string& path);
// Creates a folder and its parents; hnn::Error on failure.
void make_dirs(const std::string& path);
bool file_exists(const std::string& path);
// Reads a file and gunzips it when it starts with the gzip magic; at most max_inflated_bytes()
// of output (hnn::Error naming the path beyond it).
std::string read_maybe_gzip(const std::string& path);

// The limit on decompressed output. A gzip or deflate stream is not bounded by its file's size
// (deflate reaches ~1032:1, so a 2 MiB file can claim 2 GiB): inflate_bytes and read_maybe_gzip
// stop and throw hnn::Error once the output would exceed the limit. The default,
// kMaxInflatedBytes = 2 GiB, is far above every data set we read (the MNIST training images are
// 47 MB); set_max_inflated_bytes changes it for the whole process (tests lower it).
constexpr size_t kMaxInflatedBytes = size_t{1} << 31;
size_t max_inflated_bytes();
void set_max_inflated_bytes(size_t n);

// Decompresses gzip (concatenated members too), zlib (PNG) or raw deflate (ZIP) bytes; hnn::Error
// naming `name` on corrupt or truncated data, or when the output exceeds max_out bytes (0: the
// process-wide max_inflated_bytes(); a larger max_out is lowered to it).
enum class Compressed { Gzip, Zlib, Deflate };
std::string inflate_bytes(const std::string& bytes, Compressed format, const std::string& name, size_t max_out = 0);
// The CRC-32 of bytes (as in ZIP and PNG).
uint32_t crc32_of(const std::string& bytes);

}  // namespace hnn
