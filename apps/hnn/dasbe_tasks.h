// The DASBE experiments behind `hnn dasbe ...` and `hnn demo dasbe`: datasets (HDF5), training the
// autoencoders, Table I (DASBE, pure-ANN and PCNN over seeds), and the binding pictures.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hnn::cli {

struct DasbeRun {
  std::string set = "bars";
  std::string data_dir = "dasbe/data";  // <data>/<set>.h5
  std::string nets_dir = "dasbe/nets";  // <nets>/<set>.pt (best validation), <set>-last.pt
  std::string out_dir = "dasbe";
  double scale = 1.0;  // data: fraction of the spec's split sizes
  // train (0 / negative: the recipe's value)
  int64_t epochs = 0, batch = 0, patience = -1, limit = 0;
  double lr = 0;
  bool resume = false;
  // table, bind
  std::vector<std::string> sets = {"bars", "shapes", "corners", "multi_mnist", "mnist_shape"};
  std::vector<std::string> methods = {"dasbe", "pure-ann", "pcnn"};
  std::vector<uint64_t> seeds = {111, 222, 333, 444, 555};
  int64_t images = 6000, first = 0, loop_batch = 200, cycles = 0, n_init = 10;
  std::string device = "cpu";
  int64_t index = 0;
  std::string method = "dasbe";
  std::string out_file = "bind.png";
  uint64_t seed = 42;
};

// `hnn dasbe data`: <data>/<file>.h5 with every split of the set (or of every set for "all").
void run_dasbe_data(const DasbeRun& r);
// `hnn dasbe train`: the set's autoencoder with its recipe; <nets>/<set>.pt keeps the best
// validation epoch, <set>-last.pt the last one (for --resume), <set>-train.{csv,png} the curves.
void run_dasbe_train(const DasbeRun& r);
// `hnn dasbe table`: Table I over sets x methods x seeds; <out>/table1.{md,csv}, per-image AMIs.
void run_dasbe_table(const DasbeRun& r);
// `hnn dasbe bind`: one train_multi image bound by a method; the picture (input, truth,
// prediction, phase colouring, raster) and its AMI.
void run_dasbe_bind(const DasbeRun& r);
// `hnn dasbe scores` (Figure 3): synchrony, rate and clustering scores after every cycle for
// --images random images of train_multi per set; <out>/scores.{csv,md,png}.
void run_dasbe_scores(const DasbeRun& r);
// `hnn demo dasbe`: bars data, the bars network, 100 images bound and 3 pictures in <dir>.
void run_dasbe_demo(const std::string& dir, uint64_t seed);

}  // namespace hnn::cli
