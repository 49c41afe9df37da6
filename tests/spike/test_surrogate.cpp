#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "hnn/core/error.h"
#include "hnn/spike/surrogate.h"
#include "test_util.h"

using namespace hnn::spike;

TEST(Surrogate, ParseNamesAndAlpha) {
  EXPECT_EQ(Surrogate::parse("rect").kind, SurrogateKind::Rectangular);
  EXPECT_DOUBLE_EQ(Surrogate::parse("rect").alpha, 1.0);
  EXPECT_DOUBLE_EQ(Surrogate::parse("sigmoid:2.5").alpha, 2.5);
  EXPECT_EQ(Surrogate::parse("superspike").kind, SurrogateKind::FastSigmoid);
  EXPECT_EQ(Surrogate::parse("arctan").name(), "arctan:2");
  EXPECT_THROW(Surrogate::parse("gauss"), hnn::Error);
  EXPECT_THROW(Surrogate::parse("sigmoid:abc"), hnn::Error);
  EXPECT_THROW(Surrogate::parse("sigmoid:-1"), hnn::Error);
  EXPECT_EQ(Surrogate::names().size(), 5u);
}

TEST(Surrogate, ForwardIsHeaviside) {
  auto x = torch::tensor({-1.0, 0.0, 1e-9, 2.0}, torch::kDouble);
  auto s = spike(x, Surrogate{});
  EXPECT_TRUE(torch::equal(s, torch::tensor({0.0, 0.0, 1.0, 1.0}, torch::kDouble)));
  auto si = spike(x, Surrogate{}, /*inclusive=*/true);
  EXPECT_TRUE(torch::equal(si, torch::tensor({0.0, 1.0, 1.0, 1.0}, torch::kDouble)));
}

TEST(Surrogate, RectangularMatchesReference) {
  // The reference systems: gradient 1 where |u - theta| < 0.5, else 0.
  auto x = torch::tensor({-0.6, -0.4, 0.0, 0.49, 0.51}, torch::kDouble).requires_grad_();
  spike(x, Surrogate::parse("rect:1")).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0, 1.0, 1.0, 1.0, 0.0}, torch::kDouble)));
}

// Each surrogate derivative integrates to ~1 (a proper smoothed Dirac; SuperSpike's fast sigmoid
// to 2/alpha by convention) and matches the scalar kernel function used by the fused kernels.
TEST(Surrogate, DerivativesIntegrateToOneAndMatchScalar) {
  for (auto& name : Surrogate::names()) {
    Surrogate sg = Surrogate::parse(name);
    auto x = torch::linspace(-200, 200, 800001, torch::kDouble);
    auto g = surrogate_grad(x, sg);
    double integral = g.sum().item<double>() * (400.0 / 800000);
    double expected = sg.kind == SurrogateKind::FastSigmoid ? 2.0 / sg.alpha : 1.0;
    EXPECT_NEAR(integral, expected, name == "arctan" ? 5e-3 : 2e-3) << name;
    for (double v : {-0.7, -0.2, 0.0, 0.3, 1.1}) {
      double k = surrogate_derivative<double>(sg.kind, sg.alpha, v);
      double t = surrogate_grad(torch::scalar_tensor(v, torch::kDouble), sg).item<double>();
      EXPECT_NEAR(k, t, 1e-14) << name << " at " << v;
    }
  }
}

// Smooth surrogates: the backward equals the analytic derivative, checked by finite differences
// of the smooth primitive whose derivative it is.
TEST(Surrogate, SigmoidBackwardIsDerivativeOfSigmoid) {
  Surrogate sg = Surrogate::parse("sigmoid:3");
  auto x = torch::linspace(-2, 2, 41, torch::kDouble).requires_grad_();
  spike(x, sg).sum().backward();
  double eps = 1e-6;
  auto fd = (torch::sigmoid(3 * (x.detach() + eps)) - torch::sigmoid(3 * (x.detach() - eps))) / (2 * eps);
  EXPECT_TENSOR_NEAR(x.grad(), fd, 1e-8);
}

// The float kernels' exp (fast_exp, a polynomial): relative error at most 2.5e-7 against the
// double exp over its whole range, on a dense sweep, and clamped (finite, no NaN) beyond it.
TEST(Surrogate, FastExpIsWithinItsStatedError) {
  double worst = 0;
  for (double x = -87.3; x <= 88.0; x += 1.0 / 4096) {
    double ref = std::exp(double(float(x)));
    double rel = std::fabs(double(hnn::fast_exp(float(x))) - ref) / ref;
    worst = std::max(worst, rel);
  }
  EXPECT_LT(worst, 2.5e-7);
  EXPECT_EQ(hnn::fast_exp(0.0f), 1.0f);
  for (float x : {-1000.0f, -88.0f, 89.0f, 1000.0f}) {
    EXPECT_TRUE(std::isfinite(hnn::fast_exp(x))) << x;
    EXPECT_GT(hnn::fast_exp(x), 0.0f) << x;
  }
  // NaN in, NaN out (UBSan once caught the exponent shift overflowing on a NaN's bits in a run
  // whose weights had diverged).
  EXPECT_TRUE(std::isnan(hnn::fast_exp(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isnan(hnn::fast_exp(-std::numeric_limits<float>::quiet_NaN())));
}

// The sigmoid surrogate in float (through fast_exp) agrees with the double form to a relative
// 4e-7 plus the float rounding of the argument alpha |x| (1.5e-7 alpha |x|: the condition of exp,
// not an error of fast_exp; beyond the clamp of exp, alpha |x| > 87, less than 1e-36), and far from the threshold it
// stays positive on both sides (the form alpha s (1 - s) gave 0 for large positive x, where s rounds to 1).
TEST(Surrogate, SigmoidFloatFormIsAccurateOnBothSides) {
  for (double alpha : {1.0, 4.0, 10.0}) {
    for (double x = -20; x <= 20; x += 0.01) {
      double ref = surrogate_derivative<double>(SurrogateKind::Sigmoid, alpha, x);
      double got = surrogate_derivative<float>(SurrogateKind::Sigmoid, float(alpha), float(x));
      double xf = double(float(x));  // the float's own argument
      double reff = surrogate_derivative<double>(SurrogateKind::Sigmoid, alpha, xf);
      ASSERT_GT(got, 0.0) << alpha << " " << x;
      if (alpha * std::fabs(xf) > 87) {  // fast_exp's clamp: a tiny positive value instead
        EXPECT_LT(got, 1e-36) << alpha << " " << x;
        continue;
      }
      EXPECT_NEAR(got, reff, (4e-7 + 1.5e-7 * alpha * std::fabs(xf)) * reff)
          << alpha << " " << x << " (double form " << ref << ")";
    }
  }
  auto x = torch::tensor({-12.0, 12.0}, torch::kFloat);
  auto g = surrogate_grad(x, Surrogate::parse("sigmoid:4"));
  EXPECT_GT(g[1].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(g[0].item<float>(), g[1].item<float>());
}
