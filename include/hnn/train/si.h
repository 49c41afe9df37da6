// Synaptic intelligence (Zenke, Poole & Ganguli 2017), the continual-learning baseline that
// estimates each parameter's importance online, from the training trajectory itself:
//   during a task   omega += -g * delta_theta        (after every optimiser step)
//   after the task  Omega += max(0, omega / (Delta^2 + xi)),  Delta = theta_end - theta_start;  omega = 0
//   penalty         c * sum Omega (theta - theta_end_of_last_task)^2
//
//   train::SynapticIntelligence si(params);
//   for each batch: loss = task_loss + si.penalty(c); backward; optimiser.step(); si.update();
//   after each task: si.consolidate();
//
// g is the gradient the optimiser stepped with (the parameters' .grad() at update(), penalty
// included, as in the common implementations); any optimiser works because the step actually
// taken is measured.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace hnn::train {

class SynapticIntelligence {
 public:
  // xi: the damping of the importance normalisation (the paper's 1e-3).
  explicit SynapticIntelligence(std::vector<at::Tensor> params, double xi = 1e-3);
  // After each optimiser step: omega += -grad * (theta - theta_before_the_step). Parameters
  // without a gradient are skipped (their reference point still moves with them).
  void update();
  // Ends a task: Omega += max(0, omega / (Delta^2 + xi)); omega = 0; the anchor becomes theta. A
  // negative path integral (momentum can step against the gradient) would make the penalty
  // unbounded below, so it counts as no importance.
  void consolidate();
  // c * sum Omega (theta - anchor)^2 (0 before the first task), differentiable in theta.
  at::Tensor penalty(double c) const;
  // Restarts the reference of update() at the current values (after parameters were changed
  // outside the optimiser, e.g. loaded).
  void reset_reference();
  int64_t tasks() const { return tasks_; }
  double xi() const { return xi_; }

  // Per-parameter importance Omega (one tensor per parameter) and the running omega.
  const std::vector<at::Tensor>& importance() const { return big_omega_; }
  const std::vector<at::Tensor>& running() const { return omega_; }

  // Everything needed to continue later (checkpoints): omega, Omega, anchors, task start, the
  // reference of update(), and [tasks] as a last tensor.
  std::vector<at::Tensor> state() const;
  void load_state(const std::vector<at::Tensor>& state);

 private:
  std::vector<at::Tensor> params_, omega_, big_omega_, anchor_, start_, prev_;
  double xi_;
  int64_t tasks_ = 0;
};

}  // namespace hnn::train
