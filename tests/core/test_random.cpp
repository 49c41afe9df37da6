#include "hnn/core/random.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

TEST(Bernoulli, FollowsTheTorchSeed) {
  auto p = torch::rand({3, 1000});
  torch::manual_seed(7);
  auto a = hnn::bernoulli(p);
  auto b = hnn::bernoulli(p);
  torch::manual_seed(7);
  auto c = hnn::bernoulli(p);
  EXPECT_TRUE(torch::equal(a, c));
  EXPECT_FALSE(torch::equal(a, b));  // the second call draws anew
  EXPECT_EQ(a.scalar_type(), torch::kFloat);
  EXPECT_EQ(a.sizes(), p.sizes());
}

TEST(Bernoulli, SameDrawsForAnyThreadCount) {
  auto p = torch::rand({1 << 20});
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  torch::manual_seed(3);
  auto one = hnn::bernoulli(p);
  torch::set_num_threads(std::max(2, threads));
  torch::manual_seed(3);
  auto many = hnn::bernoulli(p);
  torch::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, many));
}

TEST(Bernoulli, RatesAndIndependence) {
  torch::manual_seed(1);
  const int64_t n = 1 << 21;
  for (double q : {0.02, 0.3, 0.5, 0.9}) {
    auto s = hnn::bernoulli(torch::full({n}, q, torch::kDouble));
    const double mean = s.mean().item<double>();
    EXPECT_NEAR(mean, q, 5 * std::sqrt(q * (1 - q) / n)) << q;
    // Neighbours (and elements 1,024 apart) are uncorrelated.
    for (int64_t lag : {1, 2, 1024}) {
      auto a = s.slice(0, 0, n - lag) - q, b = s.slice(0, lag) - q;
      const double r = (a * b).mean().item<double>() / (q * (1 - q));
      EXPECT_NEAR(r, 0.0, 5.0 / std::sqrt((double)n)) << q << " lag " << lag;
    }
  }
  // p follows its element: a ramp of probabilities gives a ramp of rates.
  auto ramp = torch::linspace(0, 1, 64).repeat({20000});
  auto rates = hnn::bernoulli(ramp).reshape({20000, 64}).mean(0);
  EXPECT_LT((rates - torch::linspace(0, 1, 64)).abs().max().item<float>(), 0.02);
}

TEST(Bernoulli, EdgesClampAndFallBack) {
  auto p = torch::tensor({0.0, 1.0, -0.5, 1.5}).repeat({1000});
  auto s = hnn::bernoulli(p).reshape({1000, 4});
  EXPECT_TRUE(torch::equal(s, torch::tensor({0.0f, 1.0f, 0.0f, 1.0f}).expand({1000, 4})));
  // Non-contiguous input.
  auto q = torch::full({40, 30}, 1.0).t();
  EXPECT_TRUE(torch::equal(hnn::bernoulli(q), torch::ones({30, 40})));
  // Other types fall back to torch::bernoulli.
  auto h = hnn::bernoulli(torch::full({10}, 1.0, torch::kBFloat16));
  EXPECT_EQ(h.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(h.to(torch::kFloat), torch::ones({10})));
  EXPECT_EQ(hnn::bernoulli(torch::empty({0, 3})).numel(), 0);
}
