// Shared helpers for the test programs.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"

// Skips the test with a message when a file of ../shared/data is absent.
#define HNN_REQUIRE_DATA(rel, var)              \
  std::string var = hnn::shared_data_path(rel); \
  if (var.empty() || !hnn::file_exists(var)) GTEST_SKIP() << "shared data not found: " << (rel)

// Max absolute difference of two tensors (both must be defined).
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.numel() == 0) return 0;
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// Runs read; expects hnn::Error whose message names `name` and contains every string of
// `parts` (e.g. "byte 14"). Any other exception fails the test.
inline void expect_error(const std::function<void()>& read, const std::string& name,
                         const std::vector<std::string>& parts) {
  try {
    read();
    ADD_FAILURE() << "expected hnn::Error naming " << name;
  } catch (const hnn::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(name), std::string::npos) << m;
    for (const auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "'" << p << "' not in: " << m;
  }
}

#define EXPECT_TENSOR_NEAR(a, b, tol) EXPECT_LE(max_abs_diff((a), (b)), (tol)) << #a " vs " #b

// Central finite differences of sum(f(inputs) * w) for a fixed random w, against autograd.
// Inputs must be double tensors with requires_grad; returns the largest absolute difference.
inline double gradcheck(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                        std::vector<torch::Tensor> inputs, double eps = 1e-6) {
  auto out = f(inputs);
  auto w = torch::randn(out.sizes(), out.options());
  auto loss = (out * w).sum();
  std::vector<torch::Tensor> analytic;
  for (auto& in : inputs) {
    if (in.grad().defined()) in.mutable_grad().zero_();
  }
  loss.backward();
  for (auto& in : inputs) analytic.push_back(in.grad().defined() ? in.grad().clone() : torch::zeros_like(in));
  double worst = 0;
  torch::NoGradGuard ng;
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto flat = inputs[k].view(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      double orig = flat[i].item<double>();
      flat[i] = orig + eps;
      double up = (f(inputs) * w).sum().item<double>();
      flat[i] = orig - eps;
      double down = (f(inputs) * w).sum().item<double>();
      flat[i] = orig;
      double numeric = (up - down) / (2 * eps);
      worst = std::max(worst, std::abs(numeric - analytic[k].view(-1)[i].item<double>()));
    }
  }
  return worst;
}
