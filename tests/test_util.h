// Shared helpers for the test programs.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "hnn/core/data_dir.h"
#include "hnn/core/fs.h"

// Skips the test with a message when a file of ../shared/data is absent.
#define HNN_REQUIRE_DATA(rel, var)                                                        \
  std::string var = hnn::shared_data_path(rel);                                           \
  if (var.empty() || !hnn::file_exists(var)) GTEST_SKIP() << "shared data not found: " << (rel)

// Max absolute difference of two tensors (both must be defined).
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.numel() == 0) return 0;
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

#define EXPECT_TENSOR_NEAR(a, b, tol) EXPECT_LE(max_abs_diff((a), (b)), (tol)) << #a " vs " #b
