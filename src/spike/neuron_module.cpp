#include "hnn/spike/neuron_module.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::spike {
namespace {

// A kept state continues only into steps of its own shape: anything else is a new batch, which
// must start from a reset state (silently restarting would hide a bug in the caller).
void check_state_shape(const std::string& name, const NeuronState& state, at::IntArrayRef step_shape) {
  HNN_CHECK(state.v.sizes() == step_shape,
            "{}: the state kept from the previous call is {} but this input's steps are {}; call reset_state() "
            "(or spike::reset_states(model)) before a sequence of another batch shape",
            name, shape_str(state.v.sizes()), shape_str(step_shape));
}

}  // namespace

NeuronOptions& NeuronOptions::tau(double t) {
  HNN_CHECK(t > 0, "tau must be positive, got {}", t);
  decay_ = 1.0 / t;
  return *this;
}

NeuronOptions NeuronOptions::integrate_and_fire() {
  return NeuronOptions().charge(Charge::If);
}
NeuronOptions NeuronOptions::lif(double tau) {
  return NeuronOptions().charge(Charge::LifOde).tau(tau);
}
NeuronOptions NeuronOptions::lif_decay(double d) {
  return NeuronOptions().charge(Charge::LifDecay).decay(d);
}
NeuronOptions NeuronOptions::plif(double init_tau) {
  return NeuronOptions().charge(Charge::LifOde).tau(init_tau).learn_decay(true).decay_sigmoid(true);
}
NeuronOptions NeuronOptions::alif(double tau, double rho, double beta) {
  return NeuronOptions().charge(Charge::LifOde).tau(tau).adaptive(true).rho(rho).beta(beta);
}

NeuronSpec NeuronOptions::spec() const {
  NeuronSpec s;
  s.charge = charge_;
  s.reset = reset_;
  s.detach_reset = detach_reset_;
  s.inclusive = inclusive_;
  s.adaptive = adaptive_;
  s.surrogate = surrogate_;
  return s;
}

NeuronImpl::NeuronImpl(NeuronOptions o) : options(std::move(o)) {
  double d = options.decay();
  if (options.decay_sigmoid()) {
    HNN_CHECK(d > 0 && d < 1, "a sigmoid-parametrised decay must lie in (0, 1), got {}", d);
    d = std::log(d / (1 - d));
  }
  threshold = torch::full(options.threshold_shape(), options.threshold());
  decay = torch::full(options.decay_shape(), d);
  if (options.learn_threshold()) {
    threshold = register_parameter("threshold", threshold);
  } else {
    threshold = register_buffer("threshold", threshold);
  }
  if (options.learn_decay()) {
    decay = register_parameter("decay", decay);
  } else {
    decay = register_buffer("decay", decay);
  }
}

NeuronParams NeuronImpl::params() const {
  NeuronParams p;
  p.threshold = threshold;
  if (options.charge() != Charge::If) p.decay = options.decay_sigmoid() ? torch::sigmoid(decay) : decay;
  if (options.v_reset() != 0) p.v_reset = torch::scalar_tensor(options.v_reset(), threshold.options());
  if (options.v_rest() != 0) p.v_rest = torch::scalar_tensor(options.v_rest(), threshold.options());
  if (options.adaptive()) {
    p.rho = torch::scalar_tensor(options.rho(), threshold.options());
    p.beta = torch::scalar_tensor(options.beta(), threshold.options());
  }
  return p;
}

SequenceResult NeuronImpl::run(const at::Tensor& x, const NeuronParams& modulated) {
  HNN_CHECK(x.dim() >= 2, "{}: expected an input sequence [T, B, ...], got shape {}", name(), shape_str(x.sizes()));
  NeuronParams p = params();
  for (auto [dst, src] : {std::pair{&p.threshold, &modulated.threshold},
                          {&p.decay, &modulated.decay},
                          {&p.v_reset, &modulated.v_reset},
                          {&p.v_rest, &modulated.v_rest},
                          {&p.rho, &modulated.rho},
                          {&p.beta, &modulated.beta}})
    if (src->defined()) *dst = *src;
  NeuronState st;
  if (options.stateful() && state_.v.defined()) {
    check_state_shape(name(), state_, x.sizes().slice(1));
    st = state_;
  }
  bool want_v = options.output() != Output::Spikes;
  SequenceResult r = multistep(x, st, p, spec(), want_v);
  state_ = r.state;
  if (!options.stateful()) detach_state();
  last_membrane_ = r.membrane;
  return r;
}

at::Tensor NeuronImpl::forward(const at::Tensor& x) {
  SequenceResult r = run(x);
  return options.output() == Output::Membrane ? r.membrane : r.spikes;
}

at::Tensor NeuronImpl::step(const at::Tensor& x) {
  NeuronState st;
  if (state_.v.defined()) {
    check_state_shape(name(), state_, x.sizes());
    st = state_;
  }
  bool want_v = options.output() != Output::Spikes;
  SequenceResult r = multistep(x.unsqueeze(0), st, params(), spec(), want_v);
  state_ = r.state;
  last_membrane_ = want_v ? r.membrane[0] : at::Tensor();
  return options.output() == Output::Membrane ? r.membrane[0] : r.spikes[0];
}

void NeuronImpl::reset_state() {
  state_ = NeuronState();
  last_membrane_ = at::Tensor();
}

void NeuronImpl::detach_state() {
  if (state_.v.defined()) state_.v = state_.v.detach();
  if (state_.a.defined()) state_.a = state_.a.detach();
}

void NeuronImpl::pretty_print(std::ostream& os) const {
  auto sp = spec();
  os << "hnn::spike::Neuron(charge=" << to_string(sp.charge) << ", reset=" << to_string(sp.reset)
     << ", threshold=" << options.threshold() << ", decay=" << options.decay() << ", surrogate=" << sp.surrogate.name()
     << (sp.adaptive ? ", adaptive" : "") << (options.learn_threshold() ? ", learn_threshold" : "")
     << (options.learn_decay() ? ", learn_decay" : "") << ")";
}

}  // namespace hnn::spike
