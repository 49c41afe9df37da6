// A plain supervised loop for classifiers: shuffled mini-batches, cross-entropy, accuracy,
// progress bar. The model is any callable from a batch of inputs [B, ...] to logits [B, C].
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <string>

namespace hnn::train {

using ForwardFn = std::function<at::Tensor(const at::Tensor& batch)>;

struct EpochStats {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction correct
  int64_t samples = 0;
  double seconds = 0;
};

struct LoopOptions {
  int64_t batch_size = 100;
  std::string label = "train";
  bool shuffle = true;
  int64_t max_batches = 0;           // 0: the whole set
  std::function<void()> before_batch;  // e.g. reset the state of spiking layers
  // Learning-rate schedule: called before each step with the fraction of the epoch done, returns
  // the factor applied to every parameter group's initial learning rate.
  std::function<double(double progress)> lr_factor;
};

// One epoch of training on (inputs [N, ...], labels int64 [N]).
EpochStats train_epoch(const ForwardFn& model, torch::optim::Optimizer& opt, const at::Tensor& inputs,
                       const at::Tensor& labels, const LoopOptions& o);

// Accuracy and mean loss without gradients.
EpochStats evaluate(const ForwardFn& model, const at::Tensor& inputs, const at::Tensor& labels,
                    const LoopOptions& o);

}  // namespace hnn::train
