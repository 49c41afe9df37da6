// Few-shot learning with hybrid plasticity (spec hybrid-plasticity.md §3.6): an N-way K-shot
// Omniglot episode is a sequence of images, the support drawings one per step with their label
// slot injected as a current, then the query without label. A tanh CNN (4 x conv 3x3 stride 2,
// 128 channels: 31 -> 16 -> 8 -> 4 -> 2, 512 features) feeds a plastic LIF output layer of N units
// (convex mix of the slow weight and a softmax-Hebb trace reset every episode, hard reset,
// theta 0.5, decay 0.2); the answer is softmax(u) at the query step. GP drops the trace: the
// layer then has no way to bind a label to a drawing and sits near chance.
// Training: each iteration steps the global weights on the support sequences of several tasks
// and (HP) the local parameters by DARTS's second-order meta gradient on a query sequence.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "hnn/models/hp/mlp.h"
#include "hnn/plasticity/plastic_linear.h"

namespace hnn::models::hp {

struct FewShotConfig {
  Mode mode = Mode::HP;  // HP or GP
  int64_t way = 5, shots = 1;
  int64_t channels = 128, image = 31;
  double threshold = 0.5, decay = 0.2, trace_decay = 0.99, label_current = 10;
  double mean = 0.9195, stddev = 0.2721;  // input normalisation
  int64_t steps() const { return way * shots + 1; }
  std::string to_json() const;
  template <class F>
  void visit(F&& f) {
    f("way", way), f("shots", shots), f("channels", channels), f("image", image), f("threshold", threshold);
    f("decay", decay), f("trace_decay", trace_decay), f("label_current", label_current), f("mean", mean);
    f("stddev", stddev);
  }
};

class FewShotNetImpl : public torch::nn::Module {
 public:
  explicit FewShotNetImpl(FewShotConfig config);
  // images [S, 1, image, image] in [0, 1] (S = steps(): support then query), labels [S, way]
  // one-hot (the query's row zero) -> softmax over the label slots at the last step [1, way].
  at::Tensor forward(const at::Tensor& images, const at::Tensor& labels);

  FewShotConfig config;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr};
  plasticity::PlasticLinear out{nullptr};
};
TORCH_MODULE(FewShotNet);

struct Episode {
  at::Tensor images;   // [S, 1, H, W]
  at::Tensor labels;   // [S, way], the query row zero
  int64_t target = 0;  // the query's label slot
};

// Episodes from a character set [C, K, 1, H, W] restricted to `classes` (indices into C).
class EpisodeSampler {
 public:
  EpisodeSampler(at::Tensor images, std::vector<int64_t> classes, uint64_t seed);
  // A task's support and query sequences: the same classes, slots, order and target class,
  // independently drawn images; flip_p: probability of a horizontal flip per image (training).
  std::pair<Episode, Episode> task(int64_t way, int64_t shots, double flip_p = 0.0);

 private:
  Episode make(const std::vector<int64_t>& cls, const std::vector<int64_t>& order, int64_t target, int64_t shots,
               double flip_p);
  at::Tensor images_;
  std::vector<int64_t> classes_;
  std::mt19937_64 rng_;
};

// The binary cross-entropy of the softmax output [1, way] against the one-hot target.
at::Tensor episode_loss(const at::Tensor& output, int64_t target);

struct FewShotTrainOptions {
  int64_t iterations = 10000;
  int64_t tasks = 5;  // support sequences (global steps) per iteration
  double global_lr = 8e-5, meta_lr = 3e-5, eps = 1e-6;
  int64_t lr_step = 10000;  // both learning rates halve every lr_step iterations
  double lr_gamma = 0.5;
  double flip_p = 0.2;
  double xi = 0.1;  // weight of the second-order meta term
  int64_t eval_every = 1000, eval_episodes = 100;
};

struct FewShotProgress {
  int64_t iteration = 0;
  double train_loss = 0;      // mean over the last eval_every iterations
  double test_accuracy = -1;  // on eval_episodes held-out episodes; -1 when not evaluated
};

// Trains net on episodes of `train` and evaluates on episodes of `test` every eval_every
// iterations (and at the end); `progress` is called after each iteration.
std::vector<FewShotProgress> train_few_shot(FewShotNet& net, EpisodeSampler& train, EpisodeSampler& test,
                                            const FewShotTrainOptions& o,
                                            const std::function<void(const FewShotProgress&)>& progress = {});

// Accuracy on n episodes (no gradients).
double evaluate_few_shot(FewShotNet& net, EpisodeSampler& sampler, int64_t n);

// The 20-way one-shot benchmark: for each test drawing of a run, the 20 training drawings (label
// slot = class, in a seeded random order) then the test drawing; returns the accuracy per run.
// net must have way 20 and shots 1.
std::vector<double> evaluate_one_shot_runs(FewShotNet& net, const std::vector<at::Tensor>& run_train,
                                           const std::vector<at::Tensor>& run_test,
                                           const std::vector<std::vector<int64_t>>& answers, uint64_t seed);

}  // namespace hnn::models::hp
