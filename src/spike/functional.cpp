#include <ATen/record_function.h>
#include <torch/torch.h>

#include <optional>

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

std::string to_string(SavedState s) {
  return s == SavedState::BFloat16 ? "bfloat16" : "full";
}

SavedState parse_saved_state(const std::string& s) {
  for (SavedState v : {SavedState::Full, SavedState::BFloat16})
    if (to_string(v) == s) return v;
  fail("unknown saved state '{}' (expected full or bfloat16)", s);
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
    // Not detached: a learned v_reset also gets the gradient of the initial membrane.
    s.v = p.v_reset.to(step_input.scalar_type()).expand(step_input.sizes()).contiguous();
  } else {
    s.v = torch::zeros_like(step_input);
  }
  if (spec.adaptive) s.a = torch::zeros_like(step_input);
  return s;
}

StepResult step(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                const NeuronDynamics& dyn) {
  RECORD_USER_SCOPE("hnn::neuron_step");
  NeuronState st = state.v.defined() ? state : initial_state(x, p, spec);
  if (spec.adaptive && !st.a.defined()) st.a = torch::zeros_like(x);
  // Built-in parts take a parameter left undefined (its default) or given as one value on the CPU
  // without a gradient as a number: an op with a number is cheaper than one with a 0-dim tensor,
  // and terms with a zero drop out. Custom parts and adaptation get every parameter as a tensor (q).
  auto number = [](const Tensor& t, double def) -> std::optional<double> {
    if (!t.defined()) return def;
    if (t.numel() == 1 && t.device().is_cpu() && !(t.requires_grad() && at::GradMode::is_enabled()))
      return t.item<double>();
    return std::nullopt;
  };
  auto cast = [&](const Tensor& t) { return t.to(x.scalar_type()); };
  auto times = [&](const Tensor& a, const Tensor& param, double def) {
    auto n = number(param, def);
    return n ? a * *n : a * cast(param);
  };
  NeuronParams q;
  if (dyn.custom() || spec.adaptive) {
    q.threshold = param_or(p.threshold, detail::kDefaultThreshold, x);
    q.decay = param_or(p.decay, detail::kDefaultDecay, x);
    q.v_reset = param_or(p.v_reset, detail::kDefaultVReset, x);
    q.v_rest = param_or(p.v_rest, detail::kDefaultVRest, x);
    q.rho = param_or(p.rho, detail::kDefaultRho, x);
    q.beta = param_or(p.beta, detail::kDefaultBeta, x);
  }
  const Tensor& v = st.v;
  Tensor h;
  if (dyn.charge) {
    h = dyn.charge(v, x, q);
    HNN_CHECK(h.defined() && h.sizes() == x.sizes(), "custom neuron: charge returned shape {} for a step of shape {}",
              h.defined() ? shape_str(h.sizes()) : std::string("undefined"), shape_str(x.sizes()));
  } else {
    switch (spec.charge) {
      case Charge::If:
        h = v + x;
        break;
      case Charge::LifDecay:
        h = times(v, p.decay, detail::kDefaultDecay) + x;
        break;
      case Charge::LifOde: {
        auto rest = number(p.v_rest, detail::kDefaultVRest);
        h = v + times(x - (!rest ? v - cast(p.v_rest) : *rest != 0 ? v - *rest : v), p.decay, detail::kDefaultDecay);
      } break;
    }
  }
  // The threshold: a tensor (the_t) when adaptive or not a number, else the number theta.
  const auto theta = spec.adaptive ? std::nullopt : number(p.threshold, detail::kDefaultThreshold);
  Tensor the_t = spec.adaptive ? q.threshold + q.beta * st.a : theta ? Tensor() : cast(p.threshold);
  auto theta_tensor = [&] { return the_t.defined() ? the_t : torch::scalar_tensor(*theta, x.options()); };
  Tensor s;
  if (dyn.fire) {
    s = dyn.fire(h, theta_tensor(), q);
  } else {
    s = spike(the_t.defined() ? h - the_t : h - *theta, spec.surrogate, spec.inclusive);
  }
  StepResult r;
  r.spikes = s;
  r.charged = h;
  if (dyn.reset) {
    r.state.v = dyn.reset(h, s, theta_tensor(), q);
  } else {
    Tensor sr = spec.detach_reset ? s.detach() : s;
    switch (spec.reset) {
      case Reset::Hard: {
        r.state.v = h * (1 - sr);
        auto vr = number(p.v_reset, detail::kDefaultVReset);
        if (!vr)
          r.state.v = r.state.v + cast(p.v_reset) * sr;
        else if (*vr != 0)
          r.state.v = r.state.v + *vr * sr;
        break;
      }
      case Reset::Soft:
        r.state.v = the_t.defined() ? h - the_t * sr : h - *theta * sr;
        break;
      case Reset::None:
        r.state.v = h;
        break;
    }
  }
  if (spec.adaptive) r.state.a = q.rho * st.a + (1 - q.rho) * s;
  r.membrane = r.state.v;
  return r;
}

StepResult step(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec) {
  return step(x, state, p, spec, NeuronDynamics{});
}

SequenceResult multistep_loop(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                              const NeuronDynamics& dyn, bool want_membrane) {
  RECORD_USER_SCOPE("hnn::neuron_loop");
  check_sequence(x);
  const int64_t T = x.size(0);
  NeuronState st = state.v.defined() ? state : initial_state(x[0], p, spec);
  bool per_step = p.threshold.defined() && p.threshold.numel() > 1 && p.threshold.dim() == x.dim();
  // Steps as views of one unbind: its backward stacks the step gradients once (x[t] would scatter
  // each into a zero tensor of the whole sequence).
  std::vector<Tensor> xs = x.unbind(0), thetas;
  if (per_step) thetas = p.threshold.size(0) == 1 ? std::vector<Tensor>(T, p.threshold[0]) : p.threshold.unbind(0);
  std::vector<Tensor> spikes, membrane;
  spikes.reserve(T);
  for (int64_t t = 0; t < T; ++t) {
    NeuronParams pt = p;
    if (per_step) pt.threshold = thetas[t];
    StepResult r = step(xs[t], st, pt, spec, dyn);
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

SequenceResult multistep_loop(const Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                              bool want_membrane) {
  return multistep_loop(x, state, p, spec, NeuronDynamics{}, want_membrane);
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
  // The kernel has no gradient for v_reset and v_rest: learned ones take the loop.
  auto learned = [](const Tensor& t) { return t.defined() && t.requires_grad() && at::GradMode::is_enabled(); };
  if (!detail::fused_supported(x) || learned(p.v_reset) || learned(p.v_rest))
    return multistep_loop(x, state, p, spec, want_membrane);
  NeuronState st = state.v.defined() ? state : initial_state(x[0], p, spec);
  if (spec.adaptive && !st.a.defined()) st.a = torch::zeros_like(x[0]);
  return detail::fused_multistep(x, st, p, spec, want_membrane);
}

}  // namespace hnn::spike
