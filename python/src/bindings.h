// The parts of the hnn._C extension, one per layer it exposes (see module.cpp).
#pragma once
#include <pybind11/pybind11.h>

namespace hnn::python {

void bind_spike(pybind11::module_& m);
void bind_hu(pybind11::module_& m);
void bind_events(pybind11::module_& m);

}  // namespace hnn::python
