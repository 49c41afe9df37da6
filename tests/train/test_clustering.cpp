#include "hnn/train/clustering.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "hnn/core/error.h"
#include "test_util.h"

using namespace hnn;

namespace {

torch::Tensor labels_of(const std::vector<int64_t>& v) {
  return torch::tensor(v, torch::kLong);
}

double ami(const std::vector<int64_t>& t, const std::vector<int64_t>& p) {
  return train::adjusted_mutual_info(labels_of(t), labels_of(p));
}

// ---- adjusted mutual information ----

TEST(Ami, IdenticalAndRenamedLabelingsScoreOne) {
  const std::vector<int64_t> t{0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3};
  EXPECT_NEAR(ami(t, t), 1.0, 1e-12);
  const std::vector<int64_t> renamed{9, 9, -4, -4, -4, 7, 7, 100, 100, 100, 100};
  EXPECT_NEAR(ami(t, renamed), 1.0, 1e-12);
  EXPECT_NEAR(ami(renamed, t), 1.0, 1e-12);
}

// The examples of sklearn.metrics.adjusted_mutual_info_score's documentation.
TEST(Ami, SklearnDocExamples) {
  EXPECT_NEAR(ami({0, 0, 1, 1}, {0, 0, 1, 1}), 1.0, 1e-12);
  EXPECT_NEAR(ami({0, 0, 1, 1}, {1, 1, 0, 0}), 1.0, 1e-12);
  EXPECT_NEAR(ami({0, 0, 0, 0}, {0, 1, 2, 3}), 0.0, 1e-12);
}

// Expected values from this independent script (exact hypergeometric probabilities with
// math.comb and Fraction, not the lgamma form of the implementation); rerun with python3:
//
//   import math
//   from fractions import Fraction
//   from collections import Counter
//   def ami(t, p):
//       n = len(t)
//       a, b, nij = Counter(t), Counter(p), Counter(zip(t, p))
//       if len(a) == len(b) == 1: return 1.0
//       mi = sum(c / n * math.log(n * c / (a[i] * b[j])) for (i, j), c in nij.items())
//       h = lambda cnt: -sum(c / n * math.log(c / n) for c in cnt.values())
//       emi = 0.0
//       for ai in a.values():
//           for bj in b.values():
//               for k in range(max(1, ai + bj - n), min(ai, bj) + 1):
//                   prob = Fraction(math.comb(bj, k) * math.comb(n - bj, ai - k), math.comb(n, ai))
//                   emi += k / n * math.log(n * k / (ai * bj)) * float(prob)
//       return (mi - emi) / (0.5 * (h(a) + h(b)) - emi)
//   print(repr(ami([0,0,0,1,1,1,2,2,2], [0,0,1,1,2,2,2,0,0])))
//   print(repr(ami([5,5,7,7,7,9,9,9,9,9,2,2], [1,1,1,3,3,3,3,0,0,0,0,8])))
//   print(repr(ami([i % 3 for i in range(40)], [(i * i + i // 7) % 5 for i in range(40)])))
//   print(repr(ami([i % 4 for i in range(60)],
//                  [(i // 5) % 3 if i % 5 == 0 else i % 4 for i in range(60)])))
TEST(Ami, MatchesIndependentPythonReference) {
  EXPECT_NEAR(ami({0, 0, 0, 1, 1, 1, 2, 2, 2}, {0, 0, 1, 1, 2, 2, 2, 0, 0}), 0.12559873432804056, 1e-12);
  EXPECT_NEAR(ami({5, 5, 7, 7, 7, 9, 9, 9, 9, 9, 2, 2}, {1, 1, 1, 3, 3, 3, 3, 0, 0, 0, 0, 8}), 0.3134850253781559,
              1e-12);
  std::vector<int64_t> t3, p3, t4, p4;
  for (int64_t i = 0; i < 40; ++i) {
    t3.push_back(i % 3);
    p3.push_back((i * i + i / 7) % 5);
  }
  EXPECT_NEAR(ami(t3, p3), -0.011556266222035143, 1e-12);
  for (int64_t i = 0; i < 60; ++i) {
    t4.push_back(i % 4);
    p4.push_back(i % 5 == 0 ? (i / 5) % 3 : i % 4);
  }
  EXPECT_NEAR(ami(t4, p4), 0.5791545528645635, 1e-12);
  EXPECT_NEAR(ami(p4, t4), 0.5791545528645635, 1e-12);  // symmetric
}

TEST(Ami, RandomLabelingNearZero) {
  torch::manual_seed(3);
  auto t = torch::randint(0, 4, {2000}, torch::kLong);
  auto p = torch::randint(0, 4, {2000}, torch::kLong);
  EXPECT_LT(std::abs(train::adjusted_mutual_info(t, p)), 0.02);
}

TEST(Ami, DegenerateLabelings) {
  EXPECT_EQ(ami({3, 3, 3}, {1, 1, 1}), 1.0);  // both unsplit
  EXPECT_EQ(ami({0}, {5}), 1.0);
  EXPECT_EQ(train::adjusted_mutual_info(torch::empty({0}, torch::kLong), torch::empty({0}, torch::kLong)), 1.0);
  EXPECT_NEAR(ami({0, 0, 0, 0}, {0, 0, 1, 1}), 0.0, 1e-12);  // one side unsplit: no information
  // Other integer dtypes are accepted.
  EXPECT_NEAR(train::adjusted_mutual_info(torch::tensor({0, 0, 1, 1}, torch::kInt), labels_of({1, 1, 0, 0})), 1.0,
              1e-12);
}

TEST(Ami, BadInputThrows) {
  EXPECT_THROW(ami({0, 1, 1}, {0, 1}), hnn::Error);
  EXPECT_THROW(train::adjusted_mutual_info(torch::zeros({2, 2}, torch::kLong), labels_of({0, 1, 0, 1})), hnn::Error);
  EXPECT_THROW(train::adjusted_mutual_info(torch::zeros({4}), labels_of({0, 1, 0, 1})), hnn::Error);
}

// ---- k-means ----

// n points around each of the given centres with standard deviation sd; returns x and the blob ids.
std::pair<torch::Tensor, torch::Tensor> blobs(const torch::Tensor& centres, int64_t n, double sd, uint64_t seed,
                                              torch::ScalarType dtype = torch::kDouble) {
  torch::manual_seed(seed);
  const int64_t k = centres.size(0);
  auto ids = torch::arange(k, torch::kLong).repeat_interleave(n);
  auto x = centres.index_select(0, ids) + sd * torch::randn({k * n, centres.size(1)}, torch::kDouble);
  auto perm = torch::randperm(k * n, torch::kLong);
  return {x.index_select(0, perm).to(dtype), ids.index_select(0, perm)};
}

double recomputed_inertia(const torch::Tensor& x, const train::KMeansResult& r) {
  return (x.to(torch::kDouble) - r.centers.to(torch::kDouble).index_select(0, r.labels)).square().sum().item<double>();
}

TEST(KMeans, SeparatedBlobsRecovered) {
  auto centres = torch::tensor({{0.0, 0.0, 0.0}, {10.0, 0.0, 0.0}, {0.0, 10.0, 5.0}}, torch::kDouble);
  auto [x, ids] = blobs(centres, 40, 0.5, 1);
  train::KMeansOptions opt;
  opt.k = 3;
  auto r = train::kmeans(x, opt);
  EXPECT_EQ(r.labels.scalar_type(), torch::kLong);
  EXPECT_EQ(r.labels.sizes(), (std::vector<int64_t>{120}));
  EXPECT_EQ(r.centers.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(r.centers.scalar_type(), torch::kDouble);
  EXPECT_NEAR(train::adjusted_mutual_info(ids, r.labels), 1.0, 1e-12);
  EXPECT_GE(r.iterations, 1);
  // Each fitted centre is the mean of its points, close to a planted centre.
  for (int64_t c = 0; c < 3; ++c) {
    auto members = x.index({r.labels == c});
    EXPECT_TENSOR_NEAR(r.centers[c], members.mean(0), 1e-9);
    EXPECT_LT((centres - r.centers[c]).norm(2, 1).min().item<double>(), 0.5);
  }
}

TEST(KMeans, InertiaMatchesLabelsAndCenters) {
  auto centres = torch::randn({4, 6}, torch::kDouble) * 3;
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    auto [x, ids] = blobs(centres, 30, 1.0, 2, dtype);
    train::KMeansOptions opt;
    opt.k = 5;
    auto r = train::kmeans(x, opt);
    EXPECT_EQ(r.centers.scalar_type(), dtype);
    EXPECT_NEAR(r.inertia, recomputed_inertia(x, r), 1e-5 * r.inertia);
    // Labels are the nearest centres.
    auto d = torch::cdist(x.to(torch::kDouble), r.centers.to(torch::kDouble));
    auto own = d.gather(1, r.labels.unsqueeze(1)).squeeze(1);
    EXPECT_LE((own - std::get<0>(d.min(1))).max().item<double>(), 1e-4);
  }
}

TEST(KMeans, SameSeedSameResult) {
  auto x = torch::randn({200, 8}, torch::kFloat);
  train::KMeansOptions opt;
  opt.k = 6;
  opt.n_init = 4;
  opt.seed = 42;
  auto r1 = train::kmeans(x, opt);
  auto r2 = train::kmeans(x, opt);
  EXPECT_TRUE(torch::equal(r1.labels, r2.labels));
  EXPECT_TRUE(torch::equal(r1.centers, r2.centers));
  EXPECT_EQ(r1.inertia, r2.inertia);
  EXPECT_EQ(r1.iterations, r2.iterations);
  // More restarts cannot do worse: the first restart draws the same stream.
  opt.n_init = 1;
  auto single = train::kmeans(x, opt);
  EXPECT_LE(r1.inertia, single.inertia);
}

// Silent background pixels: many all-zero rows, few distinct points, more centres than distinct
// points. Every distinct point gets a centre, the rest coincide.
TEST(KMeans, DuplicatedZeroRowsAndTooManyCentres) {
  auto x = torch::zeros({100, 5}, torch::kFloat);
  x.slice(0, 0, 4).fill_(1.0f);
  x.slice(0, 4, 6).fill_(-2.0f);
  x[6][0] = 3.0f;  // 4 distinct points
  for (int64_t k : {4, 6, 10}) {
    train::KMeansOptions opt;
    opt.k = k;
    auto r = train::kmeans(x, opt);
    EXPECT_FALSE(torch::isnan(r.centers).any().item<bool>()) << k;
    EXPECT_GE(r.labels.min().item<int64_t>(), 0);
    EXPECT_LT(r.labels.max().item<int64_t>(), k);
    EXPECT_NEAR(r.inertia, 0.0, 1e-6) << k;
    EXPECT_NEAR(recomputed_inertia(x, r), 0.0, 1e-6) << k;
  }
  // All rows identical.
  train::KMeansOptions opt;
  opt.k = 3;
  auto r = train::kmeans(torch::zeros({20, 3}, torch::kDouble), opt);
  EXPECT_EQ(r.inertia, 0.0);
  EXPECT_FALSE(torch::isnan(r.centers).any().item<bool>());
  // k = N.
  opt.k = 5;
  r = train::kmeans(torch::arange(5, torch::kDouble).unsqueeze(1), opt);
  EXPECT_NEAR(r.inertia, 0.0, 1e-12);
  EXPECT_EQ(std::get<0>(at::_unique(r.labels)).numel(), 5);
}

TEST(KMeans, BadInputThrows) {
  auto x = torch::randn({10, 2});
  train::KMeansOptions opt;
  opt.k = 0;
  EXPECT_THROW(train::kmeans(x, opt), hnn::Error);
  opt.k = 11;
  EXPECT_THROW(train::kmeans(x, opt), hnn::Error);
  opt.k = 2;
  EXPECT_THROW(train::kmeans(torch::randn({10}), opt), hnn::Error);
  EXPECT_THROW(train::kmeans(torch::ones({10, 2}, torch::kLong), opt), hnn::Error);
  opt.n_init = 0;
  EXPECT_THROW(train::kmeans(x, opt), hnn::Error);
  opt.n_init = 1;
  auto bad = x.clone();
  bad[3][1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(train::kmeans(bad, opt), hnn::Error);
  try {
    opt.k = 11;
    train::kmeans(x, opt);
    FAIL() << "no throw";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("k"), std::string::npos) << e.what();
  }
}

// The size of a DASBE read-out ([pixels, time-features], a few objects): planted clusters in noise
// are found; the time goes into the test's XML properties.
TEST(KMeans, PlantedClustersAtReadoutSize) {
  auto centres = torch::randn({4, 320}, torch::kDouble) * 0.5;
  auto [x, ids] = blobs(centres, 576, 1.0, 5, torch::kFloat);
  train::KMeansOptions opt;
  opt.k = 4;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = train::kmeans(x, opt);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("kmeans_2304x320_k4_ms", std::to_string(ms));
  EXPECT_NEAR(train::adjusted_mutual_info(ids, r.labels), 1.0, 1e-12);
  EXPECT_NEAR(r.inertia, recomputed_inertia(x, r), 1e-5 * r.inertia);
}

// ---- weighted k-means ----

// A fixed input from a formula (no random stream): 3 groups in 5 dimensions.
torch::Tensor formula_input(torch::ScalarType dtype) {
  const int64_t n = 90, f = 5;
  auto x = torch::empty({n, f}, torch::kDouble);
  auto a = x.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j) a[i][j] = 1.5 * ((i * 7 + j * 3) % 3) + std::sin(0.7 * i + 1.3 * j * j);
  return x.to(dtype);
}

