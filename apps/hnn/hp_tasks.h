// The hybrid-plasticity experiments behind `hnn hp ...` and `hnn demo hp`: the LP / GP / HP MLPs
// with their corruption sweeps, the CNN classifiers, few-shot Omniglot and multitask permuted MNIST.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hnn/models/hp/multitask.h"

namespace hnn::cli {

struct HpMlpExperiment {
  std::string name = "demo";  // "demo" (spec §3.1 constants) or "robustness" (§3.5)
  std::vector<std::string> modes = {"lp", "gp", "hp"};
  std::string dataset = "fashion";  // "fashion" or "mnist" (the shared 22,699-image subset)
  int64_t epochs = 30, batch = 100;
  int64_t train_limit = 0, test_limit = 0;  // 0: all
  double global_lr = 1e-3, local_lr = 5e-4;
  std::vector<std::string> corruptions = {"gaussian"};
  int64_t levels = 7;  // 0 .. levels - 1
  std::string out_dir = "hp-demo";
  uint64_t seed = 42;
};

struct HpCnnExperiment {
  std::string dataset = "mnist";  // "mnist" (spec §3.2), "fashion" (§3.3) or "cifar10" (§3.4)
  std::string data_dir;           // CIFAR-10's binary files (not in ../shared/data)
  std::string mode = "hp";        // "hp" or "gp"
  int64_t epochs = 100, batch = 100;
  int64_t train_limit = 0, test_limit = 0;
  double lr = 5e-4;
  std::string out_dir = "hp-classify";
  uint64_t seed = 42;
};

// Trains the spiking CNN classifier, testing after every epoch; prints each epoch and writes
// <out>/classify-<dataset>-<mode>.{md,csv} and the checkpoint <out>/classify-<dataset>-<mode>.pt.
void run_hp_cnn_experiment(const HpCnnExperiment& e);

struct HpFewShotExperiment {
  std::vector<std::string> modes = {"hp", "gp"};
  int64_t way = 5, shots = 1;
  int64_t iterations = 10000, eval_every = 1000, eval_episodes = 100, final_episodes = 1000;
  int64_t test_classes = 60;  // held out of the background zips' 292 characters
  int64_t lr_step = 10000;
  int64_t channels = 128;
  double global_lr = 8e-5, meta_lr = 3e-5, label_current = 10;
  bool runs = false;  // also the 20-way one-shot benchmark (all_runs.zip); needs way 20
  std::string out_dir = "hp-fewshot";
  uint64_t seed = 42;
};

// Omniglot episodes from ../shared/data/omniglot: trains each mode, prints the held-out accuracy
// every eval_every iterations, evaluates final_episodes episodes (and the one-shot runs), writes
// <out>/fewshot-<way>way.{md,csv,png} and <out>/fewshot-<way>way-<mode>.pt.
void run_hp_few_shot(const HpFewShotExperiment& e);

struct HpMultitaskExperiment {
  std::vector<std::string> models = {"hp", "gp", "ewc"};
  int64_t hidden = 1024;
  double sparsity = 0.03;
  int64_t train_limit = 0, test_limit = 0;  // 0: all (22,699 training and 10,000 test images)
  models::hp::MultitaskOptions train;       // tasks, epochs, learning rates, meta phases, EWC
  std::string out_dir = "hp-multitask";
};

// Permuted MNIST (the shared 22,699-image training subset): trains each model on the tasks in
// turn, printing the accuracy of every learned task after each; writes <out>/multitask.{md,csv,png}
// (the mean accuracy over the learned tasks after each task) and <out>/multitask-<model>.pt.
void run_hp_multitask(const HpMultitaskExperiment& e);

// Trains every mode, evaluates each after every epoch and the final model under every corruption
// level; prints a table and writes <out>/<name>.{md,csv,png} and <out>/<name>-<mode>.pt.
void run_hp_mlp_experiment(const HpMlpExperiment& e);

}  // namespace hnn::cli
