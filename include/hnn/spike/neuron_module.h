// NeuronImpl: a torch::nn::Module that owns a neuron's parameters (threshold, decay, ...) and
// state and calls the functional/fused code of neuron.h. forward() takes a sequence [T, B, ...]
// and returns spikes (or membrane) [T, B, ...]; step() takes one step [B, ...].
//   Lif lif(NeuronOptions::lif(2.0));
//   auto s = lif(x);                                       // x [T, B, N]
//   auto s2 = lif(x, Modulation().threshold(theta));       // a modulated threshold for this call
//   lif->set_param(Param::VRest, torch::zeros({N}), /*learn=*/true);
#pragma once
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/common.h>
#include <torch/nn/modules/container/any_value.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <vector>

#include "hnn/spike/neuron.h"
#include "hnn/spike/stateful.h"

namespace hnn::spike {

enum class Output { Spikes, Membrane, Both };

// The six neuron parameters (NeuronParams' fields), by name: "threshold", "decay", "v_reset",
// "v_rest", "rho", "beta".
enum class Param { Threshold, Decay, VReset, VRest, Rho, Beta };
const char* param_name(Param p);

// Parameters replaced for one forward() or run() call, e.g. a threshold computed by a modulation
// hybrid unit: lif(x, Modulation().threshold(theta)). Fields left undefined keep the module's
// own. Each field may be a scalar, per neuron [N...] or broadcast ([C, 1, 1]); a threshold with
// as many dimensions as the input [T, B, ...] varies per step. Gradients reach whatever computed
// them.
struct Modulation {
  Modulation() = default;
  Modulation(NeuronParams p) : params(std::move(p)) {}  // NOLINT: implicit, NeuronParams reads as a modulation
  Modulation& threshold(at::Tensor t) { return set(params.threshold, std::move(t)); }
  Modulation& decay(at::Tensor t) { return set(params.decay, std::move(t)); }
  Modulation& v_reset(at::Tensor t) { return set(params.v_reset, std::move(t)); }
  Modulation& v_rest(at::Tensor t) { return set(params.v_rest, std::move(t)); }
  Modulation& rho(at::Tensor t) { return set(params.rho, std::move(t)); }
  Modulation& beta(at::Tensor t) { return set(params.beta, std::move(t)); }
  NeuronParams params;

 private:
  Modulation& set(at::Tensor& field, at::Tensor t) {
    field = std::move(t);
    return *this;
  }
};

struct NeuronOptions {
  NeuronOptions& tau(double t);  // LifOde time constant: decay = 1 / t

  static NeuronOptions integrate_and_fire();
  static NeuronOptions lif(double tau = 2.0);          // ODE form
  static NeuronOptions lif_decay(double decay = 0.5);  // the reference systems' form
  static NeuronOptions plif(double init_tau = 2.0);    // learnable tau
  static NeuronOptions alif(double tau = 2.0, double rho = 0.9, double beta = 0.5);

  NeuronSpec spec() const;

  TORCH_ARG(Charge, charge) = Charge::LifDecay;
  TORCH_ARG(Reset, reset) = Reset::Hard;
  TORCH_ARG(bool, detach_reset) = false;
  TORCH_ARG(bool, inclusive) = false;
  TORCH_ARG(bool, adaptive) = false;
  TORCH_ARG(Surrogate, surrogate) = Surrogate{};
  TORCH_ARG(SavedState, saved_state) = SavedState::Full;  // BFloat16: half the saved training state
  // forward() returns spikes (Spikes, Both) or membrane (Membrane); with Both the membrane is
  // kept in last_membrane().
  TORCH_ARG(Output, output) = Output::Spikes;
  TORCH_ARG(double, threshold) = 1.0;
  // LifDecay: the factor d; LifOde: k = 1/tau (see tau()); with decay_sigmoid the parameter
  // stored is logit(k) and k = sigmoid(parameter) (PLIF).
  TORCH_ARG(double, decay) = 0.5;
  TORCH_ARG(double, v_reset) = 0.0;
  TORCH_ARG(double, v_rest) = 0.0;
  TORCH_ARG(double, rho) = 0.9;
  TORCH_ARG(double, beta) = 0.5;
  // Shapes of the threshold and decay tensors, broadcast against the state [B, ...]: {} for a
  // scalar, {C, 1, 1} per channel of a [B, C, H, W] map, {F} per feature of [B, F].
  TORCH_ARG(std::vector<int64_t>, threshold_shape) = {};
  TORCH_ARG(std::vector<int64_t>, decay_shape) = {};
  // Which parameters are learned (torch parameters); the others are buffers (saved with the
  // model, not learned). set_param() replaces any of them later by a tensor of another shape.
  TORCH_ARG(bool, learn_threshold) = false;
  TORCH_ARG(bool, learn_decay) = false;
  TORCH_ARG(bool, learn_v_reset) = false;  // learned v_reset / v_rest run the per-step loop (see docs/spiking.md)
  TORCH_ARG(bool, learn_v_rest) = false;
  TORCH_ARG(bool, learn_rho) = false;
  TORCH_ARG(bool, learn_beta) = false;
  TORCH_ARG(bool, decay_sigmoid) = false;
  // A custom neuron: charge (and optionally fire and reset) as functions; see neuron.h. Runs the
  // per-step loop with autograd instead of a fused kernel.
  TORCH_ARG(NeuronDynamics, dynamics) = NeuronDynamics{};
  // forward() continues from the previous call's state instead of starting afresh.
  TORCH_ARG(bool, stateful) = false;
};

class NeuronImpl : public torch::nn::Module, public Stateful {
 public:
  explicit NeuronImpl(NeuronOptions options = {});

