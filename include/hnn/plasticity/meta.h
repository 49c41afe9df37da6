// Meta-learning of the local parameters (alpha, beta, eta) of plastic layers, the loops of
// Wu et al. 2022:
//  - joint: the task loss trains both parameter groups at once with two learning rates
//    (joint_optimizer: one Adam with two parameter groups, which is exactly two Adams, as Adam
//    is per parameter; the reference's "num_updates = 1" two-phase schedule is this);
//  - alternating task and meta phases with replay (multitask): a meta phase steps an optimiser
//    over the local group only (local_optimizer) on batches of earlier tasks;
//  - bi-level (few-shot, DARTS's second-order approximation): bilevel_meta_gradient below.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/optim/adam.h>

#include <functional>
#include <memory>
#include <vector>

#include "hnn/plasticity/plastic_linear.h"

namespace hnn::plasticity {

// Adam over both groups: group 0 the global parameters at global_lr, group 1 the local ones at
// local_lr (an empty group is left out).
std::unique_ptr<torch::optim::Adam> joint_optimizer(const ParameterSplit& split, double global_lr, double local_lr,
                                                    double eps = 1e-8);

struct BilevelOptions {
  double xi = 0.1;              // weight of the second-order term (DARTS's inner learning rate)
  double fd_scale = 1e-3;       // finite-difference step: eps = min(fd_scale / |g_w|, fd_scale)
  double clamp = 1.0;           // the second-order term is clamped to [-clamp, clamp]; 0: no clamp
  double clip_grad_norm = 1.0;  // of the returned meta gradient (global norm); 0: no clipping
};

// The meta gradient of DARTS's approximation at the current global weights w':
//   g = dL_val/dmeta - xi * clamp((dL_train/dmeta|w'+eps g_w - dL_train/dmeta|w'-eps g_w) / (2 eps))
// with g_w = dL_val/dw. val_loss and train_loss re-run the forward each call; the global
// weights are restored exactly afterwards. Parameters a loss does not reach get zero gradient.
// Returns one tensor per local parameter; assign it to .grad() and step a local optimiser.
std::vector<at::Tensor> bilevel_meta_gradient(const std::vector<at::Tensor>& global,
                                              const std::vector<at::Tensor>& local,
                                              const std::function<at::Tensor()>& val_loss,
                                              const std::function<at::Tensor()>& train_loss,
                                              const BilevelOptions& o = {});

// A meta phase of the multitask schedule: `steps` steps of `local_optimizer` (built over the
// local parameters only) on the losses replay_loss(i), i = 0..steps-1, e.g. batches of earlier
// tasks. The global parameters' gradients are computed but zeroed, never applied. Returns the
// mean loss. hnn::Error on a non-finite loss.
double meta_phase(torch::optim::Optimizer& local_optimizer, const std::vector<at::Tensor>& global, int64_t steps,
                  const std::function<at::Tensor(int64_t)>& replay_loss);

// Sets p.grad() = g for each pair (replacing, never accumulating into an undefined gradient).
void assign_gradients(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads);

}  // namespace hnn::plasticity
