// File helpers that never leave half-written output: write to "<path>.tmp-<pid>" and rename.
#pragma once
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
// Reads a file and gunzips it when it starts with the gzip magic.
std::string read_maybe_gzip(const std::string& path);

// Decompresses gzip (concatenated members too), zlib (PNG) or raw deflate (ZIP) bytes; hnn::Error
// naming `name` on corrupt or truncated data.
enum class Compressed { Gzip, Zlib, Deflate };
std::string inflate_bytes(const std::string& bytes, Compressed format, const std::string& name);
// The CRC-32 of bytes (as in ZIP and PNG).
uint32_t crc32_of(const std::string& bytes);

}  // namespace hnn
