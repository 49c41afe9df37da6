// The one training loop of hnn: shuffled mini-batches, an optimiser and a learning-rate schedule,
// gradient clipping, validation after each epoch, early stopping, the best weights kept, and
// checkpoints in the one format of checkpoint.h (with resume). What a batch is and what its loss
// is are the caller's: a step function gets the sample indices of a batch and returns the loss.
// The trainer never prints; progress and logs go to callbacks (ProgressBar, EpochLogger below).
// Under a process group (distributed.h: `hnn --distributed`, or WORLD_SIZE > 1) every rank trains
// on its shard of each epoch's order with the same batch size, gradients are averaged over the
// ranks, and only rank 0 writes checkpoints; see docs/distributed.md.
//
//   train::Trainer trainer(*model, train::TrainerOptions().epochs(10).lr(1e-3).schedule("cosine"));
//   trainer.add_callback(std::make_shared<train::ProgressBar>());
//   auto result = trainer.fit(n, [&](const at::Tensor& idx) {
//     return train::StepResult{loss_of(inputs.index_select(0, idx), labels.index_select(0, idx))};
//   }, [&] { return train::Metrics{{"accuracy", accuracy_on(val)}}; });
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hnn::train {
namespace dist {
class ProcessGroup;
}

// Named values in a fixed order ("loss", "accuracy", ...).
using Metrics = std::vector<std::pair<std::string, double>>;
// The value called `name`, or `fallback`.
double metric(const Metrics& m, const std::string& name, double fallback = 0.0);

struct StepResult {
  at::Tensor loss;       // scalar; the trainer calls backward() on it
  Metrics metrics = {};  // per-batch values averaged over the epoch, weighted by `samples`
  int64_t samples = -1;  // samples in the batch; -1: the number of indices
};
// One batch: the sample indices (int64 [b]) -> loss. Runs in training mode with gradients on.
using StepFn = std::function<StepResult(const at::Tensor& indices)>;
// Validation after an epoch: metrics (e.g. {"accuracy", 0.9}); runs in eval mode, no gradients.
using ValidateFn = std::function<Metrics()>;

struct TrainerOptions {
  TORCH_ARG(int64_t, epochs) = 10;
  TORCH_ARG(int64_t, batch_size) = 32;
  TORCH_ARG(bool, shuffle) = true;
  TORCH_ARG(bool, drop_last) = false;
  TORCH_ARG(int64_t, max_batches) = 0;  // per epoch; 0: all (toy runs and smoke tests)
  // Optimiser: "adam", "adamw" or "sgd" (momentum), built over the parameters that require
  // gradients; or give one with Trainer::set_optimizer.
  TORCH_ARG(std::string, optimizer) = "adam";
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(double, weight_decay) = 0.0;
  TORCH_ARG(double, momentum) = 0.9;
  // Learning-rate schedule, a factor on lr: "constant"; "cosine" (0.5 (1 + cos(pi p)) over the
  // run, updated every batch); "step" (gamma after `milestone` of the epochs, per epoch);
  // "multistep" (after epoch milestones[i] the factor is multiplied by gammas[i], or by gamma
  // when gammas is empty: PyTorch's MultiStepLR with per-milestone factors).
  TORCH_ARG(std::string, schedule) = "constant";
  TORCH_ARG(double, milestone) = 0.5;
  TORCH_ARG(double, gamma) = 0.1;
  TORCH_ARG(std::vector<int64_t>, milestones) = {};
  TORCH_ARG(std::vector<double>, gammas) = {};
  TORCH_ARG(double, clip_grad_norm) = 0.0;  // 0: no clipping
  // Validation metric that decides the best epoch and early stopping, and whether larger is
  // better. Without a validation function the training loss (smaller is better) is used.
  TORCH_ARG(std::string, monitor) = "loss";
  TORCH_ARG(bool, maximize) = false;
  TORCH_ARG(int64_t, patience) = 0;       // stop after this many epochs without improvement; 0: never
  TORCH_ARG(bool, restore_best) = false;  // end with the best epoch's weights (kept in memory)
  TORCH_ARG(int64_t, validate_every) = 1;
  // Checkpoints (checkpoint.h), written atomically: the last epoch to `checkpoint`, every
  // `checkpoint_every` epochs to "<checkpoint>-epochN", the best epoch to `best_checkpoint`.
  TORCH_ARG(std::string, checkpoint) = "";
  TORCH_ARG(int64_t, checkpoint_every) = 0;
  TORCH_ARG(std::string, best_checkpoint) = "";
  // The model's JSON config stored in every checkpoint (to rebuild the model when loading).
  TORCH_ARG(std::string, model_config) = "{}";
  // A checkpoint to continue from: weights, optimiser state, epoch, RNG state and history.
  TORCH_ARG(std::string, resume) = "";
};

struct BatchLog {
  int64_t epoch = 0, epochs = 0;   // epoch counts from 1
  int64_t batch = 0, batches = 0;  // batch counts from 1
  double lr = 0;
  Metrics running;     // "loss" and the step's metrics, averaged over the epoch so far
  double samples = 0;  // the step's weight in the epoch's means (StepResult::samples, else the batch size)
};

struct EpochLog {
  int64_t epoch = 0, epochs = 0;
  Metrics train;  // "loss" and the step's metrics, epoch means
  Metrics val;    // empty when not validated this epoch
  double lr = 0;
  double seconds = 0;
  bool best = false;  // the monitored value improved
};

struct FitResult {
  std::vector<EpochLog> history;  // including the epochs before a resume
  int64_t best_epoch = 0;
  double best_value = 0;
  bool stopped_early = false;
};

// Hooks into the loop; every method has an empty default.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_fit_begin(int64_t first_epoch, int64_t epochs) {}
  virtual void on_epoch_begin(int64_t epoch, int64_t epochs, int64_t batches) {}
  virtual void on_batch_end(const BatchLog& log) {}
  virtual void on_epoch_end(const EpochLog& log) {}
  virtual void on_fit_end(const FitResult& result) {}
};

