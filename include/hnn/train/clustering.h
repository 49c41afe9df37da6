// Clustering read-out and scores: k-means on feature rows x [N, F], adjusted mutual information of
// two labelings (int [N]), Victor-Purpura spike-train distances of spike rasters [T, N], and the
// silhouette of a labeling (int [N]) from a distance matrix [N, N] or from feature rows [N, F].
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace hnn::train {

struct KMeansOptions {
  int64_t k = 2;
  int64_t n_init = 10;  // restarts; the lowest inertia wins (sklearn <= 1.3 defaults)
  int64_t max_iter = 300;
  double tol = 1e-4;  // relative: sklearn's tol * mean over features of the variance of x
  uint64_t seed = 0;  // deterministic: same seed, same result
  // Optional starting centres [k, F] (float or double, finite), as sklearn's init=array: no
  // k-means++ seeding and a single run (n_init is ignored; every restart would be the same).
  at::Tensor init;
};

struct KMeansResult {
  at::Tensor labels;       // int64 [N], values 0..k-1
  at::Tensor centers;      // [k, F], dtype of x
  double inertia = 0;      // sum of squared distances to the nearest centre
  int64_t iterations = 0;  // of the winning restart
};

// k-means as sklearn's KMeans(algorithm="lloyd").fit(x, sample_weight=weights): greedy k-means++
// seeding (the first centre drawn with probability proportional to the weight, then per centre
// 2 + floor(log k) candidates drawn proportional to weight * squared distance to the nearest
// centre, the one that lowers the weighted potential most wins), Lloyd iterations with weighted
// means until the labels repeat or the total squared centre shift is <= tol * mean feature
// variance; an empty cluster (no weight) takes the positive-weight point farthest from its centre
// (from a cluster that keeps a positive-weight member, so no cluster is left empty).
// x: float or double [N, F] on CPU, finite; 1 <= k <= N. Identical rows are fine, also more
// centres than distinct points (or than positive-weight points): then some centres coincide and
// some labels are unused. One std::mt19937_64 seeded with opt.seed feeds all restarts.
// weights: float or double [N], finite, >= 0, some > 0; undefined: all ones (the unweighted
// arithmetic). Integer weights act as repeated rows: clustering the distinct rows of x with their
// multiplicities gives the partition of the full x. A zero-weight row is labelled (nearest centre)
// but never becomes a centre while a positive-weight row can. inertia = sum_i w_i ||x_i - c||^2.
// As in sklearn, tol's variance is the unweighted one of the rows of x (np.var(x, axis=0)), so
// deduplicated rows get a different (usually larger) tolerance than the full x; tol = 0 runs
// every restart to strict convergence. hnn::Error on bad input, naming the argument.
KMeansResult kmeans(const at::Tensor& x, const KMeansOptions& opt, const at::Tensor& weights = {});

// Adjusted mutual information with arithmetic normalisation and the exact expected MI, as
// sklearn.metrics.adjusted_mutual_info_score: (MI - E[MI]) / (0.5 (H(U) + H(V)) - E[MI]), natural
// log, the denominator kept at least machine epsilon away from 0. 1 when both labelings have a
// single cluster (or are empty). truth, pred: integer [N], any values (not necessarily 0..C-1).
double adjusted_mutual_info(const at::Tensor& truth, const at::Tensor& pred);

// Victor-Purpura distance of two sorted spike-time lists at cost q >= 0 per unit of shift:
// inserting or deleting a spike costs 1, moving it by d costs q d. q = 0 gives |n - m|.
double victor_purpura(const std::vector<int64_t>& a, const std::vector<int64_t>& b, double q);

// All pairwise Victor-Purpura distances of the columns of spikes [T, N] (bool, integer or float;
// any non-zero entry is a spike at time t of neuron n): double [N, N], symmetric, zero diagonal.
// The pairs run in parallel (at::parallel_for).
at::Tensor victor_purpura_matrix(const at::Tensor& spikes, double q);

// Mean silhouette over samples from a precomputed distance matrix dist [N, N] (float or double)
// and integer labels [N], as sklearn's silhouette_score(metric="precomputed"): s = (b - a) /
// max(a, b), a = mean distance to the other members of its cluster (the diagonal is ignored),
// b = smallest mean distance to another cluster, s = 0 for singleton clusters and when a = b = 0.
// Fewer than 2 distinct labels give 0 (sklearn raises there; a read-out of a collapsed clustering
// should score, not abort).
double silhouette_score(const at::Tensor& dist, const at::Tensor& labels);

// Euclidean silhouette of feature rows x [N, F] (float or double): the distance matrix in double,
// then silhouette_score.
double silhouette_euclidean(const at::Tensor& x, const at::Tensor& labels);

}  // namespace hnn::train
