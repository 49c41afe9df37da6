#include "hnn/train/clustering.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::train {
namespace {

std::string shape_of(const at::Tensor& t) {
  return t.defined() ? shape_str(t.sizes()) : "none";
}

// Labels as dense ids 0..C-1 (in the order of the sorted distinct values), so that arbitrary label
// values can index count tables.
struct DenseLabels {
  std::vector<int64_t> ids;
  int64_t count = 0;
};

DenseLabels dense_labels(const at::Tensor& labels, const char* what) {
  HNN_CHECK(labels.defined() && labels.dim() == 1, "{}: expected labels [N], got {}", what, shape_of(labels));
  HNN_CHECK(at::isIntegralType(labels.scalar_type(), /*includeBool=*/true), "{}: expected integer labels, got {}", what,
            c10::toString(labels.scalar_type()));
  auto l = labels.detach().to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* p = l.data_ptr<int64_t>();
  DenseLabels out;
  out.ids.assign(p, p + l.numel());
  std::vector<int64_t> values = out.ids;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (auto& v : out.ids) v = std::lower_bound(values.begin(), values.end(), v) - values.begin();
  out.count = static_cast<int64_t>(values.size());
  return out;
}

// ---- k-means ----

// A uniform double in [0, 1) from the top 53 bits, so the stream is the same on every standard
// library (std::uniform_real_distribution is implementation-defined).
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

int64_t uniform_index(std::mt19937_64& rng, int64_t n) {
  return std::min<int64_t>(static_cast<int64_t>(uniform01(rng) * static_cast<double>(n)), n - 1);
}

// Raw loops below for the whole-matrix reductions: a fresh [N, F] temporary per restart costs more
// than the Lloyd iterations themselves (page faults on every large allocation).

// Per-feature means of x [N, F] (contiguous) in double, the mean over features of the population
// variance, and whether every entry is finite.
struct ColumnStats {
  std::vector<double> mean;
  double mean_var = 0;
  bool finite = true;
};

template <typename T>
ColumnStats column_stats(const at::Tensor& x) {
  const int64_t n = x.size(0), f = x.size(1);
  const T* p = x.data_ptr<T>();
  ColumnStats st;
  st.mean.assign(f, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j) {
      const double v = static_cast<double>(p[i * f + j]);
      st.finite = st.finite && std::isfinite(v);
      st.mean[j] += v;
    }
  if (!st.finite) return st;
  for (auto& m : st.mean) m /= static_cast<double>(n);
  double ss = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j) {
      const double d = static_cast<double>(p[i * f + j]) - st.mean[j];
      ss += d * d;
    }
  st.mean_var = ss / (static_cast<double>(n) * static_cast<double>(f));
  return st;
}

// Per-sample weights of the k-means. Unweighted (p == nullptr), every step runs the arithmetic of
// the unweighted k-means; weighted, the same arithmetic with the weights multiplied in, so that
// all-one weights give the unweighted result.
struct SampleWeights {
  const double* p = nullptr;  // [N], finite, >= 0, some > 0; nullptr: unweighted
  at::Tensor w;               // double [N] (owns p)
  at::Tensor w_x;             // [N, 1] in x's dtype: the entries of the weighted one-hot
  std::vector<double> cum;    // cumulative weights: the first centre's draw
  int64_t first_positive = 0;
  double at(int64_t i) const { return p ? p[i] : 1.0; }
  bool positive(int64_t i) const { return !p || p[i] > 0; }
};

// sum_i w_i ||x_i - c_{labels_i}||^2 in double; x [N, F], c [k, F] contiguous, labels int64 [N].
template <typename T>
double inertia_of(const at::Tensor& x, const at::Tensor& c, const at::Tensor& labels, const SampleWeights& sw) {
  const int64_t n = x.size(0), f = x.size(1);
  const T* xp = x.data_ptr<T>();
  const T* cp = c.data_ptr<T>();
  const int64_t* lp = labels.data_ptr<int64_t>();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T* row = xp + i * f;
    const T* ctr = cp + lp[i] * f;
    double s = 0;
    for (int64_t j = 0; j < f; ++j) {
      const double d = static_cast<double>(row[j]) - static_cast<double>(ctr[j]);
      s += d * d;
    }
    total += sw.p ? sw.p[i] * s : s;
  }
  return total;
}

