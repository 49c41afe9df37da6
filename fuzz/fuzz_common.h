// Shared by the fuzz targets: quiet logging (readers warn about damaged input, which is what a
// fuzzer feeds them), the one accepted failure, hnn::Error, and a scratch file for the readers
// that take a path.
#pragma once
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "hnn/core/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

// Under AddressSanitizer a malloc too large to serve fails as glibc's does (it returns NULL)
// instead of aborting: libhdf5 asks for metadata buffers of sizes read from the file (33 GB,
// 1 TB; found by fuzz_nir and fuzz_dasbe_split) and, given NULL, fails cleanly, as it does in a
// build without sanitizers. operator new still reports, so hnn's own allocations stay checked.
// ASAN_OPTIONS overrides this.
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1";
}

namespace hnn::fuzz {
// The input as a string (the readers of text and of whole files take one).
inline std::string bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Writes the input to a file of this process (under /dev/shm when there is one, so that no disk
// is touched; one name per process and suffix, overwritten by each input) and returns its path,
// for the readers that open a file themselves. The file is removed when the process exits.
inline std::string temp_file(const uint8_t* data, size_t size, const std::string& suffix) {
  namespace fs = std::filesystem;
  struct Scratch {
    std::map<std::string, std::string> paths;  // suffix -> path
    ~Scratch() {
      for (auto& [suffix, path] : paths) std::remove(path.c_str());
    }
  };
  static Scratch scratch;
  std::string& path = scratch.paths[suffix];
  if (path.empty()) {
    std::error_code ec;
    const fs::path dir = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    path = (dir / ("hnn-fuzz-" + std::to_string(::getpid()) + suffix)).string();
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::abort();
  }
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}
}  // namespace hnn::fuzz
