// hnn._C: the extension module behind the `hnn` Python package. Import it through `hnn` (which
// imports torch first, so that torch's tensor type is known when tensors cross the boundary).
#include "bindings.h"
#include "hnn/core/allocator.h"
#include "hnn/core/error.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "hnn: spiking neurons, hybrid units and event files on LibTorch (C++ core)";
  // hnn::Error (bad input: file, shape, option) arrives in Python as hnn.Error, a ValueError.
  pybind11::register_exception<hnn::Error>(m, "Error", PyExc_ValueError);
  // The caching CPU allocator of the hnn command (process-wide: every torch tensor after the call,
  // whichever library makes it). Fresh memory is slow to fault in on some machines.
  m.def(
      "install_caching_allocator",
      [](double cache_limit_mb) { hnn::install_caching_allocator((size_t)(cache_limit_mb * 1024 * 1024)); },
      pybind11::arg("cache_limit_mb") = 0.0,
      "Installs hnn's caching CPU allocator as LibTorch's (idempotent); 0: default limit (env "
      "HNN_ALLOC_CACHE_MB, else 8 GiB)");
  m.def("caching_allocator_installed", &hnn::caching_allocator_installed);
  m.def("allocator_stats", [] {
    hnn::AllocatorStats s = hnn::allocator_stats();
    pybind11::dict d;
    d["mapped_bytes"] = s.mapped_bytes;
    d["cached_bytes"] = s.cached_bytes;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["in_use_bytes"] = s.in_use_bytes;
    d["peak_in_use_bytes"] = s.peak_in_use_bytes;
    return d;
  });
  m.def("reset_peak_memory", &hnn::reset_peak_memory,
        "Starts a new peak: allocator_stats()['peak_in_use_bytes'] becomes the bytes in use now");
  m.def("release_cached_memory", &hnn::release_cached_memory, "Returns the allocator's cached blocks to the system");
  hnn::python::bind_spike(m);
  hnn::python::bind_hu(m);
  hnn::python::bind_events(m);
}