// The unweighted call keeps its results: values computed by the k-means before weights existed.
// (The same old-vs-new comparison bit for bit over 830 inputs, seeds and k: no difference.)
TEST(KMeansWeighted, UnweightedResultPinned) {
  const std::string pinned =
      "021021022021021022021021022021021022021021022021021022021021022021021022021021022021021022";
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    train::KMeansOptions opt;
    opt.k = 3;
    opt.n_init = 4;
    opt.seed = 11;
    auto r = train::kmeans(formula_input(dtype), opt);
    std::string labels;
    for (int64_t i = 0; i < r.labels.numel(); ++i) labels += static_cast<char>('0' + r.labels[i].item<int64_t>());
    EXPECT_EQ(labels, pinned);
    EXPECT_EQ(r.iterations, 3);
    const double inertia = dtype == torch::kDouble ? 261.05490659066635 : 261.05490767179174;
    EXPECT_NEAR(r.inertia, inertia, 1e-12 * inertia);
    const double centre_sum = dtype == torch::kDouble ? 24.610902953804828 : 24.610902428627014;
    EXPECT_NEAR(r.centers.to(torch::kDouble).sum().item<double>(), centre_sum, dtype == torch::kDouble ? 1e-12 : 1e-6);
  }
}

// All-one weights run the weighted arithmetic and give the unweighted result bit for bit.
TEST(KMeansWeighted, UnitWeightsMatchUnweightedBitForBit) {
  auto dup = torch::zeros({100, 5});
  dup.slice(0, 0, 4).fill_(1.0f);
  dup.slice(0, 4, 6).fill_(-2.0f);
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    torch::manual_seed(8);
    for (const auto& x : {torch::randn({150, 7}).to(dtype), formula_input(dtype), dup.to(dtype)}) {
      for (int64_t k : {1, 3, 6}) {
        train::KMeansOptions opt;
        opt.k = k;
        opt.n_init = 3;
        opt.seed = 100 + k;
        auto a = train::kmeans(x, opt);
        auto b = train::kmeans(x, opt, torch::ones({x.size(0)}, dtype));
        EXPECT_TRUE(torch::equal(a.labels, b.labels)) << k;
        EXPECT_TRUE(torch::equal(a.centers, b.centers)) << k;
        EXPECT_EQ(a.inertia, b.inertia) << k;
        EXPECT_EQ(a.iterations, b.iterations) << k;
      }
    }
  }
}

