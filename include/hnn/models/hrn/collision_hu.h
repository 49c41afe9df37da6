// The learnable HU of the HRN: a 1-D UNet over the trajectories of two objects ([B, C, T]: the
// two objects' visibility, positions and velocities and their distance per trajectory step) with
// two MLP heads: collide or not (2 logits) and when (the first collision's frame, scaled to
// [0, 1]). Trained with 5 * cross-entropy + MSE (MSE on colliding pairs) and Adam on the scenes'
// factual trajectories and collisions. Its detections replace a scene's factual collisions.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hnn/data/clevrer.h"
#include "hnn/train/trainer.h"

namespace hnn::models::hrn {

struct CollisionHuConfig {
  int channels = 16;      // width of the first UNet level (doubles per level)
  int levels = 2;         // down-sampling levels
  int hidden = 64;        // MLP head width
  int steps = 40;         // trajectory steps fed to the net (zero padded / cut)
  int frame_scale = 190;  // frame = when * frame_scale
  int frame_step = 5;     // detections are snapped to this grid (the trajectory's)
  std::string to_json() const;
  static CollisionHuConfig from_json(const std::string& text, const std::string& where);
};

constexpr int kHuFeatures = 14;

// Features of the pair (a, b) of one scene: [kHuFeatures, steps].
at::Tensor pair_features(const data::ClevrerScene& s, int a, int b, int steps);

struct CollisionNetImpl : torch::nn::Module {
  explicit CollisionNetImpl(const CollisionHuConfig& cfg);
  // x [B, kHuFeatures, steps] -> (logits [B, 2], when [B] in (0, 1))
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& x);

  CollisionHuConfig cfg;
  torch::nn::ModuleList down, up, merge;
  torch::nn::Sequential collide_head, when_head;
};
TORCH_MODULE(CollisionNet);

// One pair's prediction.
struct PairPrediction {
  int a = 0, b = 0;
  float prob = 0;  // P(collide)
  int frame = 0;   // predicted first-collision frame (snapped)
};

// A labelled pair set: features [N, kHuFeatures, steps], collide [N] (int64), when [N] (float,
// first collision frame / frame_scale, 0 for non-colliding pairs), count [N] (collisions of the
// pair), and the (video, a, b) of each row.
struct PairSet {
  at::Tensor x, collide, when, count;
  std::vector<std::array<int, 3>> ids;
  int64_t size() const { return collide.defined() ? collide.size(0) : 0; }
};
PairSet make_pair_set(const std::vector<data::ClevrerScene>& scenes, const CollisionHuConfig& cfg);

struct HuMetrics {
  double precision = 0, recall = 0, f1 = 0;
  double frame_error = 0;   // mean |predicted - true| first-collision frame over true positives
  double event_recall = 0;  // fraction of all collision events whose pair is detected
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  double loss = 0;
};

struct HuTrainOptions {
  int epochs = 8;
  int batch = 256;
  double lr = 2e-3;
  std::vector<std::shared_ptr<train::Callback>> callbacks;  // progress, logging
};

class CollisionHu {
 public:
  explicit CollisionHu(const CollisionHuConfig& cfg = {});
  // An hnn checkpoint (train/checkpoint.h) with the config; save also writes "<path>.json".
  static CollisionHu load(const std::string& path);
  void save(const std::string& path) const;

  const CollisionHuConfig& config() const { return cfg_; }
  CollisionNet& net() { return net_; }

  // Trains on `train`, keeping the weights of the epoch with the best validation F1.
  std::vector<std::pair<HuMetrics, HuMetrics>> train(const PairSet& train, const PairSet& val,
                                                     const HuTrainOptions& opt);
  // Probabilities [N] and frames [N] of a pair set.
  std::pair<at::Tensor, at::Tensor> predict(const PairSet& set, int batch = 1024);
  HuMetrics evaluate(const PairSet& set, double threshold = 0.5, int batch = 1024);

  // Every pair of every scene (a < b).
  std::vector<std::vector<PairPrediction>> predict_scenes(const std::vector<data::ClevrerScene>& scenes);
  // The scene with its factual collisions replaced by the detections with prob >= threshold.
  static data::ClevrerScene with_collisions(const data::ClevrerScene& s, const std::vector<PairPrediction>& preds,
                                            double threshold);

 private:
  CollisionHuConfig cfg_;
  CollisionNet net_;
};

// Deterministic split of videos by id: train (80%), validation (10%), test (10%).
enum class Split { Train, Val, Test };
Split split_of(int video);

}  // namespace hnn::models::hrn
