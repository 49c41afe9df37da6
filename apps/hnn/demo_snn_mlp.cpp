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

// Input rate-coded over T steps by a hybrid unit (Poisson: Bernoulli spikes with p = intensity;
// rate: the intensity's current at every step), one LIF hidden layer, a linear read-out
// averaged over time.
struct SpikingMlpImpl : torch::nn::Module {
  SpikingMlpImpl(int64_t hidden, int64_t steps, bool poisson, spike::Surrogate sg)
      : fc1(register_module("fc1", torch::nn::Linear(784, hidden))),
        bn1(register_module("bn1", torch::nn::BatchNorm1d(hidden))),
        lif(register_module(
            "lif", spike::Lif(spike::NeuronOptions::lif(2.0).surrogate(sg).detach_reset(true)))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, 10))),
        encoder(register_module("encoder", poisson ? hu::poisson_encoder(steps, /*normalize=*/false)
                                                   : hu::rate_encoder(steps))),
        poisson(poisson) {}

  torch::Tensor forward(const torch::Tensor& images) {
    auto x = images.flatten(1);  // [B, 784] in [0, 1]
    torch::Tensor current;       // [T, B, H]
    if (poisson) {
      auto spikes = encoder(x);  // [T, B, 784]
      current = nn::unfold_time(bn1(fc1(nn::fold_time(spikes))), spikes.size(0));
    } else {
      current = encoder(bn1(fc1(x)));  // the same current at every step
    }
    auto s = lif(current);
    return nn::unfold_time(fc2(nn::fold_time(s)), s.size(0)).mean(0);
  }

  torch::nn::Linear fc1;
  torch::nn::BatchNorm1d bn1;
  spike::Lif lif;
  torch::nn::Linear fc2;
  hu::HybridUnit encoder;
  bool poisson;
};
TORCH_MODULE(SpikingMlp);

}  // namespace

void run_snn_mlp(const DemoOptions& o) {
  std::string dir = data::fashion_mnist_dir();
  auto train = data::load_image_set(dir, "train", o.train_limit);
  auto test = data::load_image_set(dir, "t10k");
  fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.size(), test.size(),
             dir);
  fmt::print(
      "model: 784 -> {} BN-LIF (tau 2, {}) -> 10, T = {}, {} input coding, Adam lr {} (cosine)\n",
      o.hidden, o.surrogate, o.steps, o.encoding, o.lr);
  SpikingMlp net(o.hidden, o.steps, o.encoding == "poisson", spike::Surrogate::parse(o.surrogate));
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  train::LoopOptions lo;
  lo.batch_size = o.batch;
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  // Cosine decay over the whole run: most of the accuracy of a one-epoch run comes from it.
  int64_t epoch = 0;
  lo.lr_factor = [&](double p) { return 0.5 * (1 + std::cos(M_PI * (epoch + p) / o.epochs)); };
  for (int64_t e = 0; e < o.epochs; ++e) {
    epoch = e;
    lo.label = fmt::format("epoch {}/{}", e + 1, o.epochs);
    net->train();
    auto tr = train::train_epoch(fwd, opt, train.images, train.labels, lo);
    net->eval();
    lo.batch_size = 500;
    auto te = train::evaluate(fwd, test.images, test.labels, lo);
    lo.batch_size = o.batch;
    fmt::print(
        "epoch {}: train loss {:.4f} acc {:.2f}% | test acc {:.2f}% | {:.1f} s/epoch ({:.0f} "
        "images/s)\n",
        e + 1, tr.loss, 100 * tr.accuracy, 100 * te.accuracy, tr.seconds, tr.samples / tr.seconds);
  }
}

}  // namespace hnn::cli
