// Elastic weight consolidation (Kirkpatrick et al. 2017), the continual-learning baseline: after
// each task, the diagonal of the Fisher information F at the learned parameters theta* is
// estimated, and later tasks add the penalty  lambda/2 * sum_tasks sum_params F_i (theta - theta*_i)^2.
//
//   train::Ewc ewc(params);
//   ... train task 1 ...
//   ewc.consolidate(train::fisher_diagonal(params, fwd, x, y, {}));
//   ... train task 2 with loss = task_loss + ewc.penalty(5000) ...
//
// The Fisher is estimated from per-sample gradients (squared, then averaged), not from the square
// of a batch-mean gradient, which underestimates it by up to the batch size (the hybrid-plasticity
// reference's spiking EWC did that).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hnn::train {

// The label whose log-likelihood gradient is squared: drawn from the model's softmax (the true
// Fisher, default), the model's arg-max prediction, or the data's own label (the "empirical" Fisher).
enum class FisherLabel { Sampled, Predicted, True };
std::string to_string(FisherLabel l);  // "sampled", "predicted", "true"
FisherLabel parse_fisher_label(const std::string& s);

struct FisherOptions {
  FisherLabel label = FisherLabel::Sampled;
  int64_t samples = 200;  // the first N inputs (all when fewer or 0)
  uint64_t seed = 0;      // of the sampled labels
};

// diag F = mean over samples of (d log softmax(model(x_n))[y_n] / d theta)^2, one tensor per
// parameter. model maps a batch [B, ...] to logits (or any scores read through log_softmax) [B, C];
// labels [N] int64 (needed for FisherLabel::True). The parameters' .grad() are not touched.
std::vector<at::Tensor> fisher_diagonal(const std::vector<at::Tensor>& params,
                                        const std::function<at::Tensor(const at::Tensor&)>& model,
                                        const at::Tensor& inputs, const at::Tensor& labels, const FisherOptions& o);

// Offline EWC: one quadratic penalty per consolidated task, kept in the exactly equivalent form
// sum_i F_i (theta - a_i)^2 = A (theta - m)^2 + c  (A = sum F_i, m = sum F_i a_i / A), so its memory and
// cost do not grow with the number of tasks.
class Ewc {
 public:
  explicit Ewc(std::vector<at::Tensor> params);
  // Adds a task: its Fisher diagonal (one tensor per parameter) at the parameters' current values.
  void consolidate(const std::vector<at::Tensor>& fisher);
  // lambda/2 * sum_i sum F_i (theta - theta*_i)^2 (0 before the first task), differentiable in theta.
  at::Tensor penalty(double lambda) const;
  int64_t tasks() const { return tasks_; }
  // The penalty's terms: per parameter A and m, and c (lambda/2 * (sum A (theta - m)^2 + c)).
  const std::vector<at::Tensor>& precision() const { return precision_; }
  const std::vector<at::Tensor>& anchor() const { return anchor_; }
  double offset() const { return offset_; }

  // Everything needed to continue later (checkpoints): A and m per parameter, then [c, tasks].
  std::vector<at::Tensor> state() const;
  void load_state(const std::vector<at::Tensor>& state);

 private:
  std::vector<at::Tensor> params_, precision_, anchor_;  // theta; A; m
  double offset_ = 0;                                    // c, summed over the parameters
  int64_t tasks_ = 0;
};

}  // namespace hnn::train
