// The demos behind `hnn demo`, one file each.
#pragma once
#include <cstdint>
#include <string>

namespace hnn::cli {

struct DemoOptions {
  std::string which = "hsn";
  int64_t epochs = 1;
  int64_t steps = 8;
  int64_t batch = 100;
  double lr = 2e-3;
  int64_t train_limit = 0;
  // snn-mlp
  int64_t hidden = 800;
  std::string encoding = "poisson";
  std::string surrogate = "sigmoid:4";
  // hybrid
  bool skip_baseline = false;
  // hsn
  std::string out_dir = "hnn-demo";
  double width = 0.25;
  int64_t hsn_epochs = 8;
  bool snn_baseline = false;
  double train_seconds = 8, fast_seconds = 4, test_seconds = 4;
};

void run_snn_mlp(const DemoOptions& o);
void run_hybrid(const DemoOptions& o);
void run_hsn(const DemoOptions& o, uint64_t seed);

}  // namespace hnn::cli
