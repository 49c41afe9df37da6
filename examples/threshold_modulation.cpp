// Example 2: an ANN modulating an SNN's thresholds through a modulation hybrid unit.
//
// What it shows: the third direction of hybrid units. A context (which of two rules applies) is
// read by an ANN; a threshold-modulator HU (theta = (1 - g) v_T, g = sigmoid(W c + b)) turns it
// into one firing threshold per spiking neuron and per sample, and the LIF layer runs with those
// thresholds (Neuron::run with modulated parameters). The same SNN without modulation cannot know
// the rule and stays near chance on half of the samples.
//
// The task: x has 2 x 8 random features in [0, 1], rate-coded over T = 8 steps; under rule 0 the
// label is "the first half sums to more than the second", under rule 1 the opposite, so without
// the rule the best possible accuracy is 50%. The modulation can silence one of two groups of
// neurons per rule. Run: threshold_modulation [--samples N] [--epochs E] [--seed S]
#include <hnn/core/seed.h>
#include <hnn/hu/presets.h>
#include <hnn/nn/time_fold.h>
#include <hnn/spike/neurons.h>
#include <hnn/train/trainer.h>
#include <torch/torch.h>

#include <iostream>

#include "example_args.h"

using namespace hnn;

constexpr int64_t kSteps = 8, kFeatures = 16, kHidden = 64;

struct ModulatedSnnImpl : torch::nn::Module {
  explicit ModulatedSnnImpl(bool modulated) : modulated(modulated) {
    encoder = register_module("encoder", hu::rate_encoder(kSteps));
    fc = register_module("fc", torch::nn::Linear(kFeatures, kHidden));
    lif = register_module("lif",
                          spike::Lif(spike::NeuronOptions::lif(2.0).surrogate(spike::Surrogate::parse("sigmoid:4"))));
    if (modulated) modulator = register_module("modulator", hu::threshold_modulator(2, kHidden, /*v_threshold=*/2.0));
    head = register_module("head", torch::nn::Linear(kHidden, 2));
  }
  // x [B, 16], context one-hot [B, 2] -> logits [B, 2]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context) {
    auto current = nn::unfold_time(fc(nn::fold_time(encoder(x))), kSteps);  // [T, B, H]
    spike::Modulation m;
    if (modulated) m.threshold(modulator(context));  // [B, H]: one threshold per neuron and sample
    auto spikes = lif(current, m);                   // [T, B, H]
    return head(spikes.mean(0));
  }
  bool modulated;
  hu::HybridUnit encoder{nullptr}, modulator{nullptr};
  torch::nn::Linear fc{nullptr}, head{nullptr};
  spike::Lif lif{nullptr};
};
TORCH_MODULE(ModulatedSnn);

int main(int argc, char** argv) try {
  examples::Args args(argc, argv);
  seed_everything(args.num("seed", 1));
  const int64_t n = args.num("samples", 4000);
  auto x = torch::rand({n, kFeatures});
  auto rule = torch::randint(0, 2, {n}, torch::kLong);
  auto first = x.narrow(1, 0, kFeatures / 2).sum(1), second = x.narrow(1, kFeatures / 2, kFeatures / 2).sum(1);
  auto labels = torch::where(rule == 0, first > second, second > first).to(torch::kLong);
  auto context = torch::one_hot(rule, 2).to(torch::kFloat);
  const int64_t n_train = n * 3 / 4;

  for (bool modulated : {false, true}) {
    ModulatedSnn net(modulated);
    train::Trainer trainer(*net, train::TrainerOptions().epochs(args.num("epochs", 10)).batch_size(64).lr(3e-3));
    auto step = [&](const torch::Tensor& idx) {
      auto logits = net->forward(x.index_select(0, idx), context.index_select(0, idx));
      return train::StepResult{torch::nn::functional::cross_entropy(logits, labels.index_select(0, idx))};
    };
    auto validate = [&] {
      auto logits = net->forward(x.slice(0, n_train), context.slice(0, n_train));
      double acc = logits.argmax(1).eq(labels.slice(0, n_train)).to(torch::kDouble).mean().item<double>();
      return train::Metrics{{"accuracy", acc}};
    };
    auto r = trainer.fit(n_train, step, validate);
    std::cout << (modulated ? "with threshold modulation   " : "without modulation          ") << "held-out accuracy "
              << train::metric(r.history.back().val, "accuracy") << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "threshold_modulation: " << e.what() << "\n";
  return 2;
}
