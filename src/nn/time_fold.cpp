#include "hnn/nn/time_fold.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::nn {

at::Tensor fold_time(const at::Tensor& x) {
  HNN_CHECK(x.dim() >= 2, "fold_time: expected [T, B, ...], got shape {}", shape_str(x.sizes()));
  return x.flatten(0, 1);
}

at::Tensor unfold_time(const at::Tensor& y, int64_t steps) {
  HNN_CHECK(steps > 0 && y.dim() >= 1 && y.size(0) % steps == 0,
            "unfold_time: {} rows do not split into {} time steps (shape {})", y.dim() ? y.size(0) : 0, steps,
            shape_str(y.sizes()));
  std::vector<int64_t> shape{steps, y.size(0) / steps};
  for (int64_t i = 1; i < y.dim(); ++i) shape.push_back(y.size(i));
  return y.reshape(shape);
}

TimeDistributedImpl::TimeDistributedImpl(torch::nn::AnyModule m) : module(std::move(m)) {
  register_module("module", module.ptr());
}

void TimeDistributedImpl::reset() {
  module = module.clone();
  register_module("module", module.ptr());
}

at::Tensor TimeDistributedImpl::forward(const at::Tensor& x) {
  return unfold_time(module.forward(fold_time(x)), x.size(0));
}

}  // namespace hnn::nn
