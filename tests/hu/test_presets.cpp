#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/random.h"
#include "hnn/hu/presets.h"
#include "hnn/spike/neuron.h"
#include "test_util.h"

using namespace hnn::hu;

TEST(Presets, EncoderShapesAndValues) {
  auto x = torch::rand({4, 6});
  EXPECT_TRUE(torch::equal(rate_encoder(5)(x)[3], x));
  auto p = poisson_encoder(50)(x);
  ASSERT_EQ(p.sizes(), torch::IntArrayRef({50, 4, 6}));
  EXPECT_TRUE(torch::all((p == 0) | (p == 1)).item<bool>());
  // min-max normalised per sample: each sample's largest input fires at every step, the smallest
  // never.
  auto arg_max = x.argmax(1), arg_min = x.argmin(1);
  for (int b = 0; b < 4; ++b) {
    EXPECT_EQ(p.select(1, b).select(1, arg_max[b].item<int64_t>()).sum().item<float>(), 50);
    EXPECT_EQ(p.select(1, b).select(1, arg_min[b].item<int64_t>()).sum().item<float>(), 0);
  }
  auto l = latency_encoder(8)(x);
  EXPECT_TRUE(torch::all(l.sum(0) <= 1).item<bool>());
  auto pop = population_encoder(10, 5)(torch::rand({3, 2}));
  EXPECT_EQ(pop.sizes(), torch::IntArrayRef({10, 3, 2, 5}));
  // A ramp of 0.1 a step against a threshold of 0.15: an event every second step.
  auto d = delta_encoder(0.15)(torch::cumsum(torch::full({10, 1}, 0.1, torch::kDouble), 0));
  EXPECT_EQ(d.sum().item<double>(), 4);
  auto s = learnable_sampler(7)(torch::rand({2, 3}));
  EXPECT_EQ(s.sizes(), torch::IntArrayRef({7, 2, 3}));
}

// Without normalisation the Poisson encoder draws exactly the spikes of hnn::bernoulli on the
// input repeated over time.
TEST(Presets, PoissonEncoderDrawsLikeBernoulliOnTheRepeatedInput) {
  auto x = torch::rand({5, 7});
  torch::manual_seed(9);
  auto by_hand = hnn::bernoulli(x.unsqueeze(0).expand({6, 5, 7}));
  torch::manual_seed(9);
  EXPECT_TRUE(torch::equal(poisson_encoder(6, /*normalize=*/false)(x), by_hand));
}

TEST(Presets, DecoderShapesAndValues) {
  auto s = (torch::rand({12, 2, 3}) > 0.5).to(torch::kFloat);
  EXPECT_TRUE(torch::allclose(rate_decoder()(s), s.mean(0)));
  EXPECT_TRUE(torch::allclose(count_decoder(4)(s), s.view({3, 4, 2, 3}).sum(1)));
  EXPECT_EQ(trace_decoder(2.0, 4, 2)(s).sizes(), torch::IntArrayRef({5, 2, 3}));
  EXPECT_EQ(first_spike_decoder(6)(s).sizes(), torch::IntArrayRef({2, 2, 3}));
  EXPECT_EQ(learnable_window_decoder(3)(s).sizes(), torch::IntArrayRef({4, 2, 3}));
  EXPECT_THROW(learnable_window_decoder(0), hnn::Error);
}

// The integrator decoder equals the membrane of a non-spiking leaky integrator (v = d v + x, no
// reset) computed by the fused neuron kernel, read at the end of the sequence.
TEST(Presets, IntegratorDecoderIsLeakyIntegratorMembrane) {
  auto x = torch::rand({9, 2, 4}, torch::kDouble);
  hnn::spike::NeuronSpec spec;
  spec.charge = hnn::spike::Charge::LifDecay;
  spec.reset = hnn::spike::Reset::None;
  hnn::spike::NeuronParams p;
  p.decay = torch::scalar_tensor(0.8, torch::kDouble);
  p.threshold = torch::scalar_tensor(1e9, torch::kDouble);
  auto membrane = hnn::spike::multistep(x, {}, p, spec, true).membrane;
  EXPECT_TENSOR_NEAR(integrator_decoder(0.8)(x), membrane[8], 1e-12);
  EXPECT_TENSOR_NEAR(integrator_decoder(1.0)(x), x.sum(0), 1e-12);
}

TEST(Presets, ModulatorsGiveParameterTensors) {
  auto f = torch::rand({5, 3});
  auto th = threshold_modulator(3, 8, 2.0)(f);
  ASSERT_EQ(th.sizes(), torch::IntArrayRef({5, 8}));
  EXPECT_TRUE(torch::all((th > 0) & (th < 2)).item<bool>());
  auto g = spike_gate(3, 8)(f);
  EXPECT_TRUE(torch::all((g == 0) | (g == 1)).item<bool>());
  auto soft = spike_gate(3, 8, 1.0, false)(f);
  EXPECT_TRUE(torch::all((soft > 0) & (soft < 1)).item<bool>());
  auto sc = weight_scale(3, 8)(f);
  EXPECT_TRUE(torch::all((sc >= 0) & (sc <= 2)).item<bool>());
}

TEST(Presets, ThresholdModulatorGradientMatchesFiniteDifferences) {
  auto hu = threshold_modulator(3, 4, 1.5, 2.0);
  hu->to(torch::kDouble);
  auto f = torch::rand({2, 3}, torch::kDouble).requires_grad_();
  auto params = hu->parameters();
  params.push_back(f);
  EXPECT_LT(gradcheck([&](const std::vector<torch::Tensor>&) { return hu(f); }, params), 1e-8);
}

TEST(Presets, EveryNameBuilds) {
  for (auto& n : preset_names()) EXPECT_NO_THROW(make_preset(n)) << n;
  EXPECT_THROW(make_preset("morse"), hnn::Error);
}
