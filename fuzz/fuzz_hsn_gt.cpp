// libFuzzer target: the HSN's JSON files of a recording on arbitrary bytes: the ground truth (one
// JSON line per object and millisecond, then boxes interpolated at a few times) and the scene file.
#include "fuzz_common.h"
#include "hnn/models/hsn/recording.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::models::hsn;
  const std::string path = hnn::fuzz::temp_file(data, size, ".gt.jsonl");
  try {
    GroundTruth gt = read_ground_truth(path);
    const int64_t a = gt.t.front(), b = gt.t.back();
    for (int64_t t : {a, a / 2 + b / 2, b}) gt.at(t);  // no arithmetic that could overflow here
  } catch (const hnn::Error&) {
  }
  try {
    read_scene(path);
  } catch (const hnn::Error&) {
  }
  return 0;
}
