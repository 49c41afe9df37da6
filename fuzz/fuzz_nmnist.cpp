// libFuzzer target: the N-MNIST reader on arbitrary bytes, sensor size inferred and given.
#include "fuzz_common.h"
#include "hnn/events/nmnist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::events;
  for (int sized = 0; sized < 2; ++sized) {
    try {
      NmnistOptions o;
      if (sized) o.width = o.height = 34;
      NmnistReader r(data, size, "fuzz.bin", o);
      EventStream pk;
      while (r.next_packet(pk, 500)) {
      }
    } catch (const hnn::Error&) {
    }
  }
  return 0;
}
