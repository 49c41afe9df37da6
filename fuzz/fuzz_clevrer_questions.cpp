// libFuzzer target: the CLEVRER question reader (CLEVRER's list form and the dict form keyed by
// video id) on arbitrary bytes.
#include "fuzz_common.h"
#include "hnn/data/clevrer_questions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hnn::data::parse_clevrer_questions(hnn::fuzz::bytes(data, size), "fuzz.json");
  } catch (const hnn::Error&) {
  }
  return 0;
}
