// libFuzzer target: the AEDAT 2 reader (both address layouts) on arbitrary bytes.
#include "fuzz_common.h"
#include "hnn/events/aedat2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::events;
  for (Aedat2Layout layout : {Aedat2Layout::Auto, Aedat2Layout::Davis}) {
    try {
      Aedat2Options o;
      o.layout = layout;
      Aedat2Reader r(data, size, "fuzz.aedat", o);
      EventStream pk;
      while (r.next_packet(pk, 1000)) {
      }
    } catch (const hnn::Error&) {
    }
  }
  return 0;
}
