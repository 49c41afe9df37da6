#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/spike/neuron.h"
#include "spike/cpu/neuron_kernel.h"
#include "spike/fused.h"

namespace hnn::spike {
namespace {

using at::Tensor;

Tensor param_or(const Tensor& p, double def, const Tensor& like) {
  return p.defined() ? p.to(like.scalar_type()) : torch::scalar_tensor(def, like.options());
}

void check_sequence(const Tensor& x) {
  HNN_CHECK(x.defined() && x.dim() >= 2, "a neuron sequence input must be [T, B, ...] (at least 2-D), got shape {}",
            x.defined() ? shape_str(x.sizes()) : std::string("undefined"));
}

}  // namespace

std::string to_string(Charge c) {
  switch (c) {
    case Charge::If:
      return "if";
    case Charge::LifOde:
      return "lif_ode";
    case Charge::LifDecay:
      return "lif_decay";
  }
  return "?";
}

std::string to_string(Reset r) {
  switch (r) {
    case Reset::Hard:
      return "hard";
    case Reset::Soft:
      return "soft";
    case Reset::None:
      return "none";
  }
  return "?";
}

Charge parse_charge(const std::string& s) {
  for (Charge c : {Charge::If, Charge::LifOde, Charge::LifDecay})
    if (to_string(c) == s) return c;
  fail("unknown neuron charge '{}' (expected if, lif_ode or lif_decay)", s);
}

Reset parse_reset(const std::string& s) {
  for (Reset r : {Reset::Hard, Reset::Soft, Reset::None})
    if (to_string(r) == s) return r;
  fail("unknown reset mode '{}' (expected hard, soft or none)", s);
}

NeuronState initial_state(const Tensor& step_input, const NeuronParams& p, const NeuronSpec& spec) {
  NeuronState s;
  if (p.v_reset.defined()) {
    s.v = p.v_reset.detach().to(step_input.scalar_type()).expand(step_input.sizes()).contiguous();
  } else {
    s.v = torch::zeros_like(step_input);
  }
  if (spec.adaptive) s.a = torch::zeros_like(step_input);
  return s;
}

StepResult step(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec) {
  NeuronState st = state.v.defined() ? state : initial_state(x, p, spec);
  if (spec.adaptive && !st.a.defined()) st.a = torch::zeros_like(x);
  Tensor th = param_or(p.threshold, detail::kDefaultThreshold, x);
  Tensor d = param_or(p.decay, detail::kDefaultDecay, x);
  Tensor vr = param_or(p.v_reset, detail::kDefaultVReset, x);
  Tensor vrest = param_or(p.v_rest, detail::kDefaultVRest, x);
  const Tensor& v = st.v;
  Tensor h;
  switch (spec.charge) {
    case Charge::If:
      h = v + x;
      break;
    case Charge::LifDecay:
      h = d * v + x;
      break;
    case Charge::LifOde:
      h = v + (x - (v - vrest)) * d;
      break;
  }
  Tensor the = th;
  if (spec.adaptive) the = th + param_or(p.beta, detail::kDefaultBeta, x) * st.a;
  Tensor s = spike(h - the, spec.surrogate, spec.inclusive);
  Tensor sr = spec.detach_reset ? s.detach() : s;
  StepResult r;
  r.spikes = s;
  switch (spec.reset) {
    case Reset::Hard:
      r.state.v = h * (1 - sr) + vr * sr;
      break;
    case Reset::Soft:
      r.state.v = h - the * sr;
      break;
    case Reset::None:
      r.state.v = h;
      break;
  }
  if (spec.adaptive) {
    Tensor rho = param_or(p.rho, detail::kDefaultRho, x);
    r.state.a = rho * st.a + (1 - rho) * s;
  }
  r.membrane = r.state.v;
  return r;
}

SequenceResult multistep_loop(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                              bool want_membrane) {
  check_sequence(x);
  const int64_t T = x.size(0);
  NeuronState st = state.v.defined() ? state : initial_state(x[0], p, spec);
  bool per_step = p.threshold.defined() && p.threshold.numel() > 1 && p.threshold.dim() == x.dim();
  std::vector<Tensor> spikes, membrane;
  spikes.reserve(T);
  for (int64_t t = 0; t < T; ++t) {
    NeuronParams pt = p;
    if (per_step) pt.threshold = p.threshold.size(0) == 1 ? p.threshold[0] : p.threshold[t];
    StepResult r = step(x[t], st, pt, spec);
    spikes.push_back(r.spikes);
    if (want_membrane) membrane.push_back(r.membrane);
    st = r.state;
  }
  SequenceResult out;
  out.spikes = T > 0 ? torch::stack(spikes) : torch::empty_like(x);
  if (want_membrane) out.membrane = T > 0 ? torch::stack(membrane) : torch::empty_like(x);
  out.state = st;
  return out;
}

bool has_fused_kernel(const Tensor& x) {
  return detail::fused_supported(x);
}

const char* fused_kernel_isa() {
  return cpu::kernel_isa();
}

SequenceResult multistep(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                         bool want_membrane) {
  check_sequence(x);
  if (!detail::fused_supported(x)) return multistep_loop(x, state, p, spec, want_membrane);
  NeuronState st = state.v.defined() ? state : initial_state(x[0], p, spec);
  if (spec.adaptive && !st.a.defined()) st.a = torch::zeros_like(x[0]);
  return detail::fused_multistep(x, st, p, spec, want_membrane);
}

}  // namespace hnn::spike
