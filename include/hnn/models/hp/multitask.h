// Multitask (continual) learning on permuted MNIST, the hybrid-plasticity experiment of Wu et
// al. 2022 (spec hybrid-plasticity.md §3.7): task 0 is MNIST, task k > 0 a fixed pixel
// permutation of it; every task has its own random binary masks (density `sparsity`) on the
// three weight matrices. Three models on one network, 784 -> hidden LIF -> hidden LIF -> linear
// read-out of the last layer's membrane at the last step:
//   HP:  masked-complementary layers, I_t = p_t (W^T . M + alpha H_{t-1} . (1 - M)), the tanh-Hebb
//        trace reset at every forward; read-out u (W3^T . M3);
//   GP:  the masked weights only (a fixed random sparse sub-network per task);
//   EWC: a dense network (no masks, no input attenuation) with the EWC penalty of train/ewc.h.
// Schedule per task k (train_multitask): `epochs` epochs on task k (Adam over the weights, one
// optimiser for all tasks, plus the EWC penalty); for HP while k < meta_tasks a meta phase of
// `meta_batches` replayed batches of earlier tasks training alpha, beta, eta only; then the
// test accuracy of every task learned so far.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hnn/plasticity/plastic_linear.h"

namespace hnn::models::hp {

enum class MultitaskModel { HP, GP, EWC };
std::string to_string(MultitaskModel m);  // "hp", "gp", "ewc"
MultitaskModel parse_multitask_model(const std::string& s);

struct MultitaskConfig {
  MultitaskModel mode = MultitaskModel::HP;
  int64_t inputs = 784, hidden = 1024, classes = 10;
  int64_t steps = 3;         // T
  double tau_w = 50;         // input attenuation exp(-t / tau_w) (not in EWC)
  double threshold = 0.5;    // theta
  double decay = 0.8;        // membrane decay
  double trace_decay = 0.8;  // kappa (no clamp)
  double sparsity = 0.03;    // density of the per-task masks
  std::string to_json() const;
  static MultitaskConfig from_json(const std::string& text);
  template <class F>
  void visit(F&& f) {
    f("inputs", inputs), f("hidden", hidden), f("classes", classes), f("steps", steps), f("tau_w", tau_w);
    f("threshold", threshold), f("decay", decay), f("trace_decay", trace_decay), f("sparsity", sparsity);
  }
};

// A task: the pixel permutation [inputs] (int64; the identity for task 0) and the masks of the
// three layers, [inputs, hidden], [hidden, hidden], [hidden, classes] (in x out), 0/1 floats.
struct Task {
  at::Tensor permutation;
  std::vector<at::Tensor> masks;
};
// Task k of a run, drawn from (seed, k) alone: the same task whatever was drawn before.
Task make_task(const MultitaskConfig& c, int64_t k, uint64_t seed);

class MultitaskNetImpl : public torch::nn::Module {
 public:
  explicit MultitaskNetImpl(MultitaskConfig config);
  // images [B, ...] with `inputs` values each (unpermuted) -> read-out [B, classes] under `task`.
  at::Tensor forward(const at::Tensor& images, const Task& task);

  MultitaskConfig config;
  plasticity::PlasticLinear fc1{nullptr}, fc2{nullptr};
  at::Tensor readout;  // W3 [classes, hidden]
};
TORCH_MODULE(MultitaskNet);

struct MultitaskOptions {
  int64_t tasks = 50, epochs = 10, batch = 100;
  double lr = 5e-4;         // Adam over the weights
  double meta_lr = 5e-5;    // Adam over alpha, beta, eta in the meta phases (HP)
  int64_t meta_tasks = 35;  // meta phases after tasks 0 .. meta_tasks - 1
  int64_t meta_batches = 600;
  double ewc_lambda = 50;  // EWC (the reference 5000 with a Fisher ~batch-size times too small)
  int64_t fisher_samples = 600;
  uint64_t seed = 0;
};

struct MultitaskProgress {
  int64_t task = 0;                // the task just learned
  double train_loss = 0;           // mean over its last epoch
  double meta_loss = -1;           // mean over its meta phase (-1: none)
  std::vector<double> accuracies;  // test accuracy of tasks 0 .. task
  double mean_accuracy = 0;        // their mean
  double seconds = 0;              // of this task (training, meta phase, tests)
};

// Trains `net` on tasks 0 .. tasks-1 of `seed` from images [N, ...] in [0, 1] and int64 labels;
// tests on every learned task after each one; calls `on_batch` after every training batch and
// `on_task` after every task. MSE loss against the one-hot target.
std::vector<MultitaskProgress> train_multitask(MultitaskNet& net, const at::Tensor& train_images,
                                               const at::Tensor& train_labels, const at::Tensor& test_images,
                                               const at::Tensor& test_labels, const MultitaskOptions& o,
                                               const std::function<void()>& on_batch = {},
                                               const std::function<void(const MultitaskProgress&)>& on_task = {});

// Accuracy of `net` under `task` on a test set (batches of `batch`, no gradients).
double multitask_accuracy(MultitaskNet& net, const Task& task, const at::Tensor& images, const at::Tensor& labels,
                          int64_t batch = 500);

}  // namespace hnn::models::hp
