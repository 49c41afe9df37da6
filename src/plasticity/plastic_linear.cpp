#include "hnn/plasticity/plastic_linear.h"

#include <torch/torch.h>

#include "hnn/core/anomaly.h"

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::plasticity {
namespace {

at::Tensor uniform(torch::IntArrayRef shape, const Range& r) {
  return torch::empty(shape).uniform_(r.first, std::max(r.first, r.second));
}

// The layer's LIF neuron in hnn::spike terms.
spike::NeuronSpec neuron_spec(const PlasticLinearOptions& o) {
  spike::NeuronSpec spec;
  spec.charge = spike::Charge::LifDecay;
  spec.reset = o.reset();
  spec.surrogate = o.surrogate();
  return spec;
}

spike::NeuronParams neuron_params(const PlasticLinearOptions& o, const at::TensorOptions& t) {
  spike::NeuronParams np;
  np.threshold = torch::full({}, o.threshold(), t);
  np.decay = torch::full({}, o.decay(), t);
  return np;
}

}  // namespace

PlasticLinearImpl::PlasticLinearImpl(PlasticLinearOptions o) : options(std::move(o)) {
  reset();
}

void PlasticLinearImpl::reset() {
  const auto& o = options;
  HNN_CHECK(o.in_features() > 0 && o.out_features() > 0, "PlasticLinear: features must be positive, got {} -> {}",
            o.in_features(), o.out_features());
  HNN_CHECK(o.threshold() > 0, "PlasticLinear: threshold must be positive, got {}", o.threshold());
  HNN_CHECK(o.trace().decay >= 0 && o.trace().decay <= 1, "PlasticLinear: trace decay must be in [0, 1], got {}",
            o.trace().decay);
  HNN_CHECK(o.reset() != spike::Reset::None, "PlasticLinear: the neuron needs a soft or hard reset");
  const int64_t in = o.in_features(), out = o.out_features();
  weight = register_parameter("weight", torch::empty({out, in}));
  bias = o.bias() ? register_parameter("bias", torch::empty({out})) : at::Tensor();
  const bool convex = o.combine() == Combine::Convex;
  alpha = register_parameter("alpha", convex ? torch::empty({in, out}) : torch::empty({}));
  const bool softmax = o.rule() == Rule::SoftmaxHebb;
  beta = register_parameter("beta", torch::empty({softmax ? out : in}));
  eta = register_parameter("eta", softmax ? torch::empty({}) : torch::empty({out}));
  trace = register_buffer("trace", torch::zeros({in, out}));
  reset_parameters();
}

void PlasticLinearImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  // LibTorch's (and PyTorch's) Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.in_features()));
  weight.uniform_(-bound, bound);
  if (bias.defined()) bias.uniform_(-bound, bound);
  alpha.copy_(uniform(alpha.sizes(), options.alpha_init()));
  beta.copy_(uniform(beta.sizes(), options.beta_init()));
  eta.copy_(uniform(eta.sizes(), options.eta_init()));
  trace.zero_();
}

PlasticState PlasticLinearImpl::initial_state() const {
  PlasticState s;
  if (options.rule() == Rule::None) return s;
  s.trace = options.persistent() ? trace.clone() : torch::zeros_like(trace);
  return s;
}

PlasticStep PlasticLinearImpl::step(const at::Tensor& p, const PlasticState& state, const at::Tensor& extra,
                                    const at::Tensor& mask) const {
  const auto& o = options;
  const Rule rule = o.rule();
  HNN_CHECK(rule == Rule::None || state.trace.defined(),
            "PlasticLinear: the state has no trace (start windows from initial_state())");
  at::Tensor i =
      plastic_current(p, weight, bias, rule == Rule::None ? at::Tensor() : state.trace, alpha, mask, o.combine());
  if (extra.defined()) i = i + extra;
  spike::StepResult n = spike::step(i, state.neuron, neuron_params(o, i.options()), neuron_spec(o));
  PlasticStep r;
  r.spikes = n.spikes;
  r.membrane = n.charged;
  r.state.neuron = n.state;
  switch (rule) {
    case Rule::None:
      break;
    case Rule::Stdp: {
      StdpStep d = stdp_step(p, n.spikes, state.stdp, o.stdp());
      r.state.stdp = d.traces;
      r.state.trace = decay_and_clamp(state.trace, d.delta, o.trace());
      break;
    }
    default:
      r.state.trace = hebbian_update(state.trace, p, n.charged, beta, eta, o.threshold(), rule, o.trace());
  }
  return r;
}