class Trainer {
 public:
  Trainer(torch::nn::Module& model, TrainerOptions options);
  ~Trainer();

  void add_callback(std::shared_ptr<Callback> cb);
  // Replaces the optimiser built from the options (it must hold the model's parameters). A
  // shared optimiser can be handed to several trainers in turn, e.g. one SGD-momentum across a
  // sequence of tasks, each fitted by its own Trainer: the state (momentum) carries over, and each
  // fit applies its schedule to the learning rates the optimiser has when the fit starts.
  void set_optimizer(std::shared_ptr<torch::optim::Optimizer> opt);
  torch::optim::Optimizer& optimizer();
  const TrainerOptions& options() const { return options_; }
  // Data parallelism: the group this trainer's fits run in (by default dist::default_group(), the
  // process-wide one; nullptr: this process alone). With a group of W ranks, batch_size is the
  // batch of each rank (W * batch_size samples a step), each epoch's order is drawn by rank 0 and
  // shared, every rank takes its shard (dist::shard), gradients are averaged during the backward
  // pass, buffers are synchronised and the training metrics averaged after each epoch, rank 0's
  // validation metrics decide for all, and only rank 0 writes checkpoints.
  void set_process_group(std::shared_ptr<dist::ProcessGroup> group);

  // Trains on samples 0..n-1. hnn::Error on bad options, or a checkpoint that cannot be written
  // or resumed from. A non-finite loss (or, with anomaly detection on, a non-finite value in a
  // module, the backward pass or a gradient) stops the fit before the update with an hnn::Error
  // saying where, and naming the last checkpoint written (which holds the last good weights).
  FitResult fit(int64_t n, const StepFn& step, const ValidateFn& validate = {});

  // The learning-rate factor of the schedule at `progress` (epochs done, fractional).
  double lr_factor(double progress) const;

 private:
  void save(const std::string& path, int64_t epoch, const FitResult& r);

  torch::nn::Module& model_;
  TrainerOptions options_;
  std::shared_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::shared_ptr<dist::ProcessGroup> group_;
};

// Progress bar on stderr (hnn::Progress): one bar per epoch with the running loss and metrics.
class ProgressBar : public Callback {
 public:
  explicit ProgressBar(std::string label = "epoch");
  ~ProgressBar() override;
  void on_epoch_begin(int64_t epoch, int64_t epochs, int64_t batches) override;
  void on_batch_end(const BatchLog& log) override;
  void on_epoch_end(const EpochLog& log) override;

 private:
  struct Bar;
  std::string label_;
  std::unique_ptr<Bar> bar_;
};

// One spdlog line per epoch: "epoch 3/10: loss 0.41 accuracy 0.87 | val accuracy 0.85 | 12.3 s".
class EpochLogger : public Callback {
 public:
  explicit EpochLogger(std::string label = "");
  void on_epoch_end(const EpochLog& log) override;

 private:
  std::string label_;
};

// A callback from a function (e.g. to print or collect epoch results).
class OnEpochEnd : public Callback {
 public:
  explicit OnEpochEnd(std::function<void(const EpochLog&)> fn) : fn_(std::move(fn)) {}
  void on_epoch_end(const EpochLog& log) override { fn_(log); }

 private:
  std::function<void(const EpochLog&)> fn_;
};

// "loss 0.412 accuracy 0.871" (values with 4 significant digits).
std::string format_metrics(const Metrics& m);

// The checks of every training loop (the Trainer's and the systems' own), before the update:
// hnn::Error "the loss is nan at <where>" for a non-finite loss (before any gradient is made);
// returns the loss's value.
double check_loss(const at::Tensor& loss, const std::string& where);
// loss.backward(), then anomaly::NonFinite naming the first parameter of `model` whose gradient
// is not finite ("the gradient of model.fc.weight is nan"): a NaN inside a spiking layer can leave
// the loss finite. With anomaly detection on (hnn/core/anomaly.h) the backward pass runs under
// LibTorch's autograd anomaly mode, which names the backward function that made a NaN.
void backward(torch::nn::Module& model, const at::Tensor& loss, const std::string& where);

}  // namespace hnn::train
