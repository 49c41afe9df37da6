#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/hu/kernel.h"
#include "test_util.h"

using namespace hnn::hu;

namespace {
// One window [K=1, L, B=1] from values.
torch::Tensor window(std::vector<double> v) {
  return torch::tensor(v, torch::kDouble).view({1, (int64_t)v.size(), 1});
}
double value(Kernel k, std::vector<double> v) {
  return k(window(v)).item<double>();
}
}  // namespace

TEST(Kernel, BoxSumMean) {
  EXPECT_DOUBLE_EQ(value(Kernel(KernelOptions::sum()), {1, 0, 1, 1}), 3);
  EXPECT_DOUBLE_EQ(value(Kernel(KernelOptions::mean()), {1, 0, 1, 1}), 0.75);
}

TEST(Kernel, ExponentialAndAlpha) {
  // Weights e^-2, e^-1, 1 (the newest step weighs 1).
  EXPECT_NEAR(value(Kernel(KernelOptions::exponential(1.0)), {1, 0, 1}), std::exp(-2.0) + 1, 1e-12);
  auto norm = Kernel(KernelOptions::exponential(1.0).normalize(true));
  EXPECT_NEAR(value(norm, {1, 1, 1}), 1.0, 1e-12);
  // Alpha: (d/tau) e^(1 - d/tau) with d = 2, 1, 0 for tau = 1: 2e^-1, 1, 0.
  EXPECT_NEAR(value(Kernel(KernelOptions::alpha(1.0)), {1, 1, 1}), 2 * std::exp(-1.0) + 1, 1e-12);
}

TEST(Kernel, FixedAndFirstSpike) {
  EXPECT_DOUBLE_EQ(value(Kernel(KernelOptions::fixed({0.5, 2.0})), {4, 1}), 4);
  EXPECT_THROW(value(Kernel(KernelOptions::fixed({1.0})), {4, 1}), hnn::Error);
  Kernel first(KernelOptions::first_spike());
  EXPECT_DOUBLE_EQ(value(first, {0, 1, 1, 0}), 0.75);  // first spike at i = 1 of L = 4
  EXPECT_DOUBLE_EQ(value(first, {1, 0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(value(first, {0, 0, 0, 0}), 0.0);
}

TEST(Kernel, FirstSpikeGradientMatchesFiniteDifferences) {
  Kernel first(KernelOptions::first_spike());
  auto w = (torch::rand({2, 5, 3}, torch::kDouble)).requires_grad_();
  EXPECT_LT(gradcheck([&](const std::vector<torch::Tensor>& in) { return first(in[0]); }, {w}), 1e-8);
}

TEST(Kernel, LearnablePerChannelWeights) {
  Kernel k(KernelOptions::learnable(3, 2));
  ASSERT_EQ(k->weight.sizes(), torch::IntArrayRef({2, 3}));
  {
    torch::NoGradGuard ng;
    k->weight.copy_(torch::tensor({{1.0, 0.0, 0.0}, {0.0, 0.0, 2.0}}));
  }
  auto w = torch::arange(12, torch::kFloat).view({1, 3, 2, 2});  // [K, L, B, C]
  auto y = k(w);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 2, 2}));
  // channel 0 takes step 0, channel 1 twice step 2.
  EXPECT_FLOAT_EQ(y[0][1][0].item<float>(), w[0][0][1][0].item<float>());
  EXPECT_FLOAT_EQ(y[0][1][1].item<float>(), 2 * w[0][2][1][1].item<float>());
  // Gradients reach the weights exactly (the kernel is linear in them).
  auto kd = Kernel(KernelOptions::learnable(3, 2));
  kd->to(torch::kDouble);
  auto wd = torch::rand({2, 3, 4, 2}, torch::kDouble);
  EXPECT_LT(gradcheck([&](const std::vector<torch::Tensor>&) { return kd(wd); }, {kd->weight}), 1e-8);
}

TEST(Kernel, RejectsSequencesWithoutWindows) {
  EXPECT_THROW((void)Kernel(KernelOptions::mean())(torch::rand({4, 2})), hnn::Error);
  EXPECT_THROW(Kernel(KernelOptions::exponential(-1)), hnn::Error);
}