// Weighted means and inertia by hand: 1-D points 0 (weight 3), 1 (weight 1) | 10, 12 (weight 1):
// centres 0.25 and 11, inertia 3 * 0.25^2 + 0.75^2 + 1 + 1 = 2.75.
TEST(KMeansWeighted, WeightedMeansAndInertia) {
  auto x = torch::tensor({{0.0}, {1.0}, {10.0}, {12.0}}, torch::kDouble);
  for (auto wdtype : {torch::kDouble, torch::kFloat}) {
    train::KMeansOptions opt;
    opt.k = 2;
    auto r = train::kmeans(x, opt, torch::tensor({3.0, 1.0, 1.0, 1.0}, wdtype));
    auto c = std::get<0>(r.centers.flatten().sort());
    EXPECT_NEAR(c[0].item<double>(), 0.25, 1e-12);
    EXPECT_NEAR(c[1].item<double>(), 11.0, 1e-12);
    EXPECT_NEAR(r.inertia, 2.75, 1e-12);
    EXPECT_EQ(r.labels[0].item<int64_t>(), r.labels[1].item<int64_t>());
    EXPECT_EQ(r.labels[2].item<int64_t>(), r.labels[3].item<int64_t>());
    EXPECT_NE(r.labels[0].item<int64_t>(), r.labels[2].item<int64_t>());
  }
  // Fractional weights in 2-D: (0, 0) weight 0.5 and (4, 2) weight 1.5 average to (3, 1.5); scaling
  // all weights scales the inertia and nothing else.
  auto y = torch::tensor({{0.0, 0.0}, {4.0, 2.0}, {50.0, 50.0}}, torch::kDouble);
  train::KMeansOptions opt;
  opt.k = 2;
  auto r = train::kmeans(y, opt, torch::tensor({0.5, 1.5, 2.0}, torch::kDouble));
  const int64_t c01 = r.labels[0].item<int64_t>();
  EXPECT_EQ(r.labels[1].item<int64_t>(), c01);
  EXPECT_TENSOR_NEAR(r.centers[c01], torch::tensor({3.0, 1.5}, torch::kDouble), 1e-12);
  EXPECT_NEAR(r.inertia, 0.5 * (9 + 2.25) + 1.5 * (1 + 0.25), 1e-12);
  auto r7 = train::kmeans(y, opt, torch::tensor({3.5, 10.5, 14.0}, torch::kDouble));
  EXPECT_TRUE(torch::equal(r.labels, r7.labels));
  EXPECT_TENSOR_NEAR(r.centers, r7.centers, 1e-12);
  EXPECT_NEAR(r7.inertia, 7 * r.inertia, 1e-9);
}

