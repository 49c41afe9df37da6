// Reading groups out of spike timing (spec §4): smoothing, k-means on each pixel's train, AMI on
// the labelled foreground, the synchrony / rate / clustering scores of Figure 3, Figure 2's
// co-activation matrix and group autocorrelations, and the per-image evaluation of a whole method
// (DASBE, pure-ANN, PCNN) behind Table I.
// Trains are [T, N] for one image (T steps, N pixels) or [B, T, N] for a batch.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hnn/models/dasbe/loop.h"
#include "hnn/models/dasbe/model.h"

namespace hnn::models::dasbe {

// S~[t] = sum_{i < smooth} 0.5^i S[t - i] along dim -2 (time); smooth 1: unchanged.
at::Tensor smooth_trains(const at::Tensor& trains, int64_t smooth);

struct Grouping {
  at::Tensor labels;  // int64 [N]: the k-means cluster of each pixel
  double ami = 0;     // on the pixels whose true label is not 0
  double inertia = 0;
};
// Clusters the pixels (all of them, background included) of one image by their smoothed trains
// into k groups (k-means++, n_init restarts) and scores them against groups [N] (0 ignored).
Grouping group_pixels(const at::Tensor& trains, const at::Tensor& groups, int64_t k, int64_t smooth, uint64_t seed,
                      int64_t n_init = 10);
// The k-means seed of image `id` in a run with `seed` (the same read-out wherever the image runs).
uint64_t readout_seed(uint64_t seed, int64_t id);

// Figure 3's scores of one image's spikes [T, N]: k-means (smooth 2, k = max label + 1), then on
// the foreground the Victor-Purpura silhouettes with q_sync (synchrony) and q = 0 (rate) under the
// predicted labels, and the Euclidean silhouette of the smoothed trains (clustering).
struct Scores {
  double synchrony = 0, rate = 0, clustering = 0, inertia = 0, ami = 0;
};
Scores syn_rate_scores(const at::Tensor& spikes, const at::Tensor& groups, double q_sync = 1.0 / 6, int64_t smooth = 2,
                       uint64_t seed = 0);

// Figure 2's analyses (spec §4.5) of one image's spikes S [T, N] (0/1, any dtype) against its
// true groups [N] (label 0, background and overlaps, belongs to no group; groups are 1..K-1 with
// K = max label + 1). Tensor code throughout; results are float64.

// The fMRI-like co-activation M = S^T S + alpha S^T (S + S+) + alpha S^T S-, [N, N], where
// S+[t] = S[t + 1] is the trains shifted one step earlier and S-[t] = S[t - 1] one step later,
// zero-padded at the ends (S+[T-1] = S-[0] = 0). So M[i][j] = (1 + alpha) #(i and j fire at the
// same step) + alpha #(j fires one step after i) + alpha #(j fires one step before i): symmetric,
// and high for pixels that fire together, within the 3-step window the autoencoder sees.
at::Tensor coactivation_matrix(const at::Tensor& spikes, double alpha = 0.5);
// The foreground pixels in order of their true group (1, 2, ..., by index within a group): int64 [n].
at::Tensor group_order(const at::Tensor& groups);
// A co-activation matrix [N, N] restricted to the foreground, rows and columns in group_order,
// divided by its maximum (when positive): [n, n], block-diagonal when each group fires on its own.
at::Tensor coactivation_by_group(const at::Tensor& m, const at::Tensor& groups);
// Spikes per step of each group k = 1..K-1 (its pixels' spikes summed): [T, K-1].
at::Tensor group_spike_counts(const at::Tensor& spikes, const at::Tensor& groups);
// Per group, the normalised autocorrelation of its spike counts g: c(i) = sum_t g(t) g(t + i) /
// sum_t g(t)^2 for lags i = 0..max_lag-1, reflected to negative lags: [K-1, 2 max_lag - 1], column
// max_lag - 1 + i holding c(i) = c(-i). A group that never fires gives zeros.
at::Tensor group_autocorrelation(const at::Tensor& spikes, const at::Tensor& groups, int64_t max_lag = 20);
// The period of a symmetric curve [2L - 1] (lag 0 in the middle, as group_autocorrelation gives):
// the first lag 0 < i < L - 1 where the curve has a local maximum (c(i) > c(i - 1), c(i) >= c(i + 1))
// of at least half its largest value at lags > 0, so that small ripples are skipped; 0 when none.
int64_t first_peak_lag(const at::Tensor& curve);

enum class Method { Dasbe, PureAnn, Pcnn };
Method parse_method(const std::string& name);  // "dasbe", "pure-ann", "pcnn"
std::string method_name(Method m);

struct EvalOptions {
  Method method = Method::Dasbe;
  LoopOptions loop;  // DASBE and pure-ANN
  PcnnOptions pcnn;  // PCNN
  int64_t smooth = 2;
  int64_t batch = 200;  // images per loop batch
  int64_t n_init = 10;  // k-means restarts
  uint64_t seed = 111;  // the run's seed: loop streams and k-means
};
// Runs the method on images [B, H, W] and returns each image's AMI (k = that image's max label
// + 1). ids: the images' indices in their split (their random streams). ae may be null for the PCNN.
// on_batch(done, total) after every batch.
std::vector<double> evaluate_images(const Autoencoder* ae, const at::Tensor& images, const at::Tensor& groups,
                                    const EvalOptions& opt, const at::Tensor& ids = {},
                                    const std::function<void(int64_t, int64_t)>& on_batch = {});

}  // namespace hnn::models::dasbe
