// libFuzzer target: the ZIP reader (Omniglot's archives) on arbitrary bytes: the central
// directory, then every entry (stored or deflated, CRC-checked), and a name it does not hold.
#include "fuzz_common.h"
#include "hnn/data/zip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hnn::data::ZipArchive zip(hnn::fuzz::temp_file(data, size, ".zip"));
    for (const std::string& name : zip.names()) {
      try {
        zip.read(name);
      } catch (const hnn::Error&) {
      }
    }
    zip.contains("no/such/entry");
    zip.read("no/such/entry");
  } catch (const hnn::Error&) {
  }
  return 0;
}
