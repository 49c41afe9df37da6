#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/hu/quantizer.h"
#include "test_util.h"

using namespace hnn::hu;

TEST(Quantizer, ThresholdWithSurrogate) {
  Quantizer q(QuantizerOptions::threshold(0.5, hnn::spike::Surrogate::parse("rect:1")));
  auto x = torch::tensor({0.2, 0.6, 1.2}, torch::kDouble).requires_grad_();
  auto y = q(x);
  EXPECT_TRUE(torch::equal(y, torch::tensor({0.0, 1.0, 1.0}, torch::kDouble)));
  y.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({1.0, 1.0, 0.0}, torch::kDouble)));  // |x - 0.5| < 0.5
}

TEST(Quantizer, BernoulliRateAndStraightThrough) {
  Quantizer q(QuantizerOptions::bernoulli());
  auto p = torch::full({20000}, 0.3, torch::kDouble).requires_grad_();
  auto s = q(p);
  EXPECT_TRUE(torch::all((s == 0) | (s == 1)).item<bool>());
  EXPECT_NEAR(s.mean().item<double>(), 0.3, 0.02);
  s.sum().backward();
  EXPECT_TRUE(torch::all(p.grad() == 1).item<bool>());
}

TEST(Quantizer, LatencyOneSpikeEarlierForLarger) {
  Quantizer q(QuantizerOptions::latency());
  auto x = torch::tensor({1.0, 0.5, 0.0}, torch::kDouble).unsqueeze(0).expand({5, 3}).contiguous();
  auto s = q(x);
  // x = 1 fires at t = 0, x = 0.5 at t = round(0.5 * 4) = 2, x = 0 never.
  EXPECT_TRUE(torch::equal(s.sum(0), torch::tensor({1.0, 1.0, 0.0}, torch::kDouble)));
  EXPECT_EQ(s[0][0].item<double>(), 1.0);
  EXPECT_EQ(s[2][1].item<double>(), 1.0);
  // The gradient moves the spike time: d(spike at the current time)/dx is 0 at the bump's centre,
  // and a later step's spike grows with a smaller x.
  auto xi = torch::full({5, 1}, 0.5, torch::kDouble).requires_grad_();
  q(xi)[3].sum().backward();
  EXPECT_LT(xi.grad().sum().item<double>(), 0);
}

TEST(Quantizer, RoundAndDelta) {
  Quantizer r(QuantizerOptions::round(0.25));
  auto x = torch::tensor({0.1, 0.3, 0.9}, torch::kDouble).requires_grad_();
  auto y = r(x);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({0.0, 0.25, 1.0}, torch::kDouble)));
  y.sum().backward();
  EXPECT_TRUE(torch::all(x.grad() == 1).item<bool>());

  Quantizer d(QuantizerOptions::delta(0.1));
  auto seq = torch::tensor({0.0, 0.05, 0.15, 0.1, -0.1}, torch::kDouble).view({5, 1});
  EXPECT_TRUE(torch::equal(d(seq).flatten(), torch::tensor({0.0, 0.0, 1.0, 0.0, -1.0}, torch::kDouble)));
  EXPECT_THROW(Quantizer(QuantizerOptions::delta(0)), hnn::Error);
  EXPECT_THROW(d(torch::rand({3})), hnn::Error);
}
