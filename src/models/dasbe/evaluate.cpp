#include "hnn/models/dasbe/evaluate.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/train/clustering.h"

namespace hnn::models::dasbe {

at::Tensor smooth_trains(const at::Tensor& trains, int64_t smooth) {
  HNN_CHECK(smooth >= 1, "dasbe: smooth must be >= 1, got {}", smooth);
  HNN_CHECK(trains.dim() >= 2, "dasbe: trains must be [T, N] or [B, T, N], got {}", shape_str(trains.sizes()));
  auto s = trains.to(torch::kFloat).clone();
  const int64_t T = trains.size(-2);
  auto src = trains.to(torch::kFloat);
  double w = 1.0;
  for (int64_t i = 1; i < smooth && i < T; ++i) {
    w *= 0.5;
    s.narrow(-2, i, T - i).add_(src.narrow(-2, 0, T - i), w);
  }
  return s;
}

namespace {
at::Tensor foreground(const at::Tensor& groups) {
  return groups.reshape({-1}).ne(0).nonzero().reshape({-1});
}
int64_t clusters_of(const at::Tensor& groups) {
  return groups.max().item<int64_t>() + 1;
}
}  // namespace

Grouping group_pixels(const at::Tensor& trains, const at::Tensor& groups, int64_t k, int64_t smooth, uint64_t seed,
                      int64_t n_init) {
  HNN_CHECK(trains.dim() == 2, "dasbe: one image's trains must be [T, N], got {}", shape_str(trains.sizes()));
  HNN_CHECK(groups.numel() == trains.size(1), "dasbe: {} labels for {} pixels", groups.numel(), trains.size(1));
  HNN_CHECK(smooth >= 1, "dasbe: smooth must be >= 1, got {}", smooth);
  // One feature row per pixel, its smoothed train. Silent pixels (all background and some
  // foreground) have identical all-zero rows: they are clustered once, as one row whose weight is
  // their count (the same k-means on a fraction of the rows). Built in one pass into one buffer:
  // per-image temporaries cost more in page faults than the clustering here.
  const int64_t T = trains.size(0), N = trains.size(1);
  auto tf = trains.to(torch::kFloat).contiguous();
  const float* tp = tf.data_ptr<float>();
  std::vector<int64_t> active_idx;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t t = 0; t < T; ++t)
      if (tp[t * N + n] != 0.0f) {
        active_idx.push_back(n);
        break;
      }
  const int64_t n_active = (int64_t)active_idx.size(), n_silent = N - n_active;
  auto rows = torch::zeros({n_active + (n_silent > 0 ? 1 : 0), T}, torch::kFloat);
  float* rp = rows.data_ptr<float>();
  std::vector<float> w(std::max<int64_t>(smooth, 1));
  for (int64_t i = 0; i < (int64_t)w.size(); ++i) w[i] = (float)std::pow(0.5, (double)i);
  for (int64_t a = 0; a < n_active; ++a) {
    const int64_t n = active_idx[a];
    for (int64_t t = 0; t < T; ++t) {
      float v = 0;
      for (int64_t i = 0; i < smooth && i <= t; ++i) v += w[i] * tp[(t - i) * N + n];
      rp[a * T + t] = v;
    }
  }
  at::Tensor weights;
  if (n_silent > 0) {
    weights = torch::ones({rows.size(0)}, torch::kDouble);
    weights[rows.size(0) - 1] = (double)n_silent;
  }
  train::KMeansOptions ko;
  ko.k = std::min<int64_t>(k, rows.size(0)), ko.n_init = n_init, ko.seed = seed;
  auto red = train::kmeans(rows, ko, weights);
  Grouping g;
  g.labels = torch::full({N}, n_silent > 0 ? red.labels[n_active].item<int64_t>() : 0, torch::kLong);
  auto lp = g.labels.data_ptr<int64_t>();
  auto rl = red.labels.data_ptr<int64_t>();
  for (int64_t a = 0; a < n_active; ++a) lp[active_idx[a]] = rl[a];
  g.inertia = red.inertia;
  auto fg = foreground(groups);
  if (fg.numel() > 0) {
    auto truth = groups.reshape({-1}).to(torch::kLong).index_select(0, fg);
    g.ami = train::adjusted_mutual_info(truth, g.labels.index_select(0, fg));
  }
  return g;
}

uint64_t readout_seed(uint64_t seed, int64_t id) {
  return seed * 1000003ULL + (uint64_t)id;
}

