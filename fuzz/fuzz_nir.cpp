// libFuzzer target: the NIR reader on arbitrary bytes (an HDF5 file): read (which validates),
// validate again, flatten the subgraphs, schedule the flat graph and describe it.
#include "fuzz_common.h"
#include "hnn/io/nir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace nir = hnn::io::nir;
  try {
    nir::Graph g = nir::read(hnn::fuzz::temp_file(data, size, ".nir"));
    nir::validate(g, "fuzz.nir");
    nir::Graph flat = nir::flatten(g);
    nir::schedule(flat);
    nir::describe(g);
  } catch (const hnn::Error&) {
  }
  return 0;
}