// Far zero-weight rows would dominate the unweighted k-means++ draws; weighted they are labelled
// but never become centres, also with more centres than positive-weight rows.
TEST(KMeansWeighted, ZeroWeightRowsNeverBecomeCentres) {
  auto x =
      torch::tensor({{0.0, 0.0}, {100.0, 0.0}, {1.0, 0.0}, {0.0, 200.0}, {2.0, 0.0}, {-300.0, 5.0}}, torch::kDouble);
  auto w = torch::tensor({1.0, 0.0, 2.0, 0.0, 1.0, 0.0}, torch::kDouble);
  auto positive = torch::tensor({{0.0, 0.0}, {1.0, 0.0}, {2.0, 0.0}}, torch::kDouble);
  for (int64_t k : {3, 5, 6}) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      train::KMeansOptions opt;
      opt.k = k;
      opt.n_init = 2;
      opt.seed = seed;
      auto r = train::kmeans(x, opt, w);
      ASSERT_FALSE(torch::isnan(r.centers).any().item<bool>()) << k << " " << seed;
      // Every centre is one of the positive-weight rows, and each of those has a centre.
      auto d = torch::cdist(r.centers, positive);  // [k, 3]
      EXPECT_EQ(std::get<0>(d.min(1)).max().item<double>(), 0.0) << k << " " << seed;
      EXPECT_EQ(std::get<0>(d.min(0)).max().item<double>(), 0.0) << k << " " << seed;
      EXPECT_EQ(r.inertia, 0.0) << k << " " << seed;
      // The zero-weight rows go to the nearest centre.
      EXPECT_TENSOR_NEAR(r.centers[r.labels[1].item<int64_t>()], positive[2], 0);
      EXPECT_TENSOR_NEAR(r.centers[r.labels[5].item<int64_t>()], positive[0], 0);
    }
  }
  // Empty-cluster relocation skips the farthest row when its weight is 0: rows 0, 1, 2, 6 and a
  // zero-weight 50. From centres {0, 1000} (all rows go to 0) or {0, 50} (the 50 alone, no weight)
  // the first M-step gives the empty cluster 6, not 50: {1, 6}, inertia 1 + 0 + 1 + 0 = 2, also the
  // fixed point. (max_iter = 1 shows that first step: later steps would repair a centre at 50.)
  auto z = torch::tensor({{0.0}, {1.0}, {50.0}, {2.0}, {6.0}}, torch::kDouble);
  auto zw = torch::tensor({1.0, 1.0, 0.0, 1.0, 1.0}, torch::kDouble);
  for (double far : {1000.0, 50.0}) {
    for (int64_t max_iter : {1, 300}) {
      train::KMeansOptions opt;
      opt.k = 2;
      opt.max_iter = max_iter;
      opt.init = torch::tensor({{0.0}, {far}}, torch::kDouble);
      auto r = train::kmeans(z, opt, zw);
      EXPECT_TENSOR_NEAR(r.centers, torch::tensor({{1.0}, {6.0}}, torch::kDouble), 1e-12);
      EXPECT_NEAR(r.inertia, 2.0, 1e-12);
      EXPECT_TRUE(torch::equal(r.labels, torch::tensor({0, 0, 1, 0, 1}, torch::kLong)));
    }
  }
  // A single positive-weight row: every centre there.
  train::KMeansOptions opt;
  opt.k = 3;
  auto r = train::kmeans(x, opt, torch::tensor({0.0, 0.0, 0.0, 0.0, 4.0, 0.0}, torch::kDouble));
  EXPECT_TENSOR_NEAR(r.centers, positive[2].expand({3, 2}), 0);
  EXPECT_EQ(r.inertia, 0.0);
}

