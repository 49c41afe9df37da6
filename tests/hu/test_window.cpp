#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/hu/window.h"
#include "test_util.h"

using namespace hnn::hu;

TEST(Window, RepeatAndIdentity) {
  auto x = torch::rand({2, 3});
  auto y = Window(WindowOptions::repeat(4))(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({4, 2, 3}));
  for (int t = 0; t < 4; ++t) EXPECT_TRUE(torch::equal(y[t], x));
  EXPECT_TRUE(torch::equal(Window()(x), x));
}

TEST(Window, LearnedExpandIsAffinePerStep) {
  Window w(WindowOptions::learned_expand(3));
  ASSERT_EQ(w->parameters().size(), 2u);
  // The initial projection is a rate code: x = 0.5 crosses 0.5 at the first half of the steps.
  auto init = w(torch::full({1, 1}, 0.5f)).flatten();
  EXPECT_EQ((init > 0.5).sum().item<int64_t>(), 1);
  {
    torch::NoGradGuard ng;
    w->weight.copy_(torch::tensor({1.0f, 2.0f, 3.0f}));
    w->bias.copy_(torch::tensor({0.0f, 0.0f, 1.0f}));
  }
  auto y = w(torch::full({1, 1}, 2.0f));
  EXPECT_TRUE(torch::equal(y.flatten(), torch::tensor({2.0f, 4.0f, 7.0f})));
}

TEST(Window, FixedSplitsIntoWindows) {
  auto x = torch::arange(12, torch::kFloat).view({6, 2});
  auto y = Window(WindowOptions::fixed(3))(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 2}));
  EXPECT_TRUE(torch::equal(y[1], x.slice(0, 3, 6)));
  EXPECT_THROW(Window(WindowOptions::fixed(4))(x), hnn::Error);  // 6 is not a multiple of 4
  auto d = Window(WindowOptions::fixed(4).drop_last(true))(x);
  EXPECT_EQ(d.sizes(), torch::IntArrayRef({1, 4, 2}));
  EXPECT_THROW(Window(WindowOptions::fixed(7))(x), hnn::Error);  // longer than the sequence
}

TEST(Window, SlidingAndWhole) {
  auto x = torch::arange(10, torch::kFloat).view({5, 2});
  auto y = Window(WindowOptions::sliding(3, 1))(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({3, 3, 2}));
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(torch::equal(y[k], x.slice(0, k, k + 3)));
  auto s2 = Window(WindowOptions::sliding(2, 2))(x);
  EXPECT_EQ(s2.size(0), 2);
  auto w = Window(WindowOptions::whole())(x);
  EXPECT_EQ(w.sizes(), torch::IntArrayRef({1, 5, 2}));
  EXPECT_THROW((void)Window(WindowOptions::whole())(torch::rand({3})), hnn::Error);
  EXPECT_THROW(Window(WindowOptions::repeat(0)), hnn::Error);
}
