// hnn demo hybrid: a hybrid classifier on Fashion-MNIST. An ANN front end (two conv blocks and
// a linear layer) feeds an A2S hybrid unit, an SNN layer of LIF neurons, an S2A hybrid unit and
// an ANN head, trained end to end. The same model with fixed rate-coding HUs (Poisson encoder,
// rate decoder) is the baseline.
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "demos.h"
#include "hnn/data/idx.h"
#include "hnn/hu/presets.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/train/classify.h"

namespace hnn::cli {
namespace {

struct HybridNetImpl : torch::nn::Module {
  HybridNetImpl(int64_t steps, bool learnable, int64_t features = 256) {
    using namespace torch::nn;
    front = register_module(
        "front", Sequential(Conv2d(Conv2dOptions(1, 16, 3).padding(1).bias(false)), BatchNorm2d(16), ReLU(),
                            MaxPool2d(2), Conv2d(Conv2dOptions(16, 32, 3).padding(1).bias(false)), BatchNorm2d(32),
                            ReLU(), MaxPool2d(2), Flatten(), Linear(32 * 7 * 7, features), BatchNorm1d(features)));
    a2s = register_module("a2s", learnable ? hu::learnable_sampler(steps) : hu::poisson_encoder(steps, false));
    snn = register_module(
        "snn",
        nn::SpikingLinear(nn::SpikingLinearOptions(features, features)
                              .batch_norm(true)
                              .neuron(spike::NeuronOptions::lif(2.0).surrogate(spike::Surrogate::parse("sigmoid:4")))));
    s2a = register_module("s2a", learnable ? hu::learnable_window_decoder(steps, features, /*squeeze=*/true)
                                           : hu::rate_decoder(0, /*squeeze=*/true));
    head = register_module("head", Linear(features, 10));
  }
  torch::Tensor forward(const torch::Tensor& images) {
    auto features = torch::sigmoid(front->forward(images));  // [B, F] in (0, 1)
    auto spikes = snn(a2s(features));                        // [T, B, F]
    return head(s2a(spikes));                                // [B, F] -> [B, 10]
  }
  torch::nn::Sequential front{nullptr};
  hu::HybridUnit a2s{nullptr}, s2a{nullptr};
  nn::SpikingLinear snn{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(HybridNet);

struct Result {
  double test_accuracy = 0, seconds = 0;
};

Result train_one(const std::string& label, bool learnable, const data::ImageSet& train, const data::ImageSet& test,
                 const DemoOptions& o) {
  HybridNet net(o.steps, learnable);
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  train::Trainer trainer(*net,
                         train::TrainerOptions().epochs(o.epochs).batch_size(o.batch).lr(o.lr).schedule("cosine"));
  trainer.add_callback(std::make_shared<train::ProgressBar>(label + " epoch"));
  Result r;
  trainer.add_callback(std::make_shared<train::OnEpochEnd>([&](const train::EpochLog& e) {
    fmt::print("{:<20} epoch {}: train loss {:.4f} acc {:.2f}% | test acc {:.2f}% | {:.1f} s/epoch\n", label, e.epoch,
               train::metric(e.train, "loss"), 100 * train::metric(e.train, "accuracy"),
               100 * train::metric(e.val, "accuracy"), e.seconds);
    r.test_accuracy = train::metric(e.val, "accuracy");
    r.seconds += e.seconds;
  }));
  trainer.fit(train.size(), train::classification_step(fwd, train.images, train.labels),
              [&] { return train::evaluate_classifier(fwd, test.images, test.labels); });
  return r;
}

}  // namespace

void run_hybrid(const DemoOptions& o) {
  std::string dir = data::fashion_mnist_dir();
  auto train = data::load_image_set(dir, "train", o.train_limit);
  auto test = data::load_image_set(dir, "t10k");
  fmt::print("Fashion-MNIST: {} training and {} test images\n", train.size(), test.size());
  fmt::print("model: conv(16)-conv(32)-linear(256) ANN -> A2S HU (T = {}) -> 256 LIF -> S2A HU -> linear(10)\n",
             o.steps);
  auto learn = train_one("learnable HUs", true, train, test, o);
  Result fixed;
  if (!o.skip_baseline) fixed = train_one("fixed rate-coding", false, train, test, o);
  fmt::print("\n{:<46} {:>9} {:>10}\n", "hybrid units", "test acc", "train s");
  fmt::print("{:<46} {:>8.2f}% {:>10.1f}\n", "learnable sampler + learnable window decoder", 100 * learn.test_accuracy,
             learn.seconds);
  if (!o.skip_baseline)
    fmt::print("{:<46} {:>8.2f}% {:>10.1f}\n", "fixed Poisson encoder + rate decoder", 100 * fixed.test_accuracy,
               fixed.seconds);
}

}  // namespace hnn::cli
