// The work behind `hnn nir export` and `hnn nir run`: a library spiking conv net trained on N-MNIST
// recordings (1-ms frames) and exported as NIR; a NIR model's prediction for one event file.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hnn/io/nir_model.h"

namespace hnn::cli {

struct NirExportOptions {
  std::string model = "scnn";
  std::string out;
  std::string data;  // N-MNIST folder (train1K.txt, test100.txt, <id>.bin); empty: the shared data
  int64_t epochs = 3;
  int64_t train_limit = 0;
  int64_t batch = 16;
  double lr = 2e-3;
  int64_t bin_us = 1000;
  int64_t window_ms = 300;  // N-MNIST recordings last about 300 ms (three saccades)
};

void run_nir_export(const NirExportOptions& o);

// "<id> <label>" per line, in file order ('#' starts a comment): N-MNIST's train1K.txt and
// test100.txt; the id is a recording's file name without extension.
std::vector<std::pair<std::string, int64_t>> read_labels(const std::string& path);

// Bins `file` into frames of bin_us (from its first event), runs the model on [T, 1, ...] and returns
// the argmax of the output's mean over time.
int64_t nir_predict(io::nir::ModelImpl& model, const std::string& file, int64_t bin_us, bool binary);

}  // namespace hnn::cli