// Mostly silent background (2000 all-zero rows) and 304 distinct rows in 3 blobs, shuffled; the
// planted clusters are 0 (background) and 1..3. Returns x, the truth and the distinct rows with
// the inverse map and the counts.
struct Image {
  torch::Tensor x, truth, rows, inverse, counts;
};

Image background_image(uint64_t seed, torch::ScalarType dtype) {
  torch::manual_seed(seed);
  auto centres = torch::randn({3, 32}, torch::kDouble) * 2;
  auto blob = torch::arange(3, torch::kLong).repeat_interleave(102).slice(0, 0, 304);
  auto obj = centres.index_select(0, blob) + 0.3 * torch::randn({304, 32}, torch::kDouble);
  auto x = torch::cat({torch::zeros({2000, 32}, torch::kDouble), obj}).to(dtype);
  auto truth = torch::cat({torch::zeros({2000}, torch::kLong), blob + 1});
  auto perm = torch::randperm(2304, torch::kLong);
  Image im;
  im.x = x.index_select(0, perm);
  im.truth = truth.index_select(0, perm);
  std::tie(im.rows, im.inverse, im.counts) = at::unique_dim(im.x, 0, /*sorted=*/true, /*return_inverse=*/true,
                                                            /*return_counts=*/true);
  return im;
}

