// libFuzzer target: the HMN's cached frames file (magic line, JSON header, labels and frames,
// packed when binary) on arbitrary bytes.
#include "fuzz_common.h"
#include "hnn/models/hmn/data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hnn::models::hmn::FrameSet set = hnn::models::hmn::load_frames(hnn::fuzz::temp_file(data, size, ".frames"));
    if (set.size() > 0 && set.size() <= 64) set.flat();
  } catch (const hnn::Error&) {
  }
  return 0;
}
