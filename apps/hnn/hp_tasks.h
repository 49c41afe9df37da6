// The hybrid-plasticity MLP experiments behind `hnn hp demo`, `hnn hp robustness` and
// `hnn demo hp`: train LP / GP / HP models on Fashion-MNIST (or MNIST), then sweep corruptions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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

// Trains every mode, evaluates each after every epoch and the final model under every corruption
// level; prints a table and writes <out>/<name>.{md,csv,png} and <out>/<name>-<mode>.pt.
void run_hp_mlp_experiment(const HpMlpExperiment& e);

}  // namespace hnn::cli
