#include "hnn/nn/spiking_layers.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/nn/batch_norm.h"
#include "hnn/nn/time_fold.h"

namespace hnn::nn {

at::Tensor batch_norm_sequence(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& y, bool per_step) {
  HNN_CHECK(y.dim() == 5, "batch_norm_sequence: expected [T, B, C, H, W], got shape {}", shape_str(y.sizes()));
  const int64_t T = y.size(0);
  // Per step: the folded sequence [T * B, C, H, W] holds the steps as T groups, each normalised
  // over its own B samples, the running statistics updated step after step (batch_norm.h). One
  // fused call: no T separate calls, no unbind and stack.
  return unfold_time(batch_norm_groups(bn, fold_time(y), per_step && bn.is_training() ? T : 1), T);
}

SpikingLinearImpl::SpikingLinearImpl(SpikingLinearOptions o) : options(std::move(o)) {
  reset();
}

void SpikingLinearImpl::reset() {
  fc = register_module("fc",
                       torch::nn::Linear(torch::nn::LinearOptions(options.in(), options.out()).bias(options.bias())));
  bn = torch::nn::BatchNorm1d(nullptr);
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
  reset();
}

void SpikingConv2dImpl::reset() {
  conv =
      register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in(), options.out(), options.kernel())
                                                    .stride(options.stride())
                                                    .padding(options.padding())
                                                    .bias(options.bias())));
  if (options.kaiming_init()) torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
  bn = torch::nn::BatchNorm2d(nullptr);
  if (options.batch_norm()) {
    bn = register_module("bn", torch::nn::BatchNorm2d(options.out()));
    torch::NoGradGuard ng;
    bn->weight.fill_(options.bn_weight());
  }
  neuron = register_module("neuron", spike::Neuron(options.neuron()));
}

at::Tensor SpikingConv2dImpl::current(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 5 && x.size(2) == options.in(), "SpikingConv2d: expected [T, B, {}, H, W], got shape {}",
            options.in(), shape_str(x.sizes()));
  auto cur = unfold_time(conv(fold_time(x)), x.size(0));
  return bn ? batch_norm_sequence(*bn, cur, options.bn_per_step()) : cur;
}

at::Tensor SpikingConv2dImpl::forward(const at::Tensor& x, const at::Tensor& extra_current) {
  auto cur = current(x);
  if (extra_current.defined()) {
    HNN_CHECK(extra_current.sizes() == cur.sizes(), "SpikingConv2d: extra current of shape {}, expected {}",
              shape_str(extra_current.sizes()), shape_str(cur.sizes()));
    cur = cur + extra_current;
  }
  return neuron(cur);
}

at::Tensor SpikingConv2dImpl::step(const at::Tensor& x, const at::Tensor& extra_current) {
  HNN_CHECK(x.dim() == 4 && x.size(1) == options.in(), "SpikingConv2d: expected one step [B, {}, H, W], got shape {}",
            options.in(), shape_str(x.sizes()));
  auto cur = conv(x);
  if (bn) cur = batch_norm(*bn, cur);
  if (extra_current.defined()) {
    HNN_CHECK(extra_current.sizes() == cur.sizes(), "SpikingConv2d: extra current of shape {}, expected {}",
              shape_str(extra_current.sizes()), shape_str(cur.sizes()));
    cur = cur + extra_current;
  }
  return neuron->step(cur);
}

}  // namespace hnn::nn
