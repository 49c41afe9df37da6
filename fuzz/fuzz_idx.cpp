// libFuzzer target: the IDX parser (MNIST, Fashion-MNIST) on arbitrary bytes, whole and with the
// first dimension cut to a few items.
#include "fuzz_common.h"
#include "hnn/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = hnn::fuzz::bytes(data, size);
  for (int64_t max_items : {int64_t(0), int64_t(3)}) {
    try {
      hnn::data::parse_idx(in, "fuzz.idx", max_items);
    } catch (const hnn::Error&) {
    }
  }
  return 0;
}