// The point of the weights: Lloyd from the same centres on the distinct rows weighted by their
// multiplicities gives the partition, centres and inertia of the full data (tol = 0: sklearn's
// tolerance uses the unweighted variance of the rows, which differs between the two).
TEST(KMeansWeighted, DeduplicatedRowsFromSameCentresMatchFullData) {
  auto im = background_image(21, torch::kDouble);
  ASSERT_EQ(im.rows.size(0), 305);
  ASSERT_EQ(im.counts.max().item<int64_t>(), 2000);
  int64_t total_iterations = 0;
  for (int64_t k : {2, 4, 6}) {
    for (int64_t trial = 0; trial < 5; ++trial) {
      // Starting centres: k distinct rows (the background row among them or not).
      torch::manual_seed(1000 * k + trial);
      auto pick = torch::randperm(im.rows.size(0), torch::kLong).slice(0, 0, k);
      train::KMeansOptions opt;
      opt.k = k;
      opt.tol = 0;
      opt.init = im.rows.index_select(0, pick);
      auto full = train::kmeans(im.x, opt);
      auto dedup = train::kmeans(im.rows, opt, im.counts.to(torch::kDouble));
      EXPECT_TRUE(torch::equal(full.labels, dedup.labels.index_select(0, im.inverse))) << k << " " << trial;
      EXPECT_NEAR(dedup.inertia, full.inertia, 1e-9 * full.inertia) << k << " " << trial;
      EXPECT_TENSOR_NEAR(dedup.centers, full.centers, 1e-9);
      EXPECT_EQ(dedup.iterations, full.iterations) << k << " " << trial;
      total_iterations += full.iterations;
    }
  }
  EXPECT_GT(total_iterations, 15 * 2);  // the runs did iterate
}

// From k-means++ (n_init = 1, so each seed is one seeding) the weighted run on the distinct rows
// finds the planted clusters, as the run on all rows does, with the same inertia; both timed.
TEST(KMeansWeighted, DeduplicatedRowsFindPlantedClustersAcrossSeeds) {
  auto im = background_image(22, torch::kFloat);
  auto w = im.counts.to(torch::kFloat);
  double full_ms = 0, dedup_ms = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    train::KMeansOptions opt;
    opt.k = 4;
    opt.n_init = 1;
    opt.seed = seed;
    auto t0 = std::chrono::steady_clock::now();
    auto full = train::kmeans(im.x, opt);
    auto t1 = std::chrono::steady_clock::now();
    auto dedup = train::kmeans(im.rows, opt, w);
    auto t2 = std::chrono::steady_clock::now();
    full_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    dedup_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    EXPECT_NEAR(train::adjusted_mutual_info(im.truth, full.labels), 1.0, 1e-12) << seed;
    EXPECT_NEAR(train::adjusted_mutual_info(im.truth, dedup.labels.index_select(0, im.inverse)), 1.0, 1e-12) << seed;
    EXPECT_NEAR(dedup.inertia, full.inertia, 1e-5 * full.inertia) << seed;
    EXPECT_NEAR(dedup.inertia, recomputed_inertia(im.x, {dedup.labels.index_select(0, im.inverse), dedup.centers}),
                1e-5 * full.inertia)
        << seed;
  }
  RecordProperty("kmeans_full_2304_ms", std::to_string(full_ms / 10));
  RecordProperty("kmeans_dedup_305_weighted_ms", std::to_string(dedup_ms / 10));
}

TEST(KMeansWeighted, BadWeightsThrowNamingTheArgument) {
  auto x = torch::randn({6, 2});
  train::KMeansOptions opt;
  opt.k = 2;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> bad{
      torch::tensor({1.0, 1.0, -0.5, 1.0, 1.0, 1.0}, torch::kDouble),  // negative
      torch::tensor({1.0, nan, 1.0, 1.0, 1.0, 1.0}, torch::kDouble),   // NaN
      torch::tensor({1.0, 1.0, 1.0, inf, 1.0, 1.0}, torch::kDouble),   // infinite
      torch::zeros({6}, torch::kDouble),                               // all zero
      torch::ones({5}, torch::kDouble),                                // wrong length
      torch::ones({6, 1}, torch::kDouble),                             // not [N]
      torch::ones({6}, torch::kLong),                                  // not float
      torch::full({6}, 1e308, torch::kDouble),                         // the sum overflows
      torch::full({6}, 1e300, torch::kDouble),                         // overflows float x
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    try {
      train::kmeans(x, opt, bad[i]);
      ADD_FAILURE() << "no throw for bad weights " << i;
    } catch (const hnn::Error& e) {
      EXPECT_NE(std::string(e.what()).find("weights"), std::string::npos) << e.what();
    }
  }
  // A bad init names init.
  for (const auto& init : {torch::zeros({3, 2}), torch::zeros({2, 3}), torch::full({2, 2}, nan)}) {
    opt.init = init;
    try {
      train::kmeans(x, opt);
      ADD_FAILURE() << "no throw for bad init";
    } catch (const hnn::Error& e) {
      EXPECT_NE(std::string(e.what()).find("init"), std::string::npos) << e.what();
    }
  }
}

