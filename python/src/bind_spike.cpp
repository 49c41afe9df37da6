// Spiking neurons for Python: the functional step, the fused multi-step kernel (a C++ autograd
// function, so gradients flow back into Python tensors) and its per-step reference loop, and the
// surrogate spike functions. Parameters arrive as tensors (or None for the library's default);
// the Python package (hnn/functional.py) turns numbers into tensors and names into specs.
#include <pybind11/stl.h>
#include <torch/csrc/utils/pybind.h>

#include <optional>
#include <tuple>

#include "bindings.h"
#include "hnn/spike/neuron.h"
#include "hnn/spike/surrogate.h"

namespace py = pybind11;

namespace hnn::python {
namespace {

using spike::NeuronParams;
using spike::NeuronSpec;
using spike::NeuronState;
using OptTensor = std::optional<at::Tensor>;

at::Tensor or_undefined(const OptTensor& t) {
  return t ? *t : at::Tensor();
}
OptTensor or_none(const at::Tensor& t) {
  return t.defined() ? OptTensor(t) : std::nullopt;
}

NeuronSpec make_spec(const std::string& charge, const std::string& reset, const std::string& surrogate,
                     bool detach_reset, bool inclusive, bool adaptive) {
  NeuronSpec s;
  s.charge = spike::parse_charge(charge);
  s.reset = spike::parse_reset(reset);
  s.surrogate = spike::Surrogate::parse(surrogate);
  s.detach_reset = detach_reset;
  s.inclusive = inclusive;
  s.adaptive = adaptive;
  return s;
}

NeuronParams make_params(const OptTensor& threshold, const OptTensor& decay, const OptTensor& v_reset,
                         const OptTensor& v_rest, const OptTensor& rho, const OptTensor& beta) {
  NeuronParams p;
  p.threshold = or_undefined(threshold);
  p.decay = or_undefined(decay);
  p.v_reset = or_undefined(v_reset);
  p.v_rest = or_undefined(v_rest);
  p.rho = or_undefined(rho);
  p.beta = or_undefined(beta);
  return p;
}

using SequenceTuple = std::tuple<at::Tensor, OptTensor, at::Tensor, OptTensor>;

// (spikes, membrane or None, final v, final a or None)
SequenceTuple sequence(bool fused, const at::Tensor& x, const OptTensor& v, const OptTensor& a,
                       const OptTensor& threshold, const OptTensor& decay, const OptTensor& v_reset,
                       const OptTensor& v_rest, const OptTensor& rho, const OptTensor& beta, const std::string& charge,
                       const std::string& reset, const std::string& surrogate, bool detach_reset, bool inclusive,
                       bool adaptive, bool want_membrane, const std::string& saved_state = "full") {
  NeuronSpec spec = make_spec(charge, reset, surrogate, detach_reset, inclusive, adaptive);
  spec.saved_state = spike::parse_saved_state(saved_state);
  NeuronParams p = make_params(threshold, decay, v_reset, v_rest, rho, beta);
  NeuronState st{or_undefined(v), or_undefined(a)};
  spike::SequenceResult r =
      fused ? spike::multistep(x, st, p, spec, want_membrane) : spike::multistep_loop(x, st, p, spec, want_membrane);
  return {r.spikes, or_none(r.membrane), r.state.v, or_none(r.state.a)};
}

}  // namespace

void bind_spike(py::module_& m) {
  // Keyword names match hnn/functional.py; every parameter may be None (the default).
  auto seq_args = [](auto&&... extra) {
    return std::make_tuple(py::arg("x"), py::arg("v") = py::none(), py::arg("a") = py::none(),
                           py::arg("threshold") = py::none(), py::arg("decay") = py::none(),
                           py::arg("v_reset") = py::none(), py::arg("v_rest") = py::none(), py::arg("rho") = py::none(),
                           py::arg("beta") = py::none(), py::arg("charge") = "lif_decay", py::arg("reset") = "hard",
                           py::arg("surrogate") = "rect", py::arg("detach_reset") = false, py::arg("inclusive") = false,
                           py::arg("adaptive") = false, extra...);
  };
  auto multistep = [](const at::Tensor& x, const OptTensor& v, const OptTensor& a, const OptTensor& threshold,
                      const OptTensor& decay, const OptTensor& v_reset, const OptTensor& v_rest, const OptTensor& rho,
                      const OptTensor& beta, const std::string& charge, const std::string& reset,
                      const std::string& surrogate, bool detach_reset, bool inclusive, bool adaptive,
                      bool want_membrane, const std::string& saved_state) {
    return sequence(true, x, v, a, threshold, decay, v_reset, v_rest, rho, beta, charge, reset, surrogate, detach_reset,
                    inclusive, adaptive, want_membrane, saved_state);
  };
  auto multistep_loop = [](const at::Tensor& x, const OptTensor& v, const OptTensor& a, const OptTensor& threshold,
                           const OptTensor& decay, const OptTensor& v_reset, const OptTensor& v_rest,
                           const OptTensor& rho, const OptTensor& beta, const std::string& charge,
                           const std::string& reset, const std::string& surrogate, bool detach_reset, bool inclusive,
                           bool adaptive, bool want_membrane) {
    return sequence(false, x, v, a, threshold, decay, v_reset, v_rest, rho, beta, charge, reset, surrogate,
                    detach_reset, inclusive, adaptive, want_membrane);
  };
  std::apply(
      [&](auto&&... args) {
        m.def("multistep", multistep, py::call_guard<py::gil_scoped_release>(),
              "A sequence x [T, B, ...] through the fused kernel (the step loop where no kernel applies): "
              "(spikes, membrane or None, v, a or None); saved_state 'bfloat16' keeps the backward's membrane "
              "in half the bytes",
              args...);
      },
      seq_args(py::arg("want_membrane") = false, py::arg("saved_state") = "full"));
  std::apply(
      [&](auto&&... args) {
        m.def("multistep_loop", multistep_loop, py::call_guard<py::gil_scoped_release>(),
              "The same through a plain per-step loop of step() (the reference)", args...);
      },
      seq_args(py::arg("want_membrane") = false));

  auto step = [](const at::Tensor& x, const OptTensor& v, const OptTensor& a, const OptTensor& threshold,
                 const OptTensor& decay, const OptTensor& v_reset, const OptTensor& v_rest, const OptTensor& rho,
                 const OptTensor& beta, const std::string& charge, const std::string& reset,
                 const std::string& surrogate, bool detach_reset, bool inclusive, bool adaptive) {
    NeuronSpec spec = make_spec(charge, reset, surrogate, detach_reset, inclusive, adaptive);
    NeuronParams p = make_params(threshold, decay, v_reset, v_rest, rho, beta);
    NeuronState st;
    if (v && a)
      st = NeuronState{*v, *a};
    else if (v)
      st = NeuronState{*v, adaptive ? spike::initial_state(x, p, spec).a : at::Tensor()};
    else
      st = spike::initial_state(x, p, spec);
    spike::StepResult r = spike::step(x, st, p, spec);
    return std::make_tuple(r.spikes, r.membrane, r.charged, r.state.v, or_none(r.state.a));
  };
  std::apply(
      [&](auto&&... args) {
        m.def("step", step, py::call_guard<py::gil_scoped_release>(),
              "One step x [B, ...]: (spikes, membrane, charged, v, a or None)", args...);
      },
      seq_args());

  m.def(
      "spike",
      [](const at::Tensor& x, const std::string& surrogate, bool inclusive) {
        return spike::spike(x, spike::Surrogate::parse(surrogate), inclusive);
      },
      py::arg("x"), py::arg("surrogate") = "rect", py::arg("inclusive") = false,
      py::call_guard<py::gil_scoped_release>(),
      "Heaviside(x) forward, the surrogate derivative backward (x = membrane - threshold)");
  m.def(
      "surrogate_grad",
      [](const at::Tensor& x, const std::string& surrogate) {
        return spike::surrogate_grad(x, spike::Surrogate::parse(surrogate));
      },
      py::arg("x"), py::arg("surrogate") = "rect", py::call_guard<py::gil_scoped_release>(),
      "The surrogate derivative at x, elementwise (no autograd)");
  m.def("surrogate_names", &spike::Surrogate::names, "Surrogate names ('rect', 'sigmoid', ...)");
  m.def(
      "parse_surrogate",
      [](const std::string& s) {
        spike::Surrogate sg = spike::Surrogate::parse(s);
        return std::make_pair(sg.name(), sg.alpha);
      },
      py::arg("spec"), "'sigmoid' or 'sigmoid:4' -> (canonical name with alpha, alpha)");
  m.def("has_fused_kernel", &spike::has_fused_kernel, py::arg("x"),
        "True when multistep() runs a fused kernel for this input");
  m.def("fused_kernel_isa", &spike::fused_kernel_isa, "Instruction set of the fused CPU kernels");
}

}  // namespace hnn::python
