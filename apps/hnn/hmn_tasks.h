// The hybrid-modulation-network experiments behind `hnn hmn ...` and `hnn demo hmn`: the data
// caches, stage 1 (the backbone and its modulation HUs), stage 2 (the continual runs of every
// method), the evaluation (real N-MNIST, task similarity, hidden correlations) and the plots.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hnn::cli {

struct HmnData {
  std::vector<std::string> datasets = {"mnist"};
  int64_t bins = 10;
  double bin_ms = 2;
  bool binary = false, force = false;
  int64_t train_limit = 0, test_limit = 0;
  int64_t tasks = 700, continual = 40;
  std::string out_dir = "hmn-data";
  uint64_t seed = 42;
};

// `hnn hmn data`: the frame caches <out>/<dataset>-{train,test}.frames, the real N-MNIST sets,
// tasks.bin, data.md and data.png.
void run_hmn_data(const HmnData& c);

struct HmnRun {
  std::string data_dir = "hmn-data";  // what `hnn hmn data` wrote
  std::string dataset = "mnist";
  std::string out_dir = "hmn-run";
  std::string device = "cpu";
  // Stage 1: the backbone and its modulation HUs.
  int64_t hidden = 512;        // 0: the merge variant
  int64_t channels = 512;      // C
  int64_t dense_channels = 0;  // plain, ewc, si: their branch's width (0: channels)
  int64_t backbone_epochs = 30, backbone_batch = 200, backbone_milestone = 25, backbone_samples = 0;
  double backbone_lr = 0.02;
  double gate_floor = 0.1;             // the conjugate loss keeps at least this fraction of the gates on
  std::string signals_from = "train";  // or "test" (the reference's unlabeled test inputs)
  int64_t signal_samples = 2000;
  bool retrain_backbone = false;
  // Stage 2: the continual runs.
  std::vector<std::string> methods = {"hmn", "hmn+ewc", "plain", "xdg", "ewc", "si"};
  int64_t seeds = 1;
  int64_t tasks = 0;  // the first N of the continual sequence (0: all)
  int64_t epochs = 10, batch = 200, milestone = 5, train_samples = 0, test_samples = 0, eval_every = 4;
  double lr = 0.05, momentum = 0.9, vt = 1000, xdg_keep = 0.2, ewc_lambda = 5000, si_c = 0.1;
  int64_t fisher_samples = 200;
  bool active_only = false;  // the methods with signals: only the switched-on part (BranchConfig)
  bool resume = false;
  uint64_t seed = 42;
};

// `hnn hmn backbone`: trains (or reuses) <out>/backbone.pt (backbone-snn.pt when spiking), writes
// the continual tasks' signals to signals.pt (signals-snn.pt), backbone.md and signals.png.
void run_hmn_backbone(const HmnRun& e, bool spiking);
// `hnn hmn train`: the backbones the methods need, then every method x seed; checkpoints in
// <out>/runs/, results.json, accuracy.csv, results.md and curves.png.
void run_hmn_train(const HmnRun& e);
// `hnn hmn eval`: the trained runs on the real N-MNIST recordings, on re-shuffled (less similar)
// tasks and the correlation of hidden activity between tasks; eval.md, similarity.png,
// correlation.png.
void run_hmn_eval(const HmnRun& e);
// `hnn hmn plot`: accuracy.csv, results.md and curves.png again from results.json (e.g. after runs
// of separate commands were merged into it).
void run_hmn_plot(const std::string& out_dir);
// `hnn demo hmn`: a reduced preset of all of the above.
void run_hmn_demo(const std::string& out_dir, uint64_t seed);

}  // namespace hnn::cli