// ---- Victor-Purpura ----

TEST(VictorPurpura, HandComputedSmallCases) {
  // a={1,5}, b={2}, q=1: G[1][1] = min(0 + 1, 2, 2) = 1; G[2][1] = min(G[1][0] + 3, G[1][1] + 1,
  // G[2][0] + 1) = min(4, 2, 3) = 2 (shift 1 -> 2, delete 5).
  EXPECT_DOUBLE_EQ(train::victor_purpura({1, 5}, {2}, 1.0), 2.0);
  // Shift both spikes (0.5 + 1.0) beats any deletion.
  EXPECT_DOUBLE_EQ(train::victor_purpura({1, 5}, {2, 3}, 0.5), 1.5);
  // One spike 3 apart: shifting costs 3 q, deleting and inserting 2.
  EXPECT_DOUBLE_EQ(train::victor_purpura({0}, {3}, 1.0), 2.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({0}, {3}, 0.25), 0.75);
  EXPECT_DOUBLE_EQ(train::victor_purpura({0, 10}, {1, 9}, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({0, 10}, {1, 9}, 1.0), 2.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({4, 7, 9}, {4, 7, 9}, 3.0), 0.0);
}

TEST(VictorPurpura, QZeroGivesCountDifference) {
  EXPECT_DOUBLE_EQ(train::victor_purpura({1, 2, 3, 50}, {7}, 0.0), 3.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({1}, {7, 8}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({1, 9}, {3, 4}, 0.0), 0.0);
}

TEST(VictorPurpura, SymmetricAndEmptyTrains) {
  const std::vector<int64_t> a{0, 3, 4, 12, 20}, b{1, 2, 13, 30};
  for (double q : {0.0, 0.1, 0.7, 2.5})
    EXPECT_DOUBLE_EQ(train::victor_purpura(a, b, q), train::victor_purpura(b, a, q));
  EXPECT_DOUBLE_EQ(train::victor_purpura({}, {}, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({}, {1, 2, 3}, 1.0), 3.0);
  EXPECT_DOUBLE_EQ(train::victor_purpura({5, 6}, {}, 0.3), 2.0);
  // Large q: no shift pays, so the distance is n + m minus twice the coinciding spikes.
  EXPECT_DOUBLE_EQ(train::victor_purpura(a, b, 100.0), 9.0);
}

TEST(VictorPurpura, MatrixAgreesWithPairwise) {
  torch::manual_seed(7);
  auto spikes = torch::rand({60, 13}) < 0.15;
  spikes.select(1, 4).zero_();  // an empty train
  std::vector<std::vector<int64_t>> times(13);
  for (int64_t n = 0; n < 13; ++n)
    for (int64_t t = 0; t < 60; ++t)
      if (spikes[t][n].item<bool>()) times[n].push_back(t);
  for (double q : {0.0, 0.2, 1.5}) {
    auto m = train::victor_purpura_matrix(spikes, q);
    ASSERT_EQ(m.sizes(), (std::vector<int64_t>{13, 13}));
    EXPECT_EQ(m.scalar_type(), torch::kDouble);
    EXPECT_TRUE(torch::equal(m, m.t()));
    EXPECT_EQ(m.diagonal().abs().max().item<double>(), 0.0);
    for (int64_t i = 0; i < 13; ++i)
      for (int64_t j = 0; j < 13; ++j)
        if (i != j) {
          EXPECT_DOUBLE_EQ(m[i][j].item<double>(), train::victor_purpura(times[i], times[j], q));
        }
    // uint8 and float 0/1 rasters read the same.
    EXPECT_TRUE(torch::equal(train::victor_purpura_matrix(spikes.to(torch::kUInt8), q), m));
    EXPECT_TRUE(torch::equal(train::victor_purpura_matrix(spikes.to(torch::kFloat), q), m));
  }
  // Degenerate sizes.
  EXPECT_EQ(train::victor_purpura_matrix(torch::zeros({5, 1}), 1.0).sizes(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(train::victor_purpura_matrix(torch::zeros({5, 0}), 1.0).numel(), 0);
}

TEST(VictorPurpura, BadInputThrows) {
  EXPECT_THROW(train::victor_purpura({1}, {2}, -1.0), hnn::Error);
  EXPECT_THROW(train::victor_purpura({5, 1}, {2}, 1.0), hnn::Error);
  EXPECT_THROW(train::victor_purpura_matrix(torch::zeros({5}), 1.0), hnn::Error);
  EXPECT_THROW(train::victor_purpura_matrix(torch::zeros({5, 2}), -0.5), hnn::Error);
}

// ---- silhouette ----

// Points 0, 1 | 4, 6 on a line: a, b and s by hand.
//   0: a = 1, b = (4 + 6) / 2 = 5,   s = 4 / 5
//   1: a = 1, b = (3 + 5) / 2 = 4,   s = 3 / 4
//   4: a = 2, b = (4 + 3) / 2 = 3.5, s = 1.5 / 3.5 = 3 / 7
//   6: a = 2, b = (6 + 5) / 2 = 5.5, s = 3.5 / 5.5 = 7 / 11
TEST(Silhouette, HandComputedFourPoints) {
  const double expected = (0.8 + 0.75 + 3.0 / 7.0 + 7.0 / 11.0) / 4.0;
  auto pos = torch::tensor({0.0, 1.0, 4.0, 6.0}, torch::kDouble);
  auto dist = (pos.unsqueeze(1) - pos.unsqueeze(0)).abs();
  EXPECT_NEAR(train::silhouette_score(dist, labels_of({7, 7, 3, 3})), expected, 1e-12);
  EXPECT_NEAR(train::silhouette_score(dist.to(torch::kFloat), labels_of({0, 0, 1, 1})), expected, 1e-6);
  EXPECT_NEAR(train::silhouette_euclidean(pos.unsqueeze(1), labels_of({0, 0, 1, 1})), expected, 1e-12);
  // The same points in 2-D, rotated by 45 degrees.
  auto rotated = torch::stack({pos, pos}, 1) / std::sqrt(2.0);
  EXPECT_NEAR(train::silhouette_euclidean(rotated, labels_of({0, 0, 1, 1})), expected, 1e-12);
}

TEST(Silhouette, TightFarClustersNearOne) {
  auto centres = torch::tensor({{0.0, 0.0}, {100.0, 0.0}, {0.0, 100.0}}, torch::kDouble);
  auto [x, ids] = blobs(centres, 20, 0.1, 4, torch::kFloat);
  const double s = train::silhouette_euclidean(x, ids);
  EXPECT_GT(s, 0.99);
  EXPECT_LE(s, 1.0);
  // A wrong labeling scores far lower.
  EXPECT_LT(train::silhouette_euclidean(x, torch::randint(0, 3, {60}, torch::kLong)), 0.2);
}

// Points 0, 1 | 10: the singleton contributes 0; 0: a = 1, b = 10; 1: a = 1, b = 9.
TEST(Silhouette, SingletonsContributeZero) {
  auto x = torch::tensor({{0.0}, {1.0}, {10.0}}, torch::kDouble);
  EXPECT_NEAR(train::silhouette_euclidean(x, labels_of({0, 0, 1})), (0.9 + 8.0 / 9.0 + 0.0) / 3.0, 1e-12);
  EXPECT_EQ(train::silhouette_euclidean(x, labels_of({0, 1, 2})), 0.0);  // all singletons
}

TEST(Silhouette, OneClusterGivesZero) {
  auto x = torch::randn({10, 3});
  EXPECT_EQ(train::silhouette_euclidean(x, torch::zeros({10}, torch::kLong)), 0.0);
  EXPECT_EQ(train::silhouette_score(torch::zeros({0, 0}), torch::zeros({0}, torch::kLong)), 0.0);
  // Duplicate points in two clusters at the same place: a = b = 0 scores 0, not NaN.
  EXPECT_EQ(train::silhouette_euclidean(torch::zeros({4, 2}), labels_of({0, 0, 1, 1})), 0.0);
}

TEST(Silhouette, BadInputThrows) {
  EXPECT_THROW(train::silhouette_score(torch::zeros({3, 4}), labels_of({0, 1, 0})), hnn::Error);
  EXPECT_THROW(train::silhouette_score(torch::zeros({3, 3}), labels_of({0, 1})), hnn::Error);
  EXPECT_THROW(train::silhouette_score(torch::zeros({3, 3}), torch::zeros({3})), hnn::Error);
  EXPECT_THROW(train::silhouette_euclidean(torch::zeros({3}), labels_of({0, 1, 0})), hnn::Error);
}

}  // namespace
