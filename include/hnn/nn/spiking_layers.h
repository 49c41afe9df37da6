// Spiking blocks: a synaptic layer (Linear or Conv2d), an optional BatchNorm and a neuron.
// forward(x [T, B, ...]) runs the synaptic layer on all steps at once (time folded) and the
// neuron's fused kernel over the sequence; step(x [B, ...]) runs one step and keeps the state.
// hnn::nn::reset_states(model) resets every neuron in a model.
#pragma once
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "hnn/spike/neuron_module.h"
#include "hnn/spike/stateful.h"

namespace hnn::nn {

using spike::detach_states;
using spike::reset_states;

struct SpikingLinearOptions {
  SpikingLinearOptions(int64_t in, int64_t out) : in_(in), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(bool, batch_norm) = false;
  TORCH_ARG(spike::NeuronOptions, neuron) = spike::NeuronOptions::lif();
};

class SpikingLinearImpl : public torch::nn::Module {
 public:
  explicit SpikingLinearImpl(SpikingLinearOptions options);
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
  TORCH_ARG(bool, batch_norm) = true;
  // BatchNorm statistics per time step (each step normalised over its own batch, as in the HSN
  // reference) instead of over all T*B samples at once.
  TORCH_ARG(bool, bn_per_step) = false;
  TORCH_ARG(spike::NeuronOptions, neuron) = spike::NeuronOptions::lif();
};

class SpikingConv2dImpl : public torch::nn::Module {
 public:
  explicit SpikingConv2dImpl(SpikingConv2dOptions options);
  // The synaptic current (conv + BN) for x [T, B, C, H, W] -> [T, B, C', H', W'].
  at::Tensor current(const at::Tensor& x);
  at::Tensor forward(const at::Tensor& x);  // spikes [T, B, C', H', W']
  at::Tensor step(const at::Tensor& x);     // [B, C, H, W] -> [B, C', H', W']
  SpikingConv2dOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  spike::Neuron neuron{nullptr};
};
TORCH_MODULE(SpikingConv2d);

}  // namespace hnn::nn
