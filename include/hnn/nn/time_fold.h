// Run ANN layers over sequences: fold [T, B, ...] into [T*B, ...] and back, and a module wrapper
// that does it around any torch::nn::Module.
#pragma once
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

namespace hnn::nn {

// [T, B, ...] -> [T*B, ...] (a view when x is contiguous).
at::Tensor fold_time(const at::Tensor& x);
// [T*B, ...] -> [T, B, ...].
at::Tensor unfold_time(const at::Tensor& y, int64_t steps);

// Applies `module` to every time step of x [T, B, ...] at once (as one batch of T*B). Cloning
// needs the wrapped module to be a torch::nn::Cloneable.
class TimeDistributedImpl : public torch::nn::Cloneable<TimeDistributedImpl> {
 public:
  explicit TimeDistributedImpl(torch::nn::AnyModule module);
  at::Tensor forward(const at::Tensor& x);
  // The wrapped module has no options to rebuild it from: reset() gives this wrapper its own copy
  // of it (what clone() needs).
  void reset() override;
  torch::nn::AnyModule module;
};
TORCH_MODULE(TimeDistributed);

}  // namespace hnn::nn
