#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/nn/time_fold.h"
#include "test_util.h"

using namespace hnn::nn;

TEST(TimeFold, RoundTrip) {
  auto x = torch::rand({3, 4, 5, 6});
  auto f = fold_time(x);
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({12, 5, 6}));
  EXPECT_TRUE(torch::equal(unfold_time(f, 3), x));
  EXPECT_THROW(unfold_time(f, 5), hnn::Error);
  EXPECT_THROW(fold_time(torch::rand({3})), hnn::Error);
}

TEST(TimeFold, TimeDistributedEqualsPerStep) {
  TimeDistributed td(torch::nn::AnyModule(torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3).padding(1))));
  auto x = torch::rand({4, 2, 2, 8, 8});
  auto y = td(x);
  auto* conv = td->module.get<torch::nn::Conv2d>().get();
  for (int t = 0; t < 4; ++t) EXPECT_TENSOR_NEAR(y[t], conv->forward(x[t]), 1e-6);
}
