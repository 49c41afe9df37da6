// libFuzzer target: the HDF5 reader on arbitrary bytes: open the file, walk its groups from the
// root (bounded: a file can link a group into itself), and for each dataset read its shape, the
// whole of it (numbers or strings), its first rows and an attribute; the root's attributes too.
#include <algorithm>

#include "fuzz_common.h"
#include "hnn/io/h5.h"

namespace {

void walk(const hnn::io::H5Reader& r, const std::string& group, int depth, int& budget) {
  std::vector<std::string> names;
  try {
    names = r.list(group);
  } catch (const hnn::Error&) {
    return;
  }
  for (const std::string& n : names) {
    if (--budget < 0) return;
    const std::string path = group == "/" ? n : group + "/" + n;
    try {
      if (r.is_group(path)) {
        if (depth < 8) walk(r, path, depth + 1, budget);
        continue;
      }
      if (!r.has(path)) continue;
      const std::vector<int64_t> shape = r.shape(path);
      r.attribute(path, "type");
      if (r.is_string(path)) {
        r.read_strings(path);
        continue;
      }
      r.read(path);
      if (!shape.empty()) r.read_rows(path, 0, std::min<int64_t>(shape[0], 2));
    } catch (const hnn::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hnn::io::H5Reader r(hnn::fuzz::temp_file(data, size, ".h5"));
    for (const char* a : {"dataset", "format", "seed"}) {
      try {
        r.attribute("/", a);
      } catch (const hnn::Error&) {
      }
    }
    int budget = 256;
    walk(r, "/", 0, budget);
  } catch (const hnn::Error&) {
  }
  return 0;
}
