// libFuzzer target: the grayscale PNG decoder (Omniglot's images) on arbitrary bytes.
#include "fuzz_common.h"
#include "hnn/data/png.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hnn::data::decode_png_gray(hnn::fuzz::bytes(data, size), "fuzz.png");
  } catch (const hnn::Error&) {
  }
  return 0;
}