// Squared Euclidean distances [N, k] of rows x [N, F] to centres c [k, F], given xx = ||x||^2 [N].
// Rounding can make the expansion slightly negative for coinciding points, hence the clamp.
at::Tensor sq_dist(const at::Tensor& x, const at::Tensor& xx, const at::Tensor& c) {
  auto cc = c.square().sum(1);
  return torch::addmm(xx.unsqueeze(1) + cc.unsqueeze(0), x, c.t(), /*beta=*/1, /*alpha=*/-2).clamp_min_(0);
}

// The index a draw r in [0, cum.back()] selects from the cumulative masses cum: numpy's
// searchsorted (side left), clipped to N - 1, as sklearn. Weighted, the draw never lands on a zero
// mass: lower_bound only can at r == 0 (a leading zero mass), which moves on to the first positive
// mass, and with no mass at all it takes the first positive-weight point (unweighted: row 0).
int64_t draw_index(const std::vector<double>& cum, double r, const SampleWeights& sw) {
  const auto n = static_cast<int64_t>(cum.size());
  const int64_t i = std::min<int64_t>(std::lower_bound(cum.begin(), cum.end(), r) - cum.begin(), n - 1);
  if (!sw.p || cum[i] > (i > 0 ? cum[i - 1] : 0.0)) return i;
  if (!(cum.back() > 0)) return sw.first_positive;
  return std::upper_bound(cum.begin(), cum.end(), 0.0) - cum.begin();
}

// sklearn's greedy k-means++: the first centre drawn with probability proportional to the weight,
// each new one the best of 2 + floor(log k) candidates drawn with probability proportional to the
// weight times the squared distance to the nearest chosen centre, scored by the weighted potential.
at::Tensor kmeans_plusplus(const at::Tensor& x, const at::Tensor& xx, int64_t k, const SampleWeights& sw,
                           std::mt19937_64& rng) {
  const int64_t n = x.size(0);
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  std::vector<int64_t> chosen{sw.p ? draw_index(sw.cum, uniform01(rng) * sw.cum.back(), sw) : uniform_index(rng, n)};
  auto closest = sq_dist(x, xx, x.narrow(0, chosen[0], 1)).select(1, 0).contiguous();
  std::vector<double> cum(n);
  std::vector<int64_t> cand(trials);
  for (int64_t c = 1; c < k; ++c) {
    auto cd = closest.to(torch::kDouble).contiguous();
    const double* d = cd.data_ptr<double>();
    if (sw.p) {
      double run = 0;
      for (int64_t i = 0; i < n; ++i) cum[i] = run += sw.p[i] * d[i];
    } else {
      std::partial_sum(d, d + n, cum.begin());
    }
    const double pot = cum.back();
    // With a zero potential (all points on centres) every draw lands on row 0 (weighted: the first
    // positive-weight row): a coinciding centre.
    for (auto& ci : cand) ci = draw_index(cum, uniform01(rng) * pot, sw);
    auto cand_t = torch::tensor(cand, torch::kLong);
    auto nd = torch::minimum(sq_dist(x, xx, x.index_select(0, cand_t)), closest.unsqueeze(1));  // [N, L]
    auto ndd = nd.to(torch::kDouble);
    const int64_t best = (sw.p ? ndd.mul_(sw.w.unsqueeze(1)) : ndd).sum(0).argmin().item<int64_t>();
    closest = nd.select(1, best).contiguous();
    chosen.push_back(cand[best]);
  }
  return x.index_select(0, torch::tensor(chosen, torch::kLong));
}

