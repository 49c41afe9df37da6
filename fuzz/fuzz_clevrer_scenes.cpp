// libFuzzer target: the CLEVRER scene reader (JSON lines) on arbitrary bytes: each line alone,
// then the whole input as a scene file, in full and with a video filter.
#include "fuzz_common.h"
#include "hnn/data/clevrer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::data;
  const std::string in = hnn::fuzz::bytes(data, size);
  size_t pos = 0;
  for (int line = 1; pos < in.size() && line <= 64; ++line) {
    size_t end = in.find('\n', pos);
    if (end == std::string::npos) end = in.size();
    try {
      parse_clevrer_scene(in.substr(pos, end - pos), "fuzz.jsonl:" + std::to_string(line));
    } catch (const hnn::Error&) {
    }
    pos = end + 1;
  }
  const std::string path = hnn::fuzz::temp_file(data, size, ".jsonl");
  try {
    read_clevrer_scenes(path);
  } catch (const hnn::Error&) {
  }
  try {
    ClevrerReadOptions o;
    o.first = 1;
    o.limit = 2;
    read_clevrer_scenes(path, o);
  } catch (const hnn::Error&) {
  }
  try {
    ClevrerReadOptions o;
    o.videos = {10000, 10001};
    read_clevrer_scenes(path, o);
  } catch (const hnn::Error&) {
  }
  return 0;
}