Scores syn_rate_scores(const at::Tensor& spikes, const at::Tensor& groups, double q_sync, int64_t smooth,
                       uint64_t seed) {
  auto g = group_pixels(spikes, groups, clusters_of(groups), smooth, seed);
  Scores s;
  s.ami = g.ami;
  s.inertia = g.inertia;
  auto fg = foreground(groups);
  if (fg.numel() < 2) return s;
  auto labels = g.labels.index_select(0, fg);
  auto raw = spikes.index_select(1, fg);  // [T, n_fg]
  s.synchrony = train::silhouette_score(train::victor_purpura_matrix(raw, q_sync), labels);
  s.rate = train::silhouette_score(train::victor_purpura_matrix(raw, 0.0), labels);
  s.clustering = train::silhouette_euclidean(smooth_trains(raw, smooth).t().contiguous(), labels);
  return s;
}

namespace {
// Spikes [T, N] as float64 and the labels [N] as int64, checked against each other.
std::pair<at::Tensor, at::Tensor> spikes_and_groups(const at::Tensor& spikes, const at::Tensor& groups,
                                                    const char* what) {
  HNN_CHECK(spikes.dim() == 2, "dasbe {}: spikes must be [T, N], got {}", what, shape_str(spikes.sizes()));
  HNN_CHECK(groups.numel() == spikes.size(1), "dasbe {}: {} labels for {} pixels", what, groups.numel(),
            spikes.size(1));
  auto g = groups.reshape({-1}).to(torch::kLong);
  HNN_CHECK(g.numel() == 0 || g.min().item<int64_t>() >= 0, "dasbe {}: labels must be >= 0", what);
  return {spikes.to(torch::kDouble), g};
}
}  // namespace

at::Tensor coactivation_matrix(const at::Tensor& spikes, double alpha) {
  HNN_CHECK(spikes.dim() == 2, "dasbe coactivation: spikes must be [T, N], got {}", shape_str(spikes.sizes()));
  auto s = spikes.to(torch::kDouble);
  const int64_t T = s.size(0);
  auto earlier = torch::zeros_like(s), later = torch::zeros_like(s);  // S+ and S-
  if (T > 1) {
    earlier.narrow(0, 0, T - 1).copy_(s.narrow(0, 1, T - 1));
    later.narrow(0, 1, T - 1).copy_(s.narrow(0, 0, T - 1));
  }
  // S^T S + alpha S^T (S + S+) + alpha S^T S- as one product.
  return torch::matmul(s.t(), s * (1 + alpha) + (earlier + later) * alpha);
}

at::Tensor group_order(const at::Tensor& groups) {
  auto g = groups.reshape({-1}).to(torch::kLong);
  // A stable order: group first, then pixel index (keys are distinct, so any sort is stable).
  auto fg = g.ne(0).nonzero().reshape({-1});
  auto key = g.index_select(0, fg) * g.numel() + fg;
  return fg.index_select(0, std::get<1>(key.sort()));
}

at::Tensor coactivation_by_group(const at::Tensor& m, const at::Tensor& groups) {
  HNN_CHECK(m.dim() == 2 && m.size(0) == m.size(1) && m.size(0) == groups.numel(),
            "dasbe coactivation: a [N, N] matrix for {} labels, got {}", groups.numel(), shape_str(m.sizes()));
  auto order = group_order(groups);
  auto sub = m.to(torch::kDouble).index_select(0, order).index_select(1, order);
  if (sub.numel() == 0) return sub;
  const double top = sub.max().item<double>();
  return top > 0 ? sub / top : sub;
}

at::Tensor group_spike_counts(const at::Tensor& spikes, const at::Tensor& groups) {
  auto [s, g] = spikes_and_groups(spikes, groups, "group counts");
  const int64_t k = g.numel() ? g.max().item<int64_t>() : 0;  // groups 1..k
  auto member = g.unsqueeze(1).eq(torch::arange(1, k + 1, torch::kLong).unsqueeze(0)).to(torch::kDouble);  // [N, k]
  return torch::matmul(s, member);
}

