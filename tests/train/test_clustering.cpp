#include "hnn/train/clustering.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <limits>
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