  // x [T, B, ...] -> spikes or membrane [T, B, ...]; `modulation` replaces parameters for this call.
  at::Tensor forward(const at::Tensor& x, const Modulation& modulation = {});
  // One step x [B, ...] -> [B, ...]; always continues from (and keeps) the state.
  at::Tensor step(const at::Tensor& x, const Modulation& modulation = {});
  // Like forward() but returns spikes, membrane (when the output asks for it) and state.
  SequenceResult run(const at::Tensor& x, const Modulation& modulation = {});

  // The parameters as the functional code sees them (decay after the sigmoid for PLIF).
  NeuronParams params() const;
  // A parameter's tensor as stored in the module (for PLIF's decay: the logit).
  const at::Tensor& param(Param which) const;
  // Replaces a parameter by `value` (a scalar, per channel [C, 1, 1], per neuron, ...: anything
  // that broadcasts against the state [B, ...]), registered as a learned parameter (learn) or a
  // buffer. E.g. per-neuron learnable resting potentials: set_param(Param::VRest, zeros({N}), true).
  void set_param(Param which, at::Tensor value, bool learn);

  NeuronSpec spec() const { return options.spec(); }
  const NeuronState& state() const { return state_; }
  void set_state(NeuronState s) { state_ = std::move(s); }
  const at::Tensor& last_membrane() const { return last_membrane_; }

  // LibTorch's reset(): (re)creates the parameters from the options (and clears the state).
  void reset();
  // A deep copy with its own parameters (on `device` if given); the state is not copied. A named
  // neuron's clone has its type (a Lif clones to a Lif).
  std::shared_ptr<torch::nn::Module> clone(const c10::optional<c10::Device>& device = c10::nullopt) const override;

  void reset_state() override;
  void detach_state() override;
  void pretty_print(std::ostream& stream) const override;

  NeuronOptions options;
  at::Tensor threshold;  // parameter or buffer of shape threshold_shape
  at::Tensor decay;      // parameter or buffer of shape decay_shape (logit when decay_sigmoid)
  at::Tensor v_reset;    // parameter or buffer (scalar unless set_param gave another shape)
  at::Tensor v_rest;     // LifOde only (undefined otherwise)
  at::Tensor rho, beta;  // adaptive only (undefined otherwise)

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, torch::nn::AnyValue(Modulation())})
  // A fresh neuron of this one's type from `o` (overridden by the named neurons).
  virtual std::shared_ptr<NeuronImpl> make_like(const NeuronOptions& o) const;

 private:
  // Cloneable children: a parent's clone() copies this neuron into its fresh child.
  void clone_(torch::nn::Module& other, const c10::optional<c10::Device>& device) override;
  at::Tensor* slot(Param which);
  void register_params();
  std::array<bool, 6> learned_{};  // per Param: a parameter (true) or a buffer
  // t0: the time step of x's first step (for anomaly reports; -1 within a forward() call).
  SequenceResult run_impl(const at::Tensor& x, const Modulation& modulation, bool continue_state, int64_t t0 = -1);

  NeuronState state_;
  int64_t steps_ = 0;  // step() calls since the state was reset
  at::Tensor last_membrane_;
};
TORCH_MODULE(Neuron);

}  // namespace hnn::spike
