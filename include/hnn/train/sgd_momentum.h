// The momentum buffers of torch::optim::SGD, read and written by parameter: for training part of
// a model with an optimiser of its own and handing the momentum back (the HMN's active parts).
// The optimiser's state is keyed by the parameter's TensorImpl, as a string in LibTorch 1.x and as
// a pointer in 2.x; these hide which.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/optim/sgd.h>

namespace hnn::train {

// The momentum buffer SGD keeps for parameter p; undefined before p's first step.
at::Tensor sgd_momentum(const torch::optim::SGD& opt, const at::Tensor& p);

// Sets p's momentum buffer (p's shape; stored as given, not copied).
void set_sgd_momentum(torch::optim::SGD& opt, const at::Tensor& p, const at::Tensor& buffer);

}  // namespace hnn::train