PlasticSequence PlasticLinearImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  HNN_CHECK(x.dim() == 3 && x.size(2) == options.in_features(), "PlasticLinear: expected input [T, B, {}], got {}",
            options.in_features(), shape_str(x.sizes()));
  PlasticState st = initial_state();
  std::vector<at::Tensor> spikes, membrane;
  for (const at::Tensor& xt : x.unbind(0)) {
    PlasticStep r = step(xt, st, {}, mask);
    spikes.push_back(r.spikes);
    membrane.push_back(r.membrane);
    st = std::move(r.state);
  }
  end_window(st);
  PlasticSequence out;
  const int64_t b = x.size(1), n = options.out_features();
  out.spikes = spikes.empty() ? torch::empty({0, b, n}, x.options()) : torch::stack(spikes);
  out.membrane = membrane.empty() ? torch::empty({0, b, n}, x.options()) : torch::stack(membrane);
  out.state = std::move(st);
  if (anomaly::enabled()) {
    anomaly::check(*this, "input", x, true);
    anomaly::check(*this, "membrane potential", out.membrane, true);
  }
  return out;
}

PlasticSequence PlasticLinearImpl::forward_scaled(const at::Tensor& x, const std::vector<double>& scale,
                                                  const at::Tensor& mask) {
  const auto& o = options;
  HNN_CHECK(x.dim() == 2 && x.size(1) == o.in_features(), "PlasticLinear: expected input [B, {}], got {}",
            o.in_features(), shape_str(x.sizes()));
  const Rule rule = o.rule();
  const bool hebb = rule == Rule::TanhHebb || (rule == Rule::AntiHebb && o.trace().clamp <= 0);
  PlasticState st = initial_state();
  const bool traced = rule != Rule::None;
  bool fast = (hebb || !traced) && o.combine() == Combine::Additive && !scale.empty();
  double scale_sum = 0;
  for (double d : scale) scale_sum += std::abs(d);
  if (fast && rule == Rule::TanhHebb && o.trace().clamp > 0) {
    // |H_t| <= |H_0| + sum_t |dH_t| and |dH_t[i, j]| <= |scale_t| / B sum_b |beta_i x_bi| (|tanh| <= 1).
    torch::NoGradGuard no_grad;
    auto bound = st.trace.abs().amax(1) + beta.abs() * x.abs().mean(0) * scale_sum;
    fast = bound.max().item<double>() <= o.trace().clamp;
  }
  if (!fast) {
    std::vector<at::Tensor> steps;
    for (double d : scale) steps.push_back(x * d);
    HNN_CHECK(!steps.empty(), "PlasticLinear: forward_scaled needs at least one step");
    return forward(torch::stack(steps), mask);
  }
  const int64_t B = x.size(0);
  const double sign = hebbian_sign(rule);
  const at::Tensor a = x.mm(weight.t());  // [B, N_out], the global part unscaled
  at::Tensor bx, gram, r, q_sum;
  if (traced) {
    bx = hebbian_pre_scale(beta, rule, o.trace()) * x;  // [B, N_in]
    gram = bx.mm(x.t()) * (sign / B);                   // [B, B]
    r = x.mm(st.trace);                                 // X H_{t-1}
    q_sum = torch::zeros({B, o.out_features()}, x.options());
  }
  const spike::NeuronSpec spec = neuron_spec(o);
  const spike::NeuronParams np = neuron_params(o, x.options());
  const double k = o.trace().decay;
  std::vector<at::Tensor> spikes, membrane;
  spike::NeuronState ns;
  for (double d : scale) {
    at::Tensor i = (traced ? a + alpha * r : a) * d;
    if (bias.defined()) i = i + bias;
    spike::StepResult n = spike::step(i, ns, np, spec);
    ns = n.state;
    spikes.push_back(n.spikes);
    membrane.push_back(n.charged);
    if (!traced) continue;
    const at::Tensor post = hebbian_post(n.charged, eta, o.threshold(), rule);
    r = r * k + gram.mm(post) * d;
    q_sum = q_sum * k + post * d;
  }
  // H_T = k^T H_0 + (sign / B) (beta * X)^T sum_t k^(T-1-t) scale_t Q_t.
  if (traced) st.trace = st.trace * std::pow(k, static_cast<double>(scale.size())) + bx.t().mm(q_sum) * (sign / B);
  st.neuron = ns;
  end_window(st);
  PlasticSequence out;
  out.spikes = torch::stack(spikes);
  out.membrane = torch::stack(membrane);
  out.state = std::move(st);
  return out;
}

void PlasticLinearImpl::end_window(const PlasticState& final_state) {
  if (!options.persistent() || !is_training() || !final_state.trace.defined()) return;
  torch::NoGradGuard no_grad;
  trace.copy_(final_state.trace.detach());
}

void PlasticLinearImpl::freeze_global(bool local) {
  weight.set_requires_grad(false);
  if (bias.defined()) bias.set_requires_grad(false);
  if (local)
    for (auto* t : {&alpha, &beta, &eta}) t->set_requires_grad(false);
}

bool is_local_parameter(const std::string& name) {
  const auto dot = name.rfind('.');
  const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
  return last == "alpha" || last == "beta" || last == "eta";
}

ParameterSplit split_parameters(const torch::nn::Module& model) {
  ParameterSplit s;
  for (const auto& kv : model.named_parameters()) {
    if (!kv.value().requires_grad()) continue;
    (is_local_parameter(kv.key()) ? s.local : s.global).push_back(kv.value());
  }
  return s;
}

}  // namespace hnn::plasticity
