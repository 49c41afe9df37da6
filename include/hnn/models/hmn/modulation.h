// The HMN's modulation signals (spec hnn-paper-systems.md §3.3-3.4): the losses that train the
// backbone ANN and its learnable modulation HU to give similar tasks similar binary signals, and
// the per-task signal itself.
#pragma once
#include <ATen/core/Tensor.h>

namespace hnn::models::hmn {

struct ConjugateLossOptions {
  double floor = 0.1;        // at least this fraction of the gates on, on average ...
  double floor_weight = 10;  // ... enforced by floor_weight * relu(floor - mean)
  double eps = 1e-10;        // added to the product of norms in the cosine
};

// The "conjugate" loss of two batches of gate activations a, b [B, C] computed from the same
// samples under tasks of similarity s: with G = [a; b] and D the pairwise cosine distance [2B, 2B],
// the target distance Y is 0 within a task and 1 - s across, and
//   L = mean((D - Y)^2 - D * Y) + floor_weight * (relu(floor - mean a) + relu(floor - mean b)).
at::Tensor conjugate_loss(const at::Tensor& a, const at::Tensor& b, double similarity,
                          const ConjugateLossOptions& o = {});

// A task's binary modulation signal from the gate activations of its samples [N, C]: the mean
// over samples thresholded at `threshold` -> float 0/1 [C].
at::Tensor task_signal(const at::Tensor& gates, double threshold = 0.5);

}  // namespace hnn::models::hmn