at::Tensor group_autocorrelation(const at::Tensor& spikes, const at::Tensor& groups, int64_t max_lag) {
  HNN_CHECK(max_lag >= 1, "dasbe autocorrelation: max_lag must be >= 1, got {}", max_lag);
  auto counts = group_spike_counts(spikes, groups);  // [T, K-1]
  const int64_t T = counts.size(0), k = counts.size(1);
  auto energy = counts.pow(2).sum(0);  // [K-1]
  auto safe = torch::where(energy > 0, energy, torch::ones_like(energy));
  auto c = torch::zeros({k, max_lag}, torch::kDouble);
  for (int64_t i = 0; i < max_lag && i < T; ++i)
    c.select(1, i).copy_((counts.narrow(0, 0, T - i) * counts.narrow(0, i, T - i)).sum(0) / safe);
  auto out = torch::zeros({k, 2 * max_lag - 1}, torch::kDouble);
  out.narrow(1, max_lag - 1, max_lag).copy_(c);
  out.narrow(1, 0, max_lag).copy_(c.flip({1}));
  return out;
}

int64_t first_peak_lag(const at::Tensor& curve) {
  HNN_CHECK(curve.dim() == 1 && curve.numel() % 2 == 1, "dasbe: a symmetric curve [2L - 1], got {}",
            shape_str(curve.sizes()));
  const int64_t L = (curve.numel() + 1) / 2;
  if (L < 3) return 0;
  auto c = curve.narrow(0, L - 1, L).to(torch::kDouble).contiguous();  // lags 0..L-1
  const double* v = c.data_ptr<double>();
  const double top = c.narrow(0, 1, L - 1).max().item<double>();
  if (!(top > 0)) return 0;
  for (int64_t i = 1; i + 1 < L; ++i)  // a curve still rising at the last lag has no peak in view
    if (v[i] > v[i - 1] && v[i] >= v[i + 1] && v[i] >= 0.5 * top) return i;
  return 0;
}

Method parse_method(const std::string& name) {
  if (name == "dasbe") return Method::Dasbe;
  if (name == "pure-ann" || name == "pure_ann") return Method::PureAnn;
  if (name == "pcnn" || name == "pure-snn") return Method::Pcnn;
  fail("dasbe: unknown method '{}' (expected dasbe, pure-ann or pcnn)", name);
}

std::string method_name(Method m) {
  switch (m) {
    case Method::Dasbe:
      return "dasbe";
    case Method::PureAnn:
      return "pure-ann";
    case Method::Pcnn:
      return "pcnn";
  }
  return "?";
}

std::vector<double> evaluate_images(const Autoencoder* ae, const at::Tensor& images, const at::Tensor& groups,
                                    const EvalOptions& opt, const at::Tensor& ids_in,
                                    const std::function<void(int64_t, int64_t)>& on_batch) {
  HNN_CHECK(images.dim() == 3 && groups.sizes() == images.sizes(),
            "dasbe: evaluation needs images and groups [B, H, W] of one shape, got {} and {}",
            shape_str(images.sizes()), shape_str(groups.sizes()));
  HNN_CHECK(opt.method == Method::Pcnn || ae != nullptr, "dasbe: {} needs an autoencoder", method_name(opt.method));
  HNN_CHECK(opt.batch > 0, "dasbe: batch must be positive");
  const int64_t n = images.size(0), N = images.size(1) * images.size(2);
  auto ids = ids_in.defined() ? ids_in.to(torch::kLong) : torch::arange(n, torch::kLong);
  std::vector<double> ami(n, 0.0);
  for (int64_t b0 = 0; b0 < n; b0 += opt.batch) {
    const int64_t bn = std::min(opt.batch, n - b0);
    auto x = images.narrow(0, b0, bn);
    auto bid = ids.narrow(0, b0, bn);
    at::Tensor trains;  // [bn, T, N]
    if (opt.method == Method::Pcnn) {
      PcnnOptions po = opt.pcnn;
      po.seed = opt.seed;
      trains = run_pcnn(x, po, bid);
    } else {
      LoopOptions lo = opt.loop;
      lo.seed = opt.seed;
      auto r = opt.method == Method::Dasbe ? run_dasbe(*ae, x, lo, bid) : run_pure_ann(*ae, x, lo, bid);
      trains = r.spikes.reshape({bn, -1, N});
    }
    auto g = groups.narrow(0, b0, bn).reshape({bn, N});
    at::parallel_for(0, bn, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        auto gi = g[i];
        const uint64_t kseed = readout_seed(opt.seed, bid[i].item<int64_t>());
        ami[b0 + i] = group_pixels(trains[i], gi, clusters_of(gi), opt.smooth, kseed, opt.n_init).ami;
      }
    });
    if (on_batch) on_batch(b0 + bn, n);
  }
  return ami;
}

}  // namespace hnn::models::dasbe