// The M-step: weighted cluster means of x under labels. A cluster without weight takes the
// positive-weight point farthest from its old centre (dist_own [N]) as sklearn does, but only from
// a cluster with more than one positive-weight member, so the move never empties another cluster
// (sklearn can leave a zero centre there). With fewer positive-weight points than clusters some
// cannot be refilled: they keep their old centre (a coinciding one after the seeding).
at::Tensor update_centers(const at::Tensor& x, const at::Tensor& labels, const at::Tensor& dist_own,
                          const at::Tensor& old_centers, const SampleWeights& sw) {
  const int64_t n = x.size(0), k = old_centers.size(0);
  // Sums through a one-hot matmul: index_add_ on the CPU adds row by row (slow for N ~ 2000).
  auto onehot = torch::zeros({n, k}, x.options());
  if (sw.p) {
    onehot.scatter_(1, labels.unsqueeze(1), sw.w_x);
  } else {
    onehot.scatter_(1, labels.unsqueeze(1), 1);
  }
  auto sums = onehot.t().mm(x);
  const int64_t* lab = labels.data_ptr<int64_t>();
  std::vector<double> mass(k, 0.0);
  std::vector<int64_t> members(k, 0);  // with positive weight
  for (int64_t i = 0; i < n; ++i) {
    mass[lab[i]] += sw.at(i);
    members[lab[i]] += sw.positive(i);
  }
  std::vector<int64_t> empty;
  for (int64_t j = 0; j < k; ++j)
    if (!(mass[j] > 0)) empty.push_back(j);
  std::vector<std::pair<int64_t, int64_t>> moved;  // (cluster, point)
  if (!empty.empty()) {
    auto order = torch::argsort(dist_own.to(torch::kDouble), /*dim=*/0, /*descending=*/true).contiguous();
    const int64_t* ord = order.data_ptr<int64_t>();
    // Unweighted, k <= N guarantees enough spare points: the non-empty clusters hold N >= k points.
    for (int64_t r = 0; r < order.numel() && moved.size() < empty.size(); ++r) {
      const int64_t p = ord[r], from = lab[p];
      if (!sw.positive(p) || members[from] <= 1) continue;
      if (sw.p) {
        sums[from] -= x[p] * sw.p[p];
      } else {
        sums[from] -= x[p];
      }
      mass[from] -= sw.at(p);
      --members[from];
      moved.emplace_back(empty[moved.size()], p);
    }
    for (auto j : empty) mass[j] = 1;  // overwritten below
  }
  auto centers = sums / torch::tensor(mass, torch::kDouble).to(x.scalar_type()).unsqueeze(1);
  for (size_t e = 0; e < empty.size(); ++e)
    centers[empty[e]].copy_(e < moved.size() ? x[moved[e].second] : old_centers[empty[e]]);
  return centers;
}

struct Run {
  at::Tensor labels, centers;
  double inertia = 0;
  int64_t iterations = 0;
};

// Lloyd iterations from the given centres, as sklearn's _kmeans_single_lloyd: stop when the labels
// repeat (strict convergence) or the centres moved by at most tol in total squared shift; in the
// latter case one more E-step makes the labels match the final centres.
Run lloyd(const at::Tensor& x, const at::Tensor& xx, at::Tensor centers, int64_t max_iter, double tol,
          const SampleWeights& sw) {
  Run run;
  at::Tensor labels_old = torch::full({x.size(0)}, -1, torch::kLong);
  bool strict = false;
  for (int64_t it = 0; it < max_iter; ++it) {
    run.iterations = it + 1;
    auto [dmin, labels] = sq_dist(x, xx, centers).min(1);
    labels = labels.contiguous();
    auto next = update_centers(x, labels, dmin, centers, sw);
    const double shift = (next - centers).to(torch::kDouble).square().sum().item<double>();
    centers = next;
    run.labels = labels;
    if (torch::equal(labels, labels_old)) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
    labels_old = labels;
  }
  if (!strict) run.labels = std::get<1>(sq_dist(x, xx, centers).min(1));
  run.centers = centers.contiguous();
  run.labels = run.labels.contiguous();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "kmeans_inertia",
                             [&] { run.inertia = inertia_of<scalar_t>(x, run.centers, run.labels, sw); });
  return run;
}

// ---- adjusted mutual information ----

double entropy(const std::vector<int64_t>& counts, double n) {
  double h = 0;
  for (auto c : counts)
    if (c > 0) h -= (c / n) * (std::log(static_cast<double>(c)) - std::log(n));
  return h;
}

// E[MI] under the hypergeometric model of random labelings with the given marginals (sklearn's
// expected_mutual_information), with a table of log factorials.
double expected_mutual_info(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t n) {
  if (a.size() <= 1 || b.size() <= 1) return 0;
  std::vector<double> lf(n + 1);  // lf[m] = log(m!)
  for (int64_t m = 0; m <= n; ++m) lf[m] = std::lgamma(static_cast<double>(m) + 1);
  const double nd = static_cast<double>(n), log_n = std::log(nd);
  double emi = 0;
  for (auto ai : a) {
    for (auto bj : b) {
      const double log_ab = std::log(static_cast<double>(ai)) + std::log(static_cast<double>(bj));
      const double base = lf[ai] + lf[bj] + lf[n - ai] + lf[n - bj] - lf[n];
      for (int64_t k = std::max<int64_t>(1, ai + bj - n); k <= std::min(ai, bj); ++k) {
        const double kd = static_cast<double>(k);
        const double log_p = base - lf[k] - lf[ai - k] - lf[bj - k] - lf[n - ai - bj + k];
        emi += kd / nd * (log_n + std::log(kd) - log_ab) * std::exp(log_p);
      }
    }
  }
  return emi;
}

