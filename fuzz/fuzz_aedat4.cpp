// libFuzzer target: the AEDAT 4 reader on arbitrary bytes. hnn::Error is the expected outcome of
// bad input; anything else (a crash, a sanitizer report, another exception) is a bug.
#include "fuzz_common.h"
#include "hnn/events/aedat4.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::events;
  try {
    Aedat4Reader r(data, size, "fuzz.aedat4");
    Aedat4Packet pk;
    while (r.next_packet(pk)) {
    }
    std::vector<PacketInfo> table = r.packet_table();
    for (size_t i = 0; i < table.size() && i < 4; ++i) r.read_packet(table[i], pk);
  } catch (const hnn::Error&) {
  }
  return 0;
}
