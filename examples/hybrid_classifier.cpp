// Example 1: a hybrid classifier on Fashion-MNIST.
//
// What it shows: the hybrid-unit pipeline of Zhao et al. 2022 in one model, trained end to end:
//   conv ANN -> learnable A2S hybrid unit (a learned sampler turns features into T spike steps)
//   -> LIF layer (fused kernel, surrogate gradient) -> S2A hybrid unit (a learned temporal
//   window turns spikes back into features) -> linear head,
// trained with hnn::train::Trainer (Adam, cosine schedule, test accuracy after each epoch).
//
// Run: hybrid_classifier [--data DIR] [--train-limit N] [--epochs E] [--steps T] [--seed S]
// (DIR: Fashion-MNIST IDX files; default: Debian's dataset-fashion-mnist package.)
#include <hnn/hnn.h>
#include <torch/torch.h>

#include <iostream>

#include "example_args.h"

using namespace hnn;

struct HybridNetImpl : torch::nn::Module {
  HybridNetImpl(int64_t steps, int64_t features) {
    using namespace torch::nn;
    front = register_module(
        "front", Sequential(Conv2d(Conv2dOptions(1, 16, 3).padding(1).bias(false)), BatchNorm2d(16), ReLU(),
                            MaxPool2d(2), Conv2d(Conv2dOptions(16, 32, 3).padding(1).bias(false)), BatchNorm2d(32),
                            ReLU(), MaxPool2d(2), Flatten(), Linear(32 * 7 * 7, features), BatchNorm1d(features)));
    a2s = register_module("a2s", hu::learnable_sampler(steps));
    lif = register_module("lif",
                          spike::Lif(spike::NeuronOptions::lif(2.0).surrogate(spike::Surrogate::parse("sigmoid:4"))));
    s2a = register_module("s2a", hu::learnable_window_decoder(steps, features, /*squeeze=*/true));
    head = register_module("head", Linear(features, 10));
  }
  torch::Tensor forward(const torch::Tensor& images) {
    auto features = torch::sigmoid(front->forward(images));  // [B, F] in (0, 1)
    auto spikes = lif(a2s(features));                        // [T, B, F]
    return head(s2a(spikes));                                // one window, squeezed: [B, F] -> [B, 10]
  }
  torch::nn::Sequential front{nullptr};
  hu::HybridUnit a2s{nullptr}, s2a{nullptr};
  spike::Lif lif{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(HybridNet);

int main(int argc, char** argv) try {
  examples::Args args(argc, argv);
  seed_everything(args.num("seed", 1));
  std::string dir = args.str("data", "");
  if (dir.empty()) dir = data::fashion_mnist_dir();
  auto train_set = data::load_image_set(dir, "train", args.num("train-limit", 0));
  auto test_set = data::load_image_set(dir, "t10k", args.num("test-limit", 0));
  std::cout << "Fashion-MNIST: " << train_set.size() << " training, " << test_set.size() << " test images\n";

  HybridNet net(args.num("steps", 8), 128);
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  train::Trainer trainer(
      *net, train::TrainerOptions().epochs(args.num("epochs", 1)).batch_size(100).lr(2e-3).schedule("cosine"));
  trainer.add_callback(std::make_shared<train::ProgressBar>());
  trainer.add_callback(std::make_shared<train::OnEpochEnd>([](const train::EpochLog& e) {
    std::cout << "epoch " << e.epoch << ": " << train::format_metrics(e.train) << " | test "
              << train::format_metrics(e.val) << "\n";
  }));
  auto result = trainer.fit(train_set.size(), train::classification_step(fwd, train_set.images, train_set.labels),
                            [&] { return train::evaluate_classifier(fwd, test_set.images, test_set.labels); });
  std::cout << "test accuracy " << train::metric(result.history.back().val, "accuracy") << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "hybrid_classifier: " << e.what() << "\n";
  return 2;
}
