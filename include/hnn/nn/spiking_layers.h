// Spiking blocks: a synaptic layer (Linear or Conv2d), an optional BatchNorm and a neuron.
// forward(x [T, B, ...]) runs the synaptic layer on all steps at once (time folded) and the
// neuron's fused kernel over the sequence; step(x [B, ...]) runs one step and keeps the state.
// hnn::nn::reset_states(model) resets every neuron in a model.
//
// BatchNorm over time (SpikingConv2dOptions::bn_per_step, batch_norm_sequence()):
//   bn_per_step = false: one BatchNorm over all T*B samples of the sequence.
//   bn_per_step = true, training: every step is normalised over its own batch of B samples and
//     the running statistics are updated once per step in time order, exactly as T separate
//     BatchNorm2d calls (the HSN reference): the momentum is applied T times per forward.
//   eval mode: the running statistics normalise every step, so both settings are the same.
//   step() normalises the one step it gets, so step() equals forward() for T = 1.
#pragma once
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/common.h>
#include <torch/nn/modules/container/any_module_holder.h>
#include <torch/nn/modules/container/any_value.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "hnn/spike/neuron_module.h"
#include "hnn/spike/stateful.h"

namespace hnn::nn {

using spike::detach_states;
using spike::reset_states;

// y [T, B, C, H, W] -> the same shape, through `bn` with the semantics above.
at::Tensor batch_norm_sequence(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& y, bool per_step);

struct SpikingLinearOptions {
  SpikingLinearOptions(int64_t in, int64_t out) : in_(in), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(bool, batch_norm) = false;
  TORCH_ARG(spike::NeuronOptions, neuron) = spike::NeuronOptions::lif();
};

class SpikingLinearImpl : public torch::nn::Cloneable<SpikingLinearImpl> {
 public:
  explicit SpikingLinearImpl(SpikingLinearOptions options);
  void reset() override;                    // (re)creates fc, bn and neuron from the options
  at::Tensor forward(const at::Tensor& x);  // [T, B, in] -> [T, B, out]
  at::Tensor step(const at::Tensor& x);     // [B, in] -> [B, out]
  SpikingLinearOptions options;
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  spike::Neuron neuron{nullptr};
};
TORCH_MODULE(SpikingLinear);

struct SpikingConv2dOptions {
  SpikingConv2dOptions(int64_t in, int64_t out, int64_t kernel) : in_(in), out_(out), kernel_(kernel) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, kernel);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(bool, bias) = false;
  // Conv weights from kaiming_normal_(mode = fan_out, ReLU gain), as the ResNet references (the
  // HSN); otherwise LibTorch's default initialisation.
  TORCH_ARG(bool, kaiming_init) = false;
  TORCH_ARG(bool, batch_norm) = true;
  // BatchNorm statistics per time step (see the top of this file) instead of over all T*B
  // samples at once.
  TORCH_ARG(bool, bn_per_step) = false;
  // The initial BatchNorm scale (the HSN starts it at the neuron's threshold).
  TORCH_ARG(double, bn_weight) = 1.0;
  TORCH_ARG(spike::NeuronOptions, neuron) = spike::NeuronOptions::lif();
};

class SpikingConv2dImpl : public torch::nn::Cloneable<SpikingConv2dImpl> {
 public:
  explicit SpikingConv2dImpl(SpikingConv2dOptions options);
  void reset() override;  // (re)creates conv, bn and neuron from the options
  // The synaptic current (conv + BN) for x [T, B, C, H, W] -> [T, B, C', H', W'].
  at::Tensor current(const at::Tensor& x);
  // Spikes [T, B, C', H', W'] of the neuron driven by current(x) + extra_current (same shape,
  // e.g. the current of a residual bypass branch; undefined for none).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& extra_current = {});
  // One step: [B, C, H, W] (and extra current [B, C', H', W']) -> [B, C', H', W'].
  at::Tensor step(const at::Tensor& x, const at::Tensor& extra_current = {});
  SpikingConv2dOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  spike::Neuron neuron{nullptr};

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, torch::nn::AnyValue(at::Tensor())})
};
TORCH_MODULE(SpikingConv2d);

}  // namespace hnn::nn
