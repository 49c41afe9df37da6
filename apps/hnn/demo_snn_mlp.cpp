// hnn demo snn-mlp: a spiking MLP (rate-coded input, LIF, fused kernels) on Fashion-MNIST.
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "demos.h"
#include "hnn/data/idx.h"
#include "hnn/hu/presets.h"
#include "hnn/nn/time_fold.h"
#include "hnn/spike/neurons.h"
#include "hnn/train/classify.h"

namespace hnn::cli {
namespace {

// Input rate-coded over T steps by a hybrid unit (Poisson encoder: Bernoulli spikes with
// p = intensity; or the rate encoder: the intensity as a constant current), one LIF hidden layer,
// a linear read-out averaged over time. Time is folded into the batch for the linear layers.
struct SpikingMlpImpl : torch::nn::Module {
  SpikingMlpImpl(int64_t hidden, int64_t steps, bool poisson, spike::Surrogate sg)
      : encoder(register_module("encoder",
                                poisson ? hu::poisson_encoder(steps, /*normalize=*/false) : hu::rate_encoder(steps))),
        fc1(register_module("fc1", torch::nn::Linear(784, hidden))),
        bn1(register_module("bn1", torch::nn::BatchNorm1d(hidden))),
        lif(register_module("lif", spike::Lif(spike::NeuronOptions::lif(2.0).surrogate(sg).detach_reset(true)))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, 10))),
        steps(steps) {}

  torch::Tensor forward(const torch::Tensor& images) {
    auto input = encoder(images.flatten(1));                                // [T, B, 784]
    auto current = nn::unfold_time(bn1(fc1(nn::fold_time(input))), steps);  // [T, B, H]
    return nn::unfold_time(fc2(nn::fold_time(lif(current))), steps).mean(0);
  }

  hu::HybridUnit encoder;
  torch::nn::Linear fc1;
  torch::nn::BatchNorm1d bn1;
  spike::Lif lif;
  torch::nn::Linear fc2;
  int64_t steps;
};
TORCH_MODULE(SpikingMlp);

}  // namespace

void run_snn_mlp(const DemoOptions& o) {
  std::string dir = data::fashion_mnist_dir();
  auto train = data::load_image_set(dir, "train", o.train_limit);
  auto test = data::load_image_set(dir, "t10k");
  fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.size(), test.size(), dir);
  fmt::print("model: 784 -> {} BN-LIF (tau 2, {}) -> 10, T = {}, {} input coding, Adam lr {} (cosine)\n", o.hidden,
             o.surrogate, o.steps, o.encoding, o.lr);
  SpikingMlp net(o.hidden, o.steps, o.encoding == "poisson", spike::Surrogate::parse(o.surrogate));
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  // Cosine decay over the whole run: most of the accuracy of a one-epoch run comes from it.
  train::Trainer trainer(*net,
                         train::TrainerOptions().epochs(o.epochs).batch_size(o.batch).lr(o.lr).schedule("cosine"));
  trainer.add_callback(std::make_shared<train::ProgressBar>());
  const int64_t n = train.size();
  trainer.add_callback(std::make_shared<train::OnEpochEnd>([n](const train::EpochLog& e) {
    fmt::print("epoch {}: train loss {:.4f} acc {:.2f}% | test acc {:.2f}% | {:.1f} s/epoch ({:.0f} images/s)\n",
               e.epoch, train::metric(e.train, "loss"), 100 * train::metric(e.train, "accuracy"),
               100 * train::metric(e.val, "accuracy"), e.seconds, n / std::max(e.seconds, 1e-9));
  }));
  trainer.fit(train.size(), train::classification_step(fwd, train.images, train.labels),
              [&] { return train::evaluate_classifier(fwd, test.images, test.labels); });
}

}  // namespace hnn::cli
