// Hybrid units for Python: the presets of hnn/hu/presets.h as one C++ module type (_HybridUnit)
// that Python wraps in a torch.nn.Module (hnn/hu.py) sharing the unit's parameter tensors.
#include <pybind11/stl.h>
#include <torch/csrc/utils/pybind.h>
#include <torch/nn/module.h>

#include <sstream>

#include "bindings.h"
#include "hnn/hu/presets.h"

namespace py = pybind11;

namespace hnn::python {
namespace {

using Unit = std::shared_ptr<hu::HybridUnitImpl>;

std::vector<std::pair<std::string, at::Tensor>> items(const torch::OrderedDict<std::string, at::Tensor>& d) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& it : d) out.emplace_back(it.key(), it.value());
  return out;
}

}  // namespace

void bind_hu(py::module_& m) {
  py::class_<hu::HybridUnitImpl, Unit>(m, "_HybridUnit")
      .def("forward", &hu::HybridUnitImpl::forward, py::arg("x"), py::call_guard<py::gil_scoped_release>())
      .def("named_parameters", [](const hu::HybridUnitImpl& u) { return items(u.named_parameters(true)); })
      .def("named_buffers", [](const hu::HybridUnitImpl& u) { return items(u.named_buffers(true)); })
      .def(
          "train", [](hu::HybridUnitImpl& u, bool on) { u.train(on); }, py::arg("on") = true)
      .def("is_training", [](const hu::HybridUnitImpl& u) { return u.is_training(); })
      .def("freeze", &hu::HybridUnitImpl::freeze, py::arg("frozen") = true)
      .def("learnable", &hu::HybridUnitImpl::learnable)
      .def(
          "to_", [](hu::HybridUnitImpl& u, const at::Tensor& like) { u.to(like.device(), like.scalar_type()); },
          py::arg("like"), "Moves the parameters to the device and type of `like`")
      .def_property_readonly("name", [](const hu::HybridUnitImpl& u) { return u.options.name(); })
      .def_property_readonly("direction", [](const hu::HybridUnitImpl& u) { return to_string(u.options.direction()); })
      .def("__repr__", [](const hu::HybridUnitImpl& u) {
        std::ostringstream os;
        u.pretty_print(os);
        return os.str();
      });

  auto hu_m = m.def_submodule("hu", "Preset hybrid units (hnn/hu/presets.h)");
  hu_m.def(
      "rate_encoder", [](int64_t steps) { return hu::rate_encoder(steps).ptr(); }, py::arg("steps"));
  hu_m.def(
      "poisson_encoder", [](int64_t steps, bool normalize) { return hu::poisson_encoder(steps, normalize).ptr(); },
      py::arg("steps"), py::arg("normalize") = true);
  hu_m.def(
      "latency_encoder", [](int64_t steps, bool normalize) { return hu::latency_encoder(steps, normalize).ptr(); },
      py::arg("steps"), py::arg("normalize") = true);
  hu_m.def(
      "population_encoder",
      [](int64_t steps, int64_t neurons, double lo, double hi, double sigma) {
        return hu::population_encoder(steps, neurons, lo, hi, sigma).ptr();
      },
      py::arg("steps"), py::arg("neurons"), py::arg("lo") = 0.0, py::arg("hi") = 1.0, py::arg("sigma") = 0.0);
  hu_m.def(
      "delta_encoder", [](double threshold) { return hu::delta_encoder(threshold).ptr(); }, py::arg("threshold"));
  hu_m.def(
      "learnable_sampler",
      [](int64_t steps, const std::string& sg) {
        return hu::learnable_sampler(steps, spike::Surrogate::parse(sg)).ptr();
      },
      py::arg("steps"), py::arg("surrogate") = "sigmoid:4");
  hu_m.def(
      "rate_decoder", [](int64_t window, bool squeeze) { return hu::rate_decoder(window, squeeze).ptr(); },
      py::arg("window") = 0, py::arg("squeeze") = false);
  hu_m.def(
      "count_decoder", [](int64_t window, bool squeeze) { return hu::count_decoder(window, squeeze).ptr(); },
      py::arg("window") = 0, py::arg("squeeze") = false);
  hu_m.def(
      "trace_decoder",
      [](double tau, int64_t length, int64_t stride, bool squeeze) {
        return hu::trace_decoder(tau, length, stride, squeeze).ptr();
      },
      py::arg("tau"), py::arg("length"), py::arg("stride") = 1, py::arg("squeeze") = false);
  hu_m.def(
      "first_spike_decoder",
      [](int64_t window, bool squeeze) { return hu::first_spike_decoder(window, squeeze).ptr(); },
      py::arg("window") = 0, py::arg("squeeze") = false);
  hu_m.def(
      "learnable_window_decoder",
      [](int64_t window, int64_t channels, bool squeeze) {
        return hu::learnable_window_decoder(window, channels, squeeze).ptr();
      },
      py::arg("window"), py::arg("channels") = 0, py::arg("squeeze") = false);
  hu_m.def(
      "integrator_decoder",
      [](double decay, int64_t window, bool squeeze) { return hu::integrator_decoder(decay, window, squeeze).ptr(); },
      py::arg("decay"), py::arg("window") = 0, py::arg("squeeze") = false);
  hu_m.def(
      "threshold_modulator",
      [](int64_t in, int64_t out, double v_threshold, double sharpness) {
        return hu::threshold_modulator(in, out, v_threshold, sharpness).ptr();
      },
      py::arg("in_features"), py::arg("out_features"), py::arg("v_threshold") = 1.0, py::arg("sharpness") = 1.0);
  hu_m.def(
      "spike_gate",
      [](int64_t in, int64_t out, double sharpness, bool binary) {
        return hu::spike_gate(in, out, sharpness, binary).ptr();
      },
      py::arg("in_features"), py::arg("out_features"), py::arg("sharpness") = 100.0, py::arg("binary") = true);
  hu_m.def(
      "weight_scale", [](int64_t in, int64_t out) { return hu::weight_scale(in, out).ptr(); }, py::arg("in_features"),
      py::arg("out_features"));
  hu_m.def("preset_names", &hu::preset_names);
  hu_m.def(
      "make_preset",
      [](const std::string& name, int64_t steps, int64_t features) {
        return hu::make_preset(name, steps, features).ptr();
      },
      py::arg("name"), py::arg("steps") = 16, py::arg("features") = 4);
}

}  // namespace hnn::python
