// libFuzzer target: the HMN's task file (magic line, JSON header of the task options, int32
// permutations, each row checked to be one) on arbitrary bytes, then the tasks' derived lists.
#include "fuzz_common.h"
#include "hnn/models/hmn/tasks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hnn::models::hmn::TaskSet t = hnn::models::hmn::load_tasks(hnn::fuzz::temp_file(data, size, ".tasks"));
    t.continual_tasks();
    t.stage1_tasks();
  } catch (const hnn::Error&) {
  }
  return 0;
}
