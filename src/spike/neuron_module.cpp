#include "hnn/spike/neuron_module.h"

#include <torch/torch.h>

#include "hnn/core/anomaly.h"
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
  s.saved_state = saved_state_;
  return s;
}

namespace {
constexpr Param kParams[] = {Param::Threshold, Param::Decay, Param::VReset, Param::VRest, Param::Rho, Param::Beta};
}  // namespace

const char* param_name(Param p) {
  switch (p) {
    case Param::Threshold:
      return "threshold";
    case Param::Decay:
      return "decay";
    case Param::VReset:
      return "v_reset";
    case Param::VRest:
      return "v_rest";
    case Param::Rho:
      return "rho";
    case Param::Beta:
      return "beta";
  }
  return "?";
}

NeuronImpl::NeuronImpl(NeuronOptions o) : options(std::move(o)) {
  reset();
}

void NeuronImpl::reset() {
  v_rest = rho = beta = at::Tensor();
  double d = options.decay();
  if (options.decay_sigmoid()) {
    HNN_CHECK(d > 0 && d < 1, "a sigmoid-parametrised decay must lie in (0, 1), got {}", d);
    d = std::log(d / (1 - d));
  }
  set_param(Param::Threshold, torch::full(options.threshold_shape(), options.threshold()), options.learn_threshold());
  set_param(Param::Decay, torch::full(options.decay_shape(), d), options.learn_decay());
  set_param(Param::VReset, torch::scalar_tensor(options.v_reset()), options.learn_v_reset());
  if (options.charge() == Charge::LifOde)
    set_param(Param::VRest, torch::scalar_tensor(options.v_rest()), options.learn_v_rest());
  if (options.adaptive()) {
    set_param(Param::Rho, torch::scalar_tensor(options.rho()), options.learn_rho());
    set_param(Param::Beta, torch::scalar_tensor(options.beta()), options.learn_beta());
  }
  reset_state();
}

at::Tensor* NeuronImpl::slot(Param which) {
  switch (which) {
    case Param::Threshold:
      return &threshold;
    case Param::Decay:
      return &decay;
    case Param::VReset:
      return &v_reset;
    case Param::VRest:
      return &v_rest;
    case Param::Rho:
      return &rho;
    case Param::Beta:
      return &beta;
  }
  fail("unknown neuron parameter {}", (int)which);
}

const at::Tensor& NeuronImpl::param(Param which) const {
  return *const_cast<NeuronImpl*>(this)->slot(which);
}

void NeuronImpl::set_param(Param which, at::Tensor value, bool learn) {
  HNN_CHECK(value.defined(), "{}: set_param({}) needs a defined tensor", name(), param_name(which));
  HNN_CHECK(at::isFloatingType(value.scalar_type()), "{}: parameter {} must be floating point, got {}", name(),
            param_name(which), c10::toString(value.scalar_type()));
  *slot(which) = value.detach();
  learned_[(size_t)which] = learn;
  register_params();
}

void NeuronImpl::register_params() {
  // LibTorch cannot unregister a buffer, so the registrations are made afresh (in a fixed order)
  // on an empty module base; a neuron has no children.
  const bool training = is_training();
  const std::string n = name();
  static_cast<torch::nn::Module&>(*this) = torch::nn::Module(n);
  torch::nn::Module::train(training);
  for (Param which : kParams) {
    at::Tensor& t = *slot(which);
    if (!t.defined()) continue;
    t = learned_[(size_t)which] ? register_parameter(param_name(which), t) : register_buffer(param_name(which), t);
  }
}

NeuronParams NeuronImpl::params() const {
  NeuronParams p;
  p.threshold = threshold;
  if (options.charge() != Charge::If) p.decay = options.decay_sigmoid() ? torch::sigmoid(decay) : decay;
  p.v_reset = v_reset;
  if (options.charge() == Charge::LifOde) p.v_rest = v_rest;
  if (options.adaptive()) {
    p.rho = rho;
    p.beta = beta;
  }
  return p;
}

SequenceResult NeuronImpl::run(const at::Tensor& x, const Modulation& modulation) {
  SequenceResult r = run_impl(x, modulation, options.stateful());
  if (!options.stateful()) detach_state();
  return r;
}

