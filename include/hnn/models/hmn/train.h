// Training and evaluating the HMN (spec hnn-paper-systems.md §3.4-3.5) and its baselines.
//
// Stage 1 (train_backbone): the backbone and its modulation HUs learn, without labels, to give
// the samples of similar tasks similar signals: each batch is seen under two random stage-1 tasks
// and the conjugate loss of both heads is minimised (SGD, lr x 0.1 at `milestone`), through the
// library's Trainer. task_signals() then turns a task's inputs into its binary signals.
//
// Stage 2 (train_continual): the branch network learns the continual tasks one after the other
// with one SGD-momentum optimiser for the whole sequence (its momentum carries over), each task a
// Trainer::fit of `epochs` with lr x 0.1 from epoch `milestone`; cross-entropy on the output rates.
// The methods differ only in the signals and the penalty:
//   hmn       the backbone's signals            plain     no modulation (one SNN)
//   hmn+ewc   hmn with the EWC penalty          xdg       random signals keeping `xdg_keep`
//   ewc       plain with EWC (train::Ewc)       si        plain with synaptic intelligence
//   ann-only  an ANN branch with the signals    snn-only  signals from a spiking backbone
// After every `eval_every` tasks (and the last) every task learned so far is tested.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hnn/models/hmn/data.h"
#include "hnn/models/hmn/model.h"
#include "hnn/models/hmn/modulation.h"
#include "hnn/models/hmn/tasks.h"

namespace hnn::models::hmn {

// A batch of `set` permuted by task k: float [T, B, D].
at::Tensor task_batch(const FrameSet& set, const at::Tensor& indices, const TaskSet& tasks, int64_t k);

struct BackboneOptions {
  int64_t epochs = 30, batch = 200;
  double lr = 0.02;
  int64_t milestone = 25;  // lr x 0.1 from this epoch (0-based) on
  int64_t samples = 0;     // the first N training samples (0: all)
  ConjugateLossOptions loss;
  uint64_t seed = 0;
  std::string checkpoint;  // written after every epoch when set
  std::string resume;      // a checkpoint to continue from
};

struct BackboneEpoch {
  int64_t epoch = 0, epochs = 0;
  double loss = 0, on_fraction = 0, seconds = 0;
};

// Stage 1; returns the per-epoch log. `on_batch` after every batch, `on_epoch` after every epoch.
std::vector<BackboneEpoch> train_backbone(Backbone& net, const FrameSet& train, const TaskSet& tasks,
                                          const BackboneOptions& o, const std::function<void()>& on_batch = {},
                                          const std::function<void(const BackboneEpoch&)>& on_epoch = {});

// The binary signals of tasks `ids` from the first `samples` samples of `set` (0: all): float
// 0/1 [K, 2, C].
at::Tensor task_signals(Backbone& net, const FrameSet& set, const TaskSet& tasks, const std::vector<int64_t>& ids,
                        int64_t samples = 0, int64_t batch = 500);

// Random signals keeping a fraction `keep` of the neurons (XdG), seeded per task: float [K, 2, C].
at::Tensor random_signals(int64_t tasks, int64_t channels, double keep, uint64_t seed);

enum class Method { Hmn, HmnEwc, Plain, Xdg, Ewc, Si, AnnOnly, SnnOnly };
std::string to_string(Method m);  // "hmn", "hmn+ewc", "plain", "xdg", "ewc", "si", "ann-only", "snn-only"
Method parse_method(const std::string& s);
std::vector<std::string> method_names();
bool uses_backbone(Method m);  // hmn, hmn+ewc, ann-only, snn-only
bool uses_ewc(Method m);       // ewc, hmn+ewc

struct ContinualOptions {
  int64_t epochs = 10, batch = 200;
  double lr = 0.05, momentum = 0.9;
  int64_t milestone = 5;                        // lr x 0.1 from this epoch of every task on
  int64_t train_samples = 0, test_samples = 0;  // the first N of each set (0: all)
  int64_t eval_every = 4;
  double xdg_keep = 0.2;
  double ewc_lambda = 5000;
  int64_t fisher_samples = 200;
  double si_c = 0.1, si_xi = 1e-3;
  uint64_t seed = 0;
  // Written at every task boundary when set: the branch, the optimiser, the regulariser state
  // and the log so far. With `resume`, a run continues from it.
  std::string checkpoint;
  bool resume = false;
};

struct ContinualLog {
  std::vector<int64_t> sequence;  // task ids, in order
  // After task i (i + 1 a multiple of eval_every, or the last): the accuracy of tasks 0 .. i.
  std::vector<int64_t> evaluated_after;
  std::vector<std::vector<double>> accuracy;
  std::vector<double> train_loss, seconds;  // per task learned (last epoch's mean loss; time)
  double mean_accuracy(size_t row) const;
  std::string to_json() const;
  static ContinualLog from_json(const std::string& text);
};

// Stage 2. `signals` [K, 2, C] for the K tasks of `sequence` (undefined for plain, ewc, si; for
// xdg made here when undefined). `on_batch` after every batch; `on_task(i, log)` after task i.
ContinualLog train_continual(Branch& net, Method method, const FrameSet& train, const FrameSet& test,
                             const TaskSet& tasks, const std::vector<int64_t>& sequence, at::Tensor signals,
                             const ContinualOptions& o, const std::function<void()>& on_batch = {},
                             const std::function<void(int64_t, const ContinualLog&)>& on_task = {});

// Test accuracy of the branch on task k (permutation `task`) with its signals ([2, C] or undefined).
double task_accuracy(Branch& net, const FrameSet& test, const TaskSet& tasks, int64_t task, const at::Tensor& signals,
                     int64_t samples = 0, int64_t batch = 500);

// The same with the permutation given directly (int64 [D]), e.g. a re-shuffled task (Fig. 3f).
double permutation_accuracy(Branch& net, const FrameSet& test, const at::Tensor& permutation, const at::Tensor& signals,
                            int64_t samples = 0, int64_t batch = 500);

// The mean activity of the second hidden layer for each task, over the first `samples` test
// samples: [K, C] (the paper's Fig. 3c/d correlates these).
at::Tensor hidden_profile(Branch& net, const FrameSet& test, const TaskSet& tasks, const std::vector<int64_t>& ids,
                          const at::Tensor& signals, int64_t samples = 0, int64_t batch = 500);

}  // namespace hnn::models::hmn
