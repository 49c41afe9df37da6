#include "hnn/nn/batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/nn/spiking_layers.h"

using hnn::nn::batch_norm;
using hnn::nn::batch_norm_groups;
using torch::nn::BatchNorm2d;
using torch::nn::BatchNorm2dOptions;

namespace {

// Two modules with the same parameters: one for hnn's kernel, one for LibTorch's.
std::pair<BatchNorm2d, BatchNorm2d> twins(BatchNorm2dOptions o, torch::Dtype type = torch::kDouble) {
  BatchNorm2d a(o), b(o);
  a->to(type);
  b->to(type);
  torch::NoGradGuard ng;
  if (o.affine()) {
    a->weight.uniform_(0.5, 1.5);
    a->bias.uniform_(-0.5, 0.5);
    b->weight.copy_(a->weight);
    b->bias.copy_(a->bias);
  }
  if (o.track_running_stats()) {
    a->running_mean.uniform_(-1, 1);
    a->running_var.uniform_(0.5, 2);
    b->running_mean.copy_(a->running_mean);
    b->running_var.copy_(a->running_var);
  }
  return {a, b};
}

void expect_close(const at::Tensor& a, const at::Tensor& b, double tol, const char* what) {
  ASSERT_EQ(a.defined(), b.defined()) << what;
  if (!a.defined()) return;
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LT((a - b).abs().max().item<double>(), tol) << what;
}

// hnn's groups against `groups` LibTorch calls: outputs, the three gradients, running statistics.
void compare(BatchNorm2dOptions o, std::vector<int64_t> shape, int64_t groups, int calls = 2) {
  torch::manual_seed(5);
  auto [ours, ref] = twins(o);
  for (int k = 0; k < calls; ++k) {  // twice: the running statistics carry over
    auto x = (torch::randn(shape, torch::kDouble) * 2 + 3).requires_grad_();
    auto xr = x.detach().clone().requires_grad_();
    auto g = torch::randn(shape, torch::kDouble);
    auto y = batch_norm_groups(*ours, x, groups);
    std::vector<at::Tensor> parts = xr.chunk(groups, 0);
    for (auto& p : parts) p = ref->forward(p);
    auto yr = torch::cat(parts);
    expect_close(y, yr, 1e-12, "output");
    (y * g).sum().backward();
    (yr * g).sum().backward();
    expect_close(x.grad(), xr.grad(), 1e-12, "input gradient");
    if (o.affine()) {
      expect_close(ours->weight.grad(), ref->weight.grad(), 1e-10, "weight gradient");
      expect_close(ours->bias.grad(), ref->bias.grad(), 1e-10, "bias gradient");
    }
    if (o.track_running_stats()) {
      expect_close(ours->running_mean, ref->running_mean, 1e-12, "running mean");
      expect_close(ours->running_var, ref->running_var, 1e-12, "running variance");
      EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), ref->num_batches_tracked.item<int64_t>());
    }
  }
}

}  // namespace

TEST(BatchNorm, EqualsLibTorchValuesAndGradients) {
  compare(BatchNorm2dOptions(3), {4, 3, 5, 6}, 1);
  compare(BatchNorm2dOptions(5), {6, 5, 4, 9}, 1);    // 36 values a row: lanes and a remainder
  compare(BatchNorm2dOptions(2), {2, 2, 40, 40}, 1);  // rows longer than one accumulation block
}

TEST(BatchNorm, GroupsEqualSeparateCallsInOrder) {
  compare(BatchNorm2dOptions(3), {12, 3, 4, 4}, 4, 3);
  compare(BatchNorm2dOptions(4), {10, 4, 3, 3}, 10);  // one sample a group
}

TEST(BatchNorm, OptionsWithoutAffineStatisticsOrMomentum) {
  compare(BatchNorm2dOptions(3).affine(false), {4, 3, 5, 6}, 2);
  compare(BatchNorm2dOptions(3).track_running_stats(false), {4, 3, 5, 6}, 2);
  compare(BatchNorm2dOptions(3).momentum(c10::nullopt), {6, 3, 4, 4}, 3, 3);  // cumulative average
  compare(BatchNorm2dOptions(3).eps(0.1), {4, 3, 5, 6}, 1);
}

TEST(BatchNorm, FloatKeepsPrecisionFarFromZero) {
  // Data with mean 1000 and spread 0.01: the shifted sums keep the variance.
  torch::manual_seed(1);
  auto x = torch::randn({8, 4, 16, 16}, torch::kDouble) * 0.01 + 1000;
  auto [ours, ref] = twins(BatchNorm2dOptions(4), torch::kFloat);
  auto y = batch_norm(*ours, x.to(torch::kFloat)).to(torch::kDouble);
  auto [unused, exact] = twins(BatchNorm2dOptions(4), torch::kDouble);
  {
    torch::NoGradGuard ng;
    exact->weight.copy_(ours->weight);
    exact->bias.copy_(ours->bias);
  }
  // The float input itself is rounded (ulp at 1000 is 6e-5, 0.6% of the spread): compare with
  // the exact normalisation of the rounded input.
  auto yr = exact->forward(x.to(torch::kFloat).to(torch::kDouble));
  const double ours_error = (y - yr).abs().max().item<double>();
  const double torch_error = (ref->forward(x.to(torch::kFloat)).to(torch::kDouble) - yr).abs().max().item<double>();
  EXPECT_LT(ours_error, 1e-4);
  EXPECT_LE(ours_error, torch_error * 1.5 + 1e-6);
}

TEST(BatchNorm, EvalModeAndSmallRowsUseLibTorch) {
  torch::manual_seed(2);
  auto [ours, ref] = twins(BatchNorm2dOptions(3));
  ours->eval();
  ref->eval();
  auto x = torch::randn({4, 3, 5, 5}, torch::kDouble);
  EXPECT_TRUE(torch::equal(batch_norm(*ours, x), ref->forward(x)));
  ours->train();
  ref->train();
  auto small = torch::randn({6, 3, 2, 2}, torch::kDouble);  // 4 values a row: LibTorch
  EXPECT_TRUE(torch::allclose(batch_norm(*ours, small), ref->forward(small)));
}

TEST(BatchNorm, SequencePerStepEqualsStepByStepCalls) {
  torch::manual_seed(3);
  auto [ours, ref] = twins(BatchNorm2dOptions(3));
  auto y = torch::randn({5, 2, 3, 4, 4}, torch::kDouble);
  auto out = hnn::nn::batch_norm_sequence(*ours, y, /*per_step=*/true);
  std::vector<at::Tensor> steps;
  for (int64_t t = 0; t < 5; ++t) steps.push_back(ref->forward(y[t]));
  EXPECT_LT((out - torch::stack(steps)).abs().max().item<double>(), 1e-12);
  EXPECT_LT((ours->running_var - ref->running_var).abs().max().item<double>(), 1e-12);
}

TEST(BatchNorm, BadShapesAreErrors) {
  BatchNorm2d bn(3);
  EXPECT_THROW(batch_norm(*bn, torch::randn({4, 2, 5, 5})), hnn::Error);
  EXPECT_THROW(batch_norm_groups(*bn, torch::randn({5, 3, 4, 4}), 2), hnn::Error);
  EXPECT_THROW(batch_norm(*bn, torch::randn({1, 3, 1, 1})), std::exception);  // one value a channel
}