SequenceResult NeuronImpl::run_impl(const at::Tensor& x, const Modulation& modulation, bool continue_state,
                                    int64_t t0) {
  HNN_CHECK(x.dim() >= 2, "{}: expected an input sequence [T, B, ...], got shape {}", name(), shape_str(x.sizes()));
  NeuronParams p = params();
  const NeuronParams& m = modulation.params;
  for (auto [dst, src] : {std::pair{&p.threshold, &m.threshold},
                          {&p.decay, &m.decay},
                          {&p.v_reset, &m.v_reset},
                          {&p.v_rest, &m.v_rest},
                          {&p.rho, &m.rho},
                          {&p.beta, &m.beta}})
    if (src->defined()) *dst = *src;
  NeuronState st;
  if (continue_state && state_.v.defined()) {
    check_state_shape(name(), state_, x.sizes().slice(1));
    st = state_;
  }
  bool want_v = options.output() != Output::Spikes;
  const NeuronDynamics& dyn = options.dynamics();
  // Anomaly detection records the membrane to find the first step where it stops being finite.
  const bool detect = anomaly::enabled();
  if (detect) anomaly::check(*this, "input", x, true, t0);
  const bool record_v = want_v || detect;
  SequenceResult r =
      dyn.custom() ? multistep_loop(x, st, p, spec(), dyn, record_v) : multistep(x, st, p, spec(), record_v);
  if (detect) {
    anomaly::check(*this, "membrane potential", r.membrane, true, t0);
    anomaly::check(*this, "output", r.spikes, true, t0);
    if (!want_v) r.membrane = at::Tensor();
  }
  state_ = r.state;
  last_membrane_ = r.membrane;
  return r;
}

at::Tensor NeuronImpl::forward(const at::Tensor& x, const Modulation& modulation) {
  SequenceResult r = run(x, modulation);
  return options.output() == Output::Membrane ? r.membrane : r.spikes;
}

at::Tensor NeuronImpl::step(const at::Tensor& x, const Modulation& modulation) {
  // One step is a sequence of length 1 that continues from the kept state.
  SequenceResult r = run_impl(x.unsqueeze(0), modulation, /*continue_state=*/true, steps_++);
  bool want_v = options.output() != Output::Spikes;
  last_membrane_ = want_v ? r.membrane[0] : at::Tensor();
  return options.output() == Output::Membrane ? r.membrane[0] : r.spikes[0];
}

std::shared_ptr<NeuronImpl> NeuronImpl::make_like(const NeuronOptions& o) const {
  return std::make_shared<NeuronImpl>(o);
}

std::shared_ptr<torch::nn::Module> NeuronImpl::clone(const c10::optional<c10::Device>& device) const {
  torch::NoGradGuard no_grad;
  auto copy = make_like(options);
  for (Param which : kParams) {
    const at::Tensor& t = param(which);
    if (!t.defined()) continue;
    at::Tensor data = device && t.device() != *device ? t.to(*device) : t.clone();
    copy->set_param(which, data, learned_[(size_t)which]);
  }
  copy->train(is_training());
  return copy;
}

void NeuronImpl::clone_(torch::nn::Module& other, const c10::optional<c10::Device>& device) {
  auto copy = std::dynamic_pointer_cast<NeuronImpl>(other.clone(device));
  HNN_CHECK(copy != nullptr, "{}: cannot clone a {} into a neuron", name(), other.name());
  *this = std::move(*copy);
}

void NeuronImpl::reset_state() {
  state_ = NeuronState();
  steps_ = 0;
  last_membrane_ = at::Tensor();
}

void NeuronImpl::detach_state() {
  if (state_.v.defined()) state_.v = state_.v.detach();
  if (state_.a.defined()) state_.a = state_.a.detach();
}

void NeuronImpl::pretty_print(std::ostream& os) const {
  auto sp = spec();
  os << "hnn::spike::Neuron(charge=" << (options.dynamics().custom() ? "custom" : to_string(sp.charge))
     << ", reset=" << to_string(sp.reset) << ", threshold=" << options.threshold() << ", decay=" << options.decay()
     << ", surrogate=" << sp.surrogate.name() << (sp.adaptive ? ", adaptive" : "")
     << (options.learn_threshold() ? ", learn_threshold" : "") << (options.learn_decay() ? ", learn_decay" : "") << ")";
}

}  // namespace hnn::spike
