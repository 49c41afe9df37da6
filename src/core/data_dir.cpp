#include "hnn/core/data_dir.h"

#include <sys/stat.h>

#include <cstdlib>

#ifndef HNN_SHARED_DATA_DIR
#define HNN_SHARED_DATA_DIR ""
#endif

namespace hnn {

std::string shared_data_dir() {
  const char* env = std::getenv("HNN_DATA_DIR");
  std::string dir = env && *env ? env : HNN_SHARED_DATA_DIR;
  struct stat st;
  if (dir.empty() || stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
  return dir;
}

std::string shared_data_path(const std::string& rel) {
  std::string dir = shared_data_dir();
  return dir.empty() ? std::string() : dir + "/" + rel;
}

}  // namespace hnn