// ---- Victor-Purpura ----

// The DP over one row (row holds G[i-1][*] and becomes G[i][*]); q > 0.
double vp_dp(const int64_t* a, size_t n, const int64_t* b, size_t m, double q, std::vector<double>& row) {
  if (n == 0 || m == 0) return static_cast<double>(n + m);
  row.resize(m + 1);
  for (size_t j = 0; j <= m; ++j) row[j] = static_cast<double>(j);
  for (size_t i = 1; i <= n; ++i) {
    double diag = row[0];  // G[i-1][j-1]
    row[0] = static_cast<double>(i);
    for (size_t j = 1; j <= m; ++j) {
      const double up = row[j];  // G[i-1][j]
      const double shift = diag + q * std::abs(static_cast<double>(a[i - 1] - b[j - 1]));
      row[j] = std::min({shift, up + 1, row[j - 1] + 1});
      diag = up;
    }
  }
  return row[m];
}

void check_q(double q) {
  HNN_CHECK(std::isfinite(q) && q >= 0, "victor_purpura: expected q >= 0, got {}", q);
}

}  // namespace

KMeansResult kmeans(const at::Tensor& x, const KMeansOptions& opt, const at::Tensor& weights) {
  HNN_CHECK(x.defined() && x.dim() == 2 && x.size(0) >= 1 && x.size(1) >= 1,
            "kmeans: expected x [N, F] with N, F >= 1, got {}", shape_of(x));
  HNN_CHECK(x.device().is_cpu(), "kmeans: expected x on the CPU, got {}", x.device().str());
  HNN_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble,
            "kmeans: expected x float or double, got {}", c10::toString(x.scalar_type()));
  const int64_t n = x.size(0), f = x.size(1);
  HNN_CHECK(opt.k >= 1 && opt.k <= n, "kmeans: expected 1 <= k <= N = {}, got k = {}", n, opt.k);
  HNN_CHECK(opt.n_init >= 1, "kmeans: expected n_init >= 1, got {}", opt.n_init);
  HNN_CHECK(opt.max_iter >= 1, "kmeans: expected max_iter >= 1, got {}", opt.max_iter);
  HNN_CHECK(std::isfinite(opt.tol) && opt.tol >= 0, "kmeans: expected tol >= 0, got {}", opt.tol);
  torch::NoGradGuard no_grad;
  SampleWeights sw;
  if (weights.defined()) {
    HNN_CHECK(weights.dim() == 1 && weights.size(0) == n, "kmeans: expected weights [{}] (one per row of x), got {}", n,
              shape_of(weights));
    HNN_CHECK(weights.scalar_type() == torch::kFloat || weights.scalar_type() == torch::kDouble,
              "kmeans: expected weights float or double, got {}", c10::toString(weights.scalar_type()));
    sw.w = weights.detach().to(torch::kCPU, torch::kDouble).contiguous();
    sw.p = sw.w.data_ptr<double>();
    sw.cum.resize(n);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      HNN_CHECK(std::isfinite(sw.p[i]) && sw.p[i] >= 0, "kmeans: expected finite weights >= 0, got weights[{}] = {}", i,
                sw.p[i]);
      sw.cum[i] = total += sw.p[i];
    }
    HNN_CHECK(total > 0 && std::isfinite(total), "kmeans: expected weights with a finite sum > 0, got {}", total);
    sw.first_positive = std::upper_bound(sw.cum.begin(), sw.cum.end(), 0.0) - sw.cum.begin();
    sw.w_x = sw.w.to(x.scalar_type()).unsqueeze(1);  // the M-step sums in x's dtype
    HNN_CHECK(torch::isfinite(sw.w_x).all().item<bool>(), "kmeans: weights overflow x's dtype {}",
              c10::toString(x.scalar_type()));
  }
  if (opt.init.defined()) {
    HNN_CHECK(opt.init.dim() == 2 && opt.init.size(0) == opt.k && opt.init.size(1) == f,
              "kmeans: expected init [k, F] = [{}, {}], got {}", opt.k, f, shape_of(opt.init));
    HNN_CHECK(opt.init.scalar_type() == torch::kFloat || opt.init.scalar_type() == torch::kDouble,
              "kmeans: expected init float or double, got {}", c10::toString(opt.init.scalar_type()));
    HNN_CHECK(torch::isfinite(opt.init.detach()).all().item<bool>(), "kmeans: init contains NaN or infinite values");
  }
  auto xs = x.detach().contiguous();
  ColumnStats st;
  AT_DISPATCH_FLOATING_TYPES(xs.scalar_type(), "kmeans_stats", [&] { st = column_stats<scalar_t>(xs); });
  HNN_CHECK(st.finite, "kmeans: x contains NaN or infinite values");

  // Centred data, as sklearn does, keeps the ||x||^2 - 2 x c + ||c||^2 expansion accurate in float.
  // Like sklearn, the centring and the tolerance use the unweighted statistics of the rows.
  auto mean = torch::tensor(st.mean, torch::kDouble).to(xs.scalar_type()).unsqueeze(0);
  auto xc = xs - mean;
  const double tol = opt.tol * st.mean_var;
  auto xx = xc.norm(2, {1}).square_();  // a reduction, no [N, F] temporary

  std::mt19937_64 rng(opt.seed);
  Run best;
  if (opt.init.defined()) {
    auto init = opt.init.detach().to(torch::kCPU, xs.scalar_type()) - mean;
    best = lloyd(xc, xx, init, opt.max_iter, tol, sw);
  } else {
    for (int64_t r = 0; r < opt.n_init; ++r) {
      auto run = lloyd(xc, xx, kmeans_plusplus(xc, xx, opt.k, sw, rng), opt.max_iter, tol, sw);
      if (r == 0 || run.inertia < best.inertia) best = std::move(run);
    }
  }
  return KMeansResult{best.labels, best.centers + mean, best.inertia, best.iterations};
}

