#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/train/ewc.h"

using namespace hnn;

namespace {

// A linear softmax model: the per-sample gradient of log p_y with respect to W [C, D] is
// (onehot(y) - p) x^T, so the true-label Fisher is the mean of its square, by hand.
TEST(Ewc, FisherDiagonalOfASoftmaxRegressionByHand) {
  torch::manual_seed(3);
  auto w = torch::randn({3, 4}, torch::kDouble).requires_grad_(true);
  auto x = torch::randn({5, 4}, torch::kDouble);
  auto y = torch::tensor({0, 2, 1, 1, 0}, torch::kLong);
  auto model = [&](const at::Tensor& in) { return in.mm(w.t()); };
  train::FisherOptions o;
  o.label = train::FisherLabel::True;
  o.samples = 0;
  auto f = train::fisher_diagonal({w}, model, x, y, o);
  auto expected = torch::zeros({3, 4}, torch::kDouble);
  {
    torch::NoGradGuard ng;
    auto p = torch::softmax(x.mm(w.t()), 1);
    for (int64_t n = 0; n < 5; ++n) {
      auto d = torch::one_hot(y[n], 3).to(torch::kDouble) - p[n];
      expected += torch::outer(d, x[n]).square();
    }
    expected /= 5;
  }
  EXPECT_TRUE(torch::allclose(f[0], expected, 1e-12, 1e-12));
  // A squared batch-mean gradient (the reference's estimate) is far smaller.
  auto g = torch::autograd::grad({torch::log_softmax(model(x), 1).gather(1, y.unsqueeze(1)).mean()}, {w})[0];
  EXPECT_LT(g.square().sum().item<double>(), f[0].sum().item<double>());
  // The predicted label and the sampled one give Fishers of the same shape, the first N samples only.
  o.label = train::FisherLabel::Predicted;
  o.samples = 2;
  auto fp = train::fisher_diagonal({w}, model, x, {}, o);
  EXPECT_EQ(fp[0].sizes(), w.sizes());
  o.label = train::FisherLabel::Sampled;
  auto fs1 = train::fisher_diagonal({w}, model, x, {}, o);
  auto fs2 = train::fisher_diagonal({w}, model, x, {}, o);
  EXPECT_TRUE(torch::equal(fs1[0], fs2[0]));  // seeded
  o.label = train::FisherLabel::True;
  EXPECT_THROW(train::fisher_diagonal({w}, model, x, {}, o), Error);
  EXPECT_THROW(train::parse_fisher_label("empirical"), Error);
  EXPECT_EQ(train::parse_fisher_label("predicted"), train::FisherLabel::Predicted);
}

TEST(Ewc, PenaltyEqualsTheSumOverTasksValuesAndGradients) {
  torch::manual_seed(5);
  auto a = torch::randn({4, 3}, torch::kDouble).requires_grad_(true);
  auto b = torch::randn({2}, torch::kDouble).requires_grad_(true);
  train::Ewc ewc({a, b});
  EXPECT_EQ(ewc.penalty(10).item<double>(), 0);
  std::vector<std::vector<at::Tensor>> anchors, fishers;
  for (int task = 0; task < 3; ++task) {
    {
      torch::NoGradGuard ng;
      a.add_(torch::randn_like(a));
      b.add_(torch::randn_like(b));
    }
    std::vector<at::Tensor> f = {torch::rand_like(a), torch::rand_like(b)};
    if (task == 1) f[0][0][0] = 0;  // a parameter no task cares about at first
    f[0][1][1] = 0;
    anchors.push_back({a.detach().clone(), b.detach().clone()});
    fishers.push_back(f);
    ewc.consolidate(f);
  }
  EXPECT_EQ(ewc.tasks(), 3);
  {
    torch::NoGradGuard ng;
    a.add_(torch::randn_like(a));
    b.sub_(torch::randn_like(b));
  }
  const double lambda = 7;
  auto direct = torch::zeros({}, torch::kDouble);
  for (size_t i = 0; i < anchors.size(); ++i)
    direct = direct + (fishers[i][0] * (a - anchors[i][0]).square()).sum() +
             (fishers[i][1] * (b - anchors[i][1]).square()).sum();
  direct = 0.5 * lambda * direct;
  auto pen = ewc.penalty(lambda);
  EXPECT_NEAR(pen.item<double>(), direct.item<double>(), 1e-9);
  auto g1 = torch::autograd::grad({pen}, {a, b});
  auto g2 = torch::autograd::grad({direct}, {a, b});
  EXPECT_TRUE(torch::allclose(g1[0], g2[0], 1e-10, 1e-12));
  EXPECT_TRUE(torch::allclose(g1[1], g2[1], 1e-10, 1e-12));
  EXPECT_EQ(g1[0][1][1].item<double>(), 0);  // never consolidated: free
  EXPECT_THROW(ewc.consolidate({torch::zeros({4, 3}, torch::kDouble)}), Error);
  EXPECT_THROW(ewc.consolidate({torch::zeros({3, 4}, torch::kDouble), torch::zeros({2}, torch::kDouble)}), Error);
}

}  // namespace
