// The DASBE experiments behind `hnn dasbe ...` and `hnn demo dasbe`: datasets (HDF5), training the
// autoencoders, Table I (DASBE, pure-ANN and PCNN over seeds), and the binding pictures.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hnn::models::dasbe {
class Autoencoder;
}

namespace hnn::cli {

struct DasbeRun {
  std::string set = "bars";
  std::string data_dir = "dasbe/data";  // <data>/<set>.h5
  std::string nets_dir = "dasbe/nets";  // <nets>/<set>.pt (best validation), <set>-last.pt
  std::string out_dir = "dasbe";
  double scale = 1.0;  // data: fraction of the spec's split sizes
  // train (0 / negative: the recipe's value)
  int64_t epochs = 0, batch = 0, patience = -1, limit = 0, steps = 0;
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

// Shared by the dasbe_*.cpp files: <data>/<set>.h5 and <nets>/<set>.pt, or hnn::Error saying how
// to make the missing one.
std::string require_data(const DasbeRun& r, const std::string& set);
models::dasbe::Autoencoder require_net(const DasbeRun& r, const std::string& set);

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
// `hnn dasbe figure2` (Figure 2): one train_multi image (--index, default random from --seed) run
// with each seed for --cycles cycles (all recorded); <out> (raster, synchrony and rate scores per
// cycle, co-activation matrix, group autocorrelations and spike counts), <out stem>-phase.png
// (input | truth | read-out | phase) and <out stem>.csv (per-cycle scores).
void run_dasbe_figure2(const DasbeRun& r);
// `hnn dasbe track` (Figure 5): the RBAE loop on one moving_shapes_3 video; the groups read out of
// every cycle beside its frame (<out>), the AMI per cycle (<stem>-ami.png, <stem>.csv).
void run_dasbe_track(const DasbeRun& r);
// `hnn dasbe hierarchy` (Figure 4): CLRNet in the loop on one shapes image; pixel groups, code-unit
// populations and what each population decodes to (<out>, <stem>-raster.png, <stem>.md).
void run_dasbe_hierarchy(const DasbeRun& r);
// `hnn demo dasbe`: bars data, the bars network, 100 images bound and 3 pictures in <dir>.
void run_dasbe_demo(const std::string& dir, uint64_t seed);

}  // namespace hnn::cli
