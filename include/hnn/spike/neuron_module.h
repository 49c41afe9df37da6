// NeuronImpl: a torch::nn::Module that owns a neuron's parameters (threshold, decay, ...) and
// state and calls the functional/fused code of neuron.h. forward() takes a sequence [T, B, ...]
// and returns spikes (or membrane) [T, B, ...]; step() takes one step [B, ...].
#pragma once
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "hnn/spike/neuron.h"
#include "hnn/spike/stateful.h"

namespace hnn::spike {

enum class Output { Spikes, Membrane, Both };

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
  TORCH_ARG(bool, learn_threshold) = false;
  TORCH_ARG(bool, learn_decay) = false;
  TORCH_ARG(bool, decay_sigmoid) = false;
  // forward() continues from the previous call's state instead of starting afresh.
  TORCH_ARG(bool, stateful) = false;
};

class NeuronImpl : public torch::nn::Module, public Stateful {
 public:
  explicit NeuronImpl(NeuronOptions options = {});

  // x [T, B, ...] -> spikes or membrane [T, B, ...].
  at::Tensor forward(const at::Tensor& x);
  // One step x [B, ...] -> [B, ...]; always continues from (and keeps) the state.
  at::Tensor step(const at::Tensor& x);
  // Like forward() but with some parameters replaced (defined fields of `modulated`, e.g. a
  // threshold computed by a modulation hybrid unit). Returns spikes, membrane and state.
  SequenceResult run(const at::Tensor& x, const NeuronParams& modulated = {});

  // The parameters as the functional code sees them (decay after the sigmoid for PLIF).
  NeuronParams params() const;
  NeuronSpec spec() const { return options.spec(); }
  const NeuronState& state() const { return state_; }
  void set_state(NeuronState s) { state_ = std::move(s); }
  const at::Tensor& last_membrane() const { return last_membrane_; }

  void reset_state() override;
  void detach_state() override;
  void pretty_print(std::ostream& stream) const override;

  NeuronOptions options;
  at::Tensor threshold;  // parameter or buffer of shape threshold_shape
  at::Tensor decay;      // parameter or buffer of shape decay_shape (logit when decay_sigmoid)

 private:
  NeuronState state_;
  at::Tensor last_membrane_;
};
TORCH_MODULE(Neuron);

}  // namespace hnn::spike
