// libFuzzer target: DASBE's HDF5 datasets on arbitrary bytes: every top-level group read as a
// split ("<split>/default", "<split>/groups", optional "pos"), whole and one row.
#include "fuzz_common.h"
#include "hnn/io/h5.h"
#include "hnn/models/dasbe/data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::models::dasbe;
  const std::string path = hnn::fuzz::temp_file(data, size, ".h5");
  std::vector<std::string> splits;
  try {
    splits = hnn::io::H5Reader(path).list("/");
  } catch (const hnn::Error&) {
  }
  if (splits.size() > 16) splits.resize(16);
  splits.push_back("train_multi");
  for (const std::string& s : splits) {
    try {
      read_split(path, s);
    } catch (const hnn::Error&) {
    }
    try {
      read_split(path, s, 1, 1);
    } catch (const hnn::Error&) {
    }
  }
  return 0;
}
