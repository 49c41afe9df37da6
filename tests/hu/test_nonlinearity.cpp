#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/hu/nonlinearity.h"
#include "test_util.h"

using namespace hnn::hu;

TEST(Nonlinearity, ElementwisePresets) {
  auto x = torch::tensor({-1.0, 0.0, 2.0}, torch::kDouble);
  EXPECT_TRUE(torch::equal(nl::identity()(x), x));
  EXPECT_TRUE(torch::allclose(nl::sigmoid(2)(x), torch::sigmoid(2 * x)));
  EXPECT_TRUE(torch::equal(nl::clamp01()(x), torch::tensor({0.0, 0.0, 1.0}, torch::kDouble)));
  EXPECT_TRUE(torch::equal(nl::relu()(x), torch::tensor({0.0, 0.0, 2.0}, torch::kDouble)));
}

TEST(Nonlinearity, MinMaxPerSample) {
  auto x = torch::tensor({{1.0, 3.0, 2.0}, {-2.0, -2.0, 0.0}}, torch::kDouble);
  auto y = nl::minmax()(x);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({{0.0, 1.0, 0.5}, {0.0, 0.0, 1.0}}, torch::kDouble)));
}

TEST(Nonlinearity, GaussianFieldsPeakAtCentres) {
  auto f = nl::gaussian_fields(3, 0, 1);  // centres 0, 0.5, 1; sigma 0.5
  auto y = f(torch::tensor({{0.5}}, torch::kDouble));
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 1, 3}));
  EXPECT_NEAR(y[0][0][1].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(y[0][0][0].item<double>(), std::exp(-0.5), 1e-12);
  auto x = torch::rand({2, 4}, torch::kDouble).requires_grad_();
  EXPECT_LT(gradcheck([&](const std::vector<torch::Tensor>& in) { return f(in[0]); }, {x}), 1e-8);
}

TEST(Nonlinearity, MlpIsTrainable) {
  auto f = nl::mlp({3, 5, 2});
  EXPECT_EQ(f->parameters().size(), 4u);
  f->to(torch::kDouble);
  auto x = torch::rand({4, 3}, torch::kDouble);
  auto params = f->parameters();
  EXPECT_LT(gradcheck([&](const std::vector<torch::Tensor>&) { return f(x); }, params), 1e-7);
  EXPECT_THROW(nl::mlp({3}), hnn::Error);
}