double adjusted_mutual_info(const at::Tensor& truth, const at::Tensor& pred) {
  const auto t = dense_labels(truth, "adjusted_mutual_info truth");
  const auto p = dense_labels(pred, "adjusted_mutual_info pred");
  HNN_CHECK(t.ids.size() == p.ids.size(), "adjusted_mutual_info: truth has {} labels, pred {}; expected equal",
            t.ids.size(), p.ids.size());
  // Both unsplit (or empty): zero entropy on both sides is a perfect match.
  if (t.count == p.count && t.count <= 1) return 1.0;
  const int64_t n = static_cast<int64_t>(t.ids.size());
  const double nd = static_cast<double>(n);
  std::vector<int64_t> a(t.count, 0), b(p.count, 0), cont(t.count * p.count, 0);
  for (int64_t s = 0; s < n; ++s) {
    ++a[t.ids[s]];
    ++b[p.ids[s]];
    ++cont[t.ids[s] * p.count + p.ids[s]];
  }
  constexpr double eps = std::numeric_limits<double>::epsilon();
  double mi = 0;
  if (t.count > 1 && p.count > 1) {
    for (int64_t i = 0; i < t.count; ++i) {
      for (int64_t j = 0; j < p.count; ++j) {
        const int64_t c = cont[i * p.count + j];
        if (c == 0) continue;
        const double term = (c / nd) * (std::log(static_cast<double>(c)) + std::log(nd) -
                                        std::log(static_cast<double>(a[i])) - std::log(static_cast<double>(b[j])));
        if (std::abs(term) >= eps) mi += term;  // sklearn zeroes terms below eps
      }
    }
    mi = std::max(mi, 0.0);
  }
  const double emi = expected_mutual_info(a, b, n);
  double denom = 0.5 * (entropy(a, nd) + entropy(b, nd)) - emi;
  denom = denom < 0 ? std::min(denom, -eps) : std::max(denom, eps);
  return (mi - emi) / denom;
}

double victor_purpura(const std::vector<int64_t>& a, const std::vector<int64_t>& b, double q) {
  check_q(q);
  HNN_CHECK(std::is_sorted(a.begin(), a.end()), "victor_purpura: spike times a must be sorted");
  HNN_CHECK(std::is_sorted(b.begin(), b.end()), "victor_purpura: spike times b must be sorted");
  const auto n = static_cast<int64_t>(a.size()), m = static_cast<int64_t>(b.size());
  if (q == 0) return static_cast<double>(std::abs(n - m));
  std::vector<double> row;
  return vp_dp(a.data(), a.size(), b.data(), b.size(), q, row);
}

