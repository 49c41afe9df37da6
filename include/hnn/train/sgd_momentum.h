// The momentum buffers of torch::optim::SGD, read and written by parameter: for training part of
// a model with an optimiser of its own and handing the momentum back (the HMN's active parts).
// The optimiser's state is keyed by the parameter's TensorImpl, as a string in LibTorch 1.x and as
// a pointer in 2.x; these hide which.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/optim/sgd.h>

#include <vector>

namespace hnn::train {

// The momentum buffer SGD keeps for parameter p; undefined before p's first step.
at::Tensor sgd_momentum(const torch::optim::SGD& opt, const at::Tensor& p);

// Sets p's momentum buffer (p's shape; stored as given, not copied).
void set_sgd_momentum(torch::optim::SGD& opt, const at::Tensor& p, const at::Tensor& buffer);

// What SGD with momentum (no dampening, no Nesterov) does over lrs.size() steps to weights whose
// only gradient is that of the quadratic penalty lambda/2 * precision * (w - anchor)^2 (EWC's, on
// the weights a step's loss does not reach): at step j
//   v = momentum * v + lambda * precision * (w - anchor);   w -= lrs[j] * v.
// w and v are updated in place; elements where `skip` (bool, w's shape, or undefined) is true are
// left alone. Returns the penalty of the other elements before each step, lambda/2 * sum
// precision * (w - anchor)^2, summed in an order that does not depend on the thread count.
// On the CPU each element runs all the steps in registers (one pass over memory).
std::vector<double> penalty_only_sgd_steps(at::Tensor& w, at::Tensor& v, const at::Tensor& precision,
                                           const at::Tensor& anchor, const at::Tensor& skip, double lambda,
                                           double momentum, const std::vector<double>& lrs);

}  // namespace hnn::train
