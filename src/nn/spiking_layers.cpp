#include "hnn/nn/spiking_layers.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/nn/time_fold.h"

namespace hnn::nn {

SpikingLinearImpl::SpikingLinearImpl(SpikingLinearOptions o) : options(std::move(o)) {
  fc = register_module("fc",
                       torch::nn::Linear(torch::nn::LinearOptions(options.in(), options.out()).bias(options.bias())));
  if (options.batch_norm()) bn = register_module("bn", torch::nn::BatchNorm1d(options.out()));
  neuron = register_module("neuron", spike::Neuron(options.neuron()));
}

at::Tensor SpikingLinearImpl::forward(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 3 && x.size(2) == options.in(), "SpikingLinear: expected [T, B, {}], got shape {}", options.in(),
            shape_str(x.sizes()));
  auto cur = fc(fold_time(x));
  if (bn) cur = bn(cur);
  return neuron(unfold_time(cur, x.size(0)));
}

at::Tensor SpikingLinearImpl::step(const at::Tensor& x) {
  auto cur = fc(x);
  if (bn) cur = bn(cur);
  return neuron->step(cur);
}

SpikingConv2dImpl::SpikingConv2dImpl(SpikingConv2dOptions o) : options(std::move(o)) {
  conv =
      register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in(), options.out(), options.kernel())
                                                    .stride(options.stride())
                                                    .padding(options.padding())
                                                    .bias(options.bias())));
  if (options.batch_norm()) bn = register_module("bn", torch::nn::BatchNorm2d(options.out()));
  neuron = register_module("neuron", spike::Neuron(options.neuron()));
}

at::Tensor SpikingConv2dImpl::current(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 5 && x.size(2) == options.in(), "SpikingConv2d: expected [T, B, {}, H, W], got shape {}",
            options.in(), shape_str(x.sizes()));
  const int64_t T = x.size(0);
  if (bn && options.bn_per_step()) {
    std::vector<at::Tensor> steps;
    for (int64_t t = 0; t < T; ++t) steps.push_back(bn(conv(x[t])));
    return torch::stack(steps);
  }
  auto cur = conv(fold_time(x));
  if (bn) cur = bn(cur);
  return unfold_time(cur, T);
}

at::Tensor SpikingConv2dImpl::forward(const at::Tensor& x) {
  return neuron(current(x));
}

at::Tensor SpikingConv2dImpl::step(const at::Tensor& x) {
  auto cur = conv(x);
  if (bn) cur = bn(cur);
  return neuron->step(cur);
}

}  // namespace hnn::nn