at::Tensor victor_purpura_matrix(const at::Tensor& spikes, double q) {
  check_q(q);
  HNN_CHECK(spikes.defined() && spikes.dim() == 2, "victor_purpura_matrix: expected spikes [T, N], got {}",
            shape_of(spikes));
  torch::NoGradGuard no_grad;
  const int64_t n = spikes.size(1);
  // Spike times once per neuron: [N, T] rows of bools, then the indices of the set entries.
  auto on = spikes.detach().to(torch::kCPU).ne(0).t().contiguous();
  const bool* onp = on.data_ptr<bool>();
  const int64_t t_len = on.size(1);
  std::vector<std::vector<int64_t>> times(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < t_len; ++t)
      if (onp[i * t_len + t]) times[i].push_back(t);

  auto out = torch::zeros({n, n}, torch::kDouble);
  double* o = out.data_ptr<double>();
  const int64_t pairs = n * (n - 1) / 2;
  // Pair index -> (i, j > i): row i starts at start(i) = i (n - 1) - i (i - 1) / 2.
  auto start = [n](int64_t i) { return i * (n - 1) - i * (i - 1) / 2; };
  at::parallel_for(0, pairs, /*grain_size=*/16, [&](int64_t begin, int64_t end) {
    int64_t lo = 0, hi = n - 1;  // the last row i with start(i) <= begin
    while (lo < hi) {
      const int64_t mid = (lo + hi + 1) / 2;
      if (start(mid) <= begin) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    int64_t i = lo, j = i + 1 + (begin - start(i));
    std::vector<double> row;
    for (int64_t p = begin; p < end; ++p) {
      const auto& a = times[i];
      const auto& b = times[j];
      const double d = q == 0 ? std::abs(static_cast<double>(a.size()) - static_cast<double>(b.size()))
                              : vp_dp(a.data(), a.size(), b.data(), b.size(), q, row);
      o[i * n + j] = d;
      o[j * n + i] = d;
      if (++j == n) {
        ++i;
        j = i + 1;
      }
    }
  });
  return out;
}

double silhouette_score(const at::Tensor& dist, const at::Tensor& labels) {
  HNN_CHECK(dist.defined() && dist.dim() == 2 && dist.size(0) == dist.size(1),
            "silhouette_score: expected dist [N, N], got {}", shape_of(dist));
  HNN_CHECK(dist.scalar_type() == torch::kFloat || dist.scalar_type() == torch::kDouble,
            "silhouette_score: expected dist float or double, got {}", c10::toString(dist.scalar_type()));
  const auto l = dense_labels(labels, "silhouette_score labels");
  const int64_t n = dist.size(0);
  HNN_CHECK(static_cast<int64_t>(l.ids.size()) == n, "silhouette_score: dist is {}, expected labels [{}], got {}",
            shape_str(dist.sizes()), n, l.ids.size());
  if (l.count < 2) return 0.0;
  torch::NoGradGuard no_grad;
  auto d = dist.detach().to(torch::kCPU, torch::kDouble).contiguous();
  auto onehot = torch::zeros({n, l.count}, torch::kDouble);
  double* oh = onehot.data_ptr<double>();
  std::vector<int64_t> counts(l.count, 0);
  for (int64_t i = 0; i < n; ++i) {
    oh[i * l.count + l.ids[i]] = 1.0;
    ++counts[l.ids[i]];
  }
  auto sums = d.mm(onehot).contiguous();  // [N, C]: summed distance of each sample to each cluster
  const double* s = sums.data_ptr<double>();
  const double* dp = d.data_ptr<double>();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t own = l.ids[i];
    if (counts[own] == 1) continue;  // singleton: s = 0
    const double a = (s[i * l.count + own] - dp[i * n + i]) / static_cast<double>(counts[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (int64_t c = 0; c < l.count; ++c)
      if (c != own) b = std::min(b, s[i * l.count + c] / static_cast<double>(counts[c]));
    const double m = std::max(a, b);
    if (m > 0) total += (b - a) / m;
  }
  return total / static_cast<double>(n);
}

double silhouette_euclidean(const at::Tensor& x, const at::Tensor& labels) {
  HNN_CHECK(x.defined() && x.dim() == 2, "silhouette_euclidean: expected x [N, F], got {}", shape_of(x));
  HNN_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble,
            "silhouette_euclidean: expected x float or double, got {}", c10::toString(x.scalar_type()));
  torch::NoGradGuard no_grad;
  auto xd = x.detach().to(torch::kCPU, torch::kDouble);
  xd = xd - xd.mean(0, /*keepdim=*/true);  // centred: a more accurate expansion below
  auto xx = xd.square().sum(1);
  auto dist = sq_dist(xd, xx, xd).sqrt_();
  dist.fill_diagonal_(0);
  return silhouette_score(dist, labels);
}

}  // namespace hnn::train
