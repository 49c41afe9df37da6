// A plastic spiking linear layer: slow weight W (global plasticity, trained by backprop through
// time) plus a fast local trace H (hebbian.h, stdp.h) feeding LIF neurons of hnn::spike, the
// layer of Wu et al. 2022's hybrid-plasticity networks. One module covers the paper's modes:
//   GP: rule None (plain spiking linear layer);  LP: a rule, with W frozen (freeze_global());
//   HP: a rule and W both trained, combined Additive, Masked or Convex.
// Steps: input p_t [B, N_in] -> spikes and membrane [B, N_out]; the trace is [N_in, N_out].
// The neuron is spike::step's LifDecay neuron (u_t = decay u_{t-1} + I_t, threshold, soft or
// hard reset, surrogate default the box of width 1): the membrane the trace sees is u_t after
// charging and before the reset, as in the reference.
//
//   plasticity::PlasticLinear fc(plasticity::PlasticLinearOptions(784, 512).threshold(0.35)
//                                    .decay(0.4).trace(plasticity::TraceOptions{0.95, 4.0}));
//   auto st = fc->initial_state(batch);
//   for (t...) { auto r = fc->step(x * plasticity::attenuation(t, 40), st); st = r.state; }
//   fc->end_window(st);  // keeps the detached trace for the next batch when persistent
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <utility>
#include <vector>

#include "hnn/plasticity/hebbian.h"
#include "hnn/plasticity/stdp.h"
#include "hnn/spike/neuron.h"

namespace hnn::plasticity {

using Range = std::pair<double, double>;  // uniform initialisation in [first, second]

struct PlasticLinearOptions {
  PlasticLinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;  // Masked and Convex layers have none in the reference
  TORCH_ARG(Rule, rule) = Rule::TanhHebb;
  TORCH_ARG(Combine, combine) = Combine::Additive;
  TORCH_ARG(TraceOptions, trace) = {};
  TORCH_ARG(StdpOptions, stdp) = {};
  // Training windows carry the final trace (detached) into the next forward; evaluation windows
  // start from it and discard theirs. Off: the trace starts at zero every window.
  TORCH_ARG(bool, persistent) = false;
  // The LIF neuron.
  TORCH_ARG(double, threshold) = 0.5;
  TORCH_ARG(double, decay) = 0.5;
  TORCH_ARG(spike::Reset, reset) = spike::Reset::Soft;
  TORCH_ARG(spike::Surrogate, surrogate) = {};
  // Initial values of the local parameters (uniform); a point range gives a constant.
  // alpha: a scalar (Additive, Masked) or [N_in, N_out] (Convex).
  TORCH_ARG(Range, alpha_init) = Range(0.0, 0.01);
  TORCH_ARG(Range, beta_init) = Range(0.0, 0.01);
  TORCH_ARG(Range, eta_init) = Range(0.0, 0.01);
};

struct PlasticState {
  spike::NeuronState neuron;  // undefined: the neuron's initial state
  at::Tensor trace;           // H [N_in, N_out]; undefined under Rule::None
  StdpTraces stdp;            // Rule::Stdp only
};

struct PlasticStep {
  at::Tensor spikes;    // [B, N_out]
  at::Tensor membrane;  // u_t after charging, before the reset [B, N_out]
  PlasticState state;
};

struct PlasticSequence {
  at::Tensor spikes;    // [T, B, N_out]
  at::Tensor membrane;  // [T, B, N_out], before the reset
  PlasticState state;
};

class PlasticLinearImpl : public torch::nn::Cloneable<PlasticLinearImpl> {
 public:
  explicit PlasticLinearImpl(PlasticLinearOptions options);
  PlasticLinearImpl(int64_t in_features, int64_t out_features)
      : PlasticLinearImpl(PlasticLinearOptions(in_features, out_features)) {}
  void reset() override;
  // Re-draws W and b (LibTorch's Linear initialisation) and the local parameters, zeroes the trace.
  void reset_parameters();

  // The state a window starts from: the kept trace when persistent, else zeros.
  PlasticState initial_state() const;
  // One step: the current from p [B, N_in] (plus `extra` [B, N_out], e.g. a label current), the
  // neuron, then the trace update. mask [N_in, N_out] for Combine::Masked.
  PlasticStep step(const at::Tensor& p, const PlasticState& state, const at::Tensor& extra = {},
                   const at::Tensor& mask = {}) const;
  // A window [T, B, N_in] from initial_state(), then end_window().
  PlasticSequence forward(const at::Tensor& x, const at::Tensor& mask = {});
  // A window whose input is one vector x [B, N_in] scaled per step, p_t = scale[t] x (a static
  // image under direct coding with input attenuation). The same values and gradients as
  // forward() on the stacked sequence; for the additive tanh-Hebb rule whose clamp cannot be
  // reached in this window (checked from a bound), and the anti-Hebb rule without clamp, it runs
  // the trace in the batch's span: with G = (beta * X) X^T [B, B], X H_t = k X H_{t-1} +
  // (scale_t / B) G Q_t, so no [N_in, N_out] product is needed per step (16x fewer operations
  // for the demo's first layer).
  PlasticSequence forward_scaled(const at::Tensor& x, const std::vector<double>& scale, const at::Tensor& mask = {});
  // After a window: a persistent layer in training mode keeps the detached final trace.
  void end_window(const PlasticState& final_state);

  // LP: W and b keep their initial values (no gradients), the local parameters too when
  // `local` is set (the reference's random-projection first layer).
  void freeze_global(bool local = false);

  PlasticLinearOptions options;
  at::Tensor weight;  // [N_out, N_in]     (global)
  at::Tensor bias;    // [N_out] or undefined
  at::Tensor alpha;   // [] or [N_in, N_out] (local)
  at::Tensor beta;    // [N_in] (Hebb), [N_out] (SoftmaxHebb)
  at::Tensor eta;     // [N_out] (Hebb), [] (SoftmaxHebb)
  at::Tensor trace;   // buffer [N_in, N_out]: the kept trace of a persistent layer
};
TORCH_MODULE(PlasticLinear);

// The names of the local ("meta") parameters of a plastic layer: alpha, beta, eta.
bool is_local_parameter(const std::string& name);

struct ParameterSplit {
  std::vector<at::Tensor> global;  // weights and biases, trained by the task loss
  std::vector<at::Tensor> local;   // alpha, beta, eta of every plastic layer
};
// Splits a model's trainable parameters by their last name component (is_local_parameter).
ParameterSplit split_parameters(const torch::nn::Module& model);

}  // namespace hnn::plasticity
