#include <gtest/gtest.h>
#include <torch/torch.h>

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
