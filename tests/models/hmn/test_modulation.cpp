#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "hnn/core/error.h"
#include "hnn/models/hmn/modulation.h"

using namespace hnn;
using namespace hnn::models::hmn;

namespace {

// The conjugate loss by its definition, element by element.
double conjugate_by_hand(const at::Tensor& a, const at::Tensor& b, double s) {
  const auto g = torch::cat({a, b}).to(torch::kDouble);
  const int64_t n = g.size(0), B = a.size(0);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const double cos =
          (g[i] * g[j]).sum().item<double>() / (g[i].norm().item<double>() * g[j].norm().item<double>() + 1e-10);
      const double d = 1 - cos, y = (i < B) == (j < B) ? 0 : 1 - s;
      sum += (d - y) * (d - y) - d * y;
    }
  const double fl = std::max(0.0, 0.1 - a.mean().item<double>()) + std::max(0.0, 0.1 - b.mean().item<double>());
  return sum / static_cast<double>(n * n) + 10 * fl;
}

TEST(HmnModulation, ConjugateLossByHandAndItsGradient) {
  torch::manual_seed(2);
  auto a = torch::rand({3, 5}, torch::kDouble).requires_grad_(true);
  auto b = torch::rand({3, 5}, torch::kDouble);
  for (double s : {0.0, 0.85, 1.0}) {
    auto l = conjugate_loss(a, b, s);
    EXPECT_NEAR(l.item<double>(), conjugate_by_hand(a.detach(), b, s), 1e-9) << s;
  }
  // The sparsity floor acts when fewer than 10 % of the gates are on.
  auto sparse = torch::zeros({3, 5}, torch::kDouble);
  sparse.select(1, 0).fill_(0.2);  // mean 0.04
  EXPECT_NEAR(conjugate_loss(sparse, sparse, 1).item<double>(), conjugate_by_hand(sparse, sparse, 1), 1e-9);
  EXPECT_GT(conjugate_loss(sparse, sparse, 1).item<double>(), 1.0);
  auto l = conjugate_loss(a, b, 0.3);
  l.backward();
  EXPECT_TRUE(a.grad().defined());
  EXPECT_GT(a.grad().abs().sum().item<double>(), 0);
  EXPECT_THROW(conjugate_loss(a, torch::rand({2, 5}, torch::kDouble), 0.5), Error);
  EXPECT_THROW(conjugate_loss(a.detach(), b, 1.5), Error);
}

TEST(HmnModulation, TaskSignalIsTheThresholdedMean) {
  auto g = torch::tensor({{1.0, 0.0, 0.6}, {0.0, 0.0, 0.6}, {1.0, 1.0, 0.2}});
  EXPECT_TRUE(torch::equal(task_signal(g), torch::tensor({1.0, 0.0, 0.0})));
  EXPECT_TRUE(torch::equal(task_signal(g, 0.4), torch::tensor({1.0, 0.0, 1.0})));
  EXPECT_THROW(task_signal(torch::rand({3})), Error);
}

}  // namespace
