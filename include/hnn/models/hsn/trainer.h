// Training the HSN trackers as the reference does (spec 2.4): Adam (lr 1e-3), learning rate x0.1
// at a milestone (half of the epochs by default), gradient-norm clipping at 1, shuffled batches;
// checkpoints every N epochs and resume. The loop is hnn::train::Trainer and the checkpoints are
// its format (train/checkpoint.h) with the tracker's JSON config; progress goes to callbacks.
#pragma once
#include <torch/optim/optimizer.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hnn/models/hsn/dataset.h"
#include "hnn/models/hsn/network.h"
#include "hnn/train/trainer.h"

namespace hnn::models::hsn {

struct TrainOptions {
  int64_t epochs = 20;
  int64_t batch = 8;
  double lr = 1e-3;
  double milestone = 0.5;  // fraction of the epochs after which lr *= gamma
  double gamma = 0.1;
  double clip = 1.0;
  bool balanced_loss = false;    // tracking_loss(..., balanced); the reference uses the plain sum
  int64_t checkpoint_every = 0;  // 0: only the final checkpoint
  std::string checkpoint;        // path of the final checkpoint ("" = none); periodic ones add -epochN
  std::string resume;            // checkpoint to continue from
  std::vector<std::shared_ptr<train::Callback>> callbacks;  // e.g. train::ProgressBar
};

struct EpochLog {
  int64_t epoch = 0;
  double loss = 0;
  double val_miou = -1;  // -1 without validation data
  double seconds = 0;
};

// Trains in place; validation (if given) reports the mean IoU after each epoch. Returns the
// epochs run by this call (after a resume: from the checkpoint's epoch on).
std::vector<EpochLog> train_tracker(Tracker& model, const HsnData& train, const HsnData* val, const TrainOptions& o,
                                    const std::function<void(const EpochLog&)>& on_epoch = {});

void save_tracker(const std::string& path, Tracker& model, torch::optim::Optimizer* opt = nullptr, int64_t epoch = 0);

struct LoadedTracker {
  Tracker model{nullptr};
  int64_t epoch = 0;
};
// Rebuilds the tracker from the checkpoint's config and loads the weights (and the optimiser
// state when opt is given). hnn::Error naming the file when it is not a tracker checkpoint.
// The tracker's JSON config ({"model": "hnn.hsn.tracker", "mode", "width", ...}) and back.
std::string tracker_config(const Tracker& model);
// The widest tracker a config (a checkpoint, `--width`) may ask for: 16 times the paper's parameters.
inline constexpr double kMaxTrackerWidth = 4;
Tracker tracker_from_config(const std::string& json, const std::string& where);
LoadedTracker load_tracker(const std::string& path, torch::optim::Optimizer* opt = nullptr);

}  // namespace hnn::models::hsn
