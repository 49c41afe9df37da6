// `hnn dasbe figure2`: Figure 2 of the DASBE paper (the reference's bind_shapes.py): one image of
// train_multi bound with several seeds, and the analyses that show the binding is carried by spike
// timing: rasters and per-group volleys, synchrony and rate scores per cycle (step_wise_analysis,
// synchrony q = 1/3), the fMRI-like co-activation matrix, each group's autocorrelation (its period)
// and the phase colouring. Per-seed results are averaged where the pixels line up across seeds
// (scores, co-activation, autocorrelation); the spike pictures show the first seed.
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <sstream>

#include "dasbe_draw.h"
#include "dasbe_tasks.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/timer.h"
#include "hnn/io/h5.h"
#include "hnn/models/dasbe/data.h"
#include "hnn/models/dasbe/evaluate.h"
#include "hnn/models/dasbe/loop.h"
#include "hnn/models/dasbe/model.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace dasbe = models::dasbe;

namespace {

constexpr int64_t kBack = 10;        // cycles read out (AMI) and co-activated: the reference's back
constexpr int64_t kShown = 2;        // cycles in the rasters and volley plots
constexpr int64_t kMaxLag = 20;      // the reference's corr_len: lags -19..19
constexpr double kQSync = 1.0 / 3;   // step_wise_analysis's synchrony score
constexpr int64_t kScoreSmooth = 2;  // ... on the trains smoothed as in Figure 3
constexpr int64_t kReadSmooth = 1;   // the AMI read-out of bind_shapes.py (k_means_var, smooth 1)

struct SeedRun {
  uint64_t seed = 0;
  at::Tensor trains;                  // float [C * D, N], all cycles
  std::vector<dasbe::Scores> scores;  // per cycle
  dasbe::Grouping readout;            // the last kBack cycles
  at::Tensor coactivation;            // [n_fg, n_fg], by group, max 1
  at::Tensor autocorrelation;         // [K - 1, 2 kMaxLag - 1]
  double seconds = 0;
};

std::vector<double> values(const at::Tensor& t) {
  auto c = t.to(torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

double mean_of(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x / (double)v.size();
  return m;
}

double sd_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m) / (double)v.size();
  return std::sqrt(s);  // ddof 0, as elsewhere in the DASBE reports
}

// Spikes of steps [first, first + steps) of the foreground pixels, one row per pixel in group
// order, each group in its own colour (the colours of the volley and autocorrelation panels); x
// counts from the window's first step (short tick labels).
viz::Panel raster(const at::Tensor& trains, const at::Tensor& groups, int64_t first, int64_t steps,
                  const std::string& title, const std::string& xlabel) {
  auto order = dasbe::group_order(groups);
  auto row_group = values(groups.reshape({-1}).index_select(0, order));
  auto hits = trains.narrow(0, first, steps).index_select(1, order).nonzero().contiguous();  // [M, 2]: step, row
  const int64_t* hp = hits.data_ptr<int64_t>();
  const int64_t k = groups.max().item<int64_t>();
  std::vector<viz::Series> series(k);
  for (int64_t j = 0; j < k; ++j) series[j] = {{}, {}, "", viz::Style::Points, (int)j};
  for (int64_t m = 0; m < hits.size(0); ++m) {
    const int64_t row = hp[2 * m + 1], g = (int64_t)row_group[row] - 1;
    series[g].x.push_back((double)hp[2 * m]), series[g].y.push_back((double)row);
  }
  viz::Panel p;
  p.title = title;
  p.xlabel = xlabel;
  p.ylabel = "foreground pixel (by true group)";
  p.series = series;
  p.xmin = -0.5, p.xmax = steps - 0.5;
  p.ymin = -0.5, p.ymax = std::max<double>(1, (double)order.numel()) - 0.5;
  p.legend = "none";
  return p;
}

}  // namespace

void run_dasbe_figure2(const DasbeRun& r) {
  HNN_CHECK(!r.seeds.empty(), "dasbe figure2: needs at least one seed (--seeds)");
  const std::string path = require_data(r, r.set);
  auto ae = require_net(r, r.set);
  const int64_t available = io::H5Reader(path).shape("train_multi/default").at(0);
  HNN_CHECK(available > 0, "dasbe figure2: {} has no images in train_multi", path);
  int64_t index = r.index;
  if (index < 0) {  // the reference: randint(0, 6000)
    auto gen = at::detail::createCPUGenerator(r.seed);
    index = torch::randint(std::min<int64_t>(6000, available), {1}, gen).item<int64_t>();
  }
  HNN_CHECK(index < available, "dasbe figure2: --index {} but {} has {} images in train_multi", index, path, available);
  auto one = dasbe::read_split(path, "train_multi", index, 1);
  const int64_t H = one.images.size(1), W = one.images.size(2), N = H * W;
  auto groups = one.groups.reshape({N}).to(torch::kLong);
  const int64_t K = groups.max().item<int64_t>() + 1;  // objects + background
  HNN_CHECK(K >= 2, "dasbe figure2: image {} of {} has no labelled object", index, path);

  auto lo = dasbe::loop_preset(r.set);
  lo.cycles = r.cycles > 0 ? r.cycles : 30;
  lo.record_cycles = 0;
  const int64_t C = lo.cycles, D = lo.delay, back = std::min(kBack, C), shown = std::min(kShown, C);
  auto sizes = values(dasbe::group_spike_counts(one.images.reshape({1, N}), groups));  // pixels per group
  std::string size_list;
  for (int64_t k = 1; k < K; ++k) size_list += fmt::format("{}{}", k > 1 ? ", " : "", (int64_t)sizes[k - 1]);
  fmt::print("dasbe figure2: {} image {} ({}x{}, {} objects of {} pixels), D = {}, R = {}, {} cycles, seeds {}\n",
             r.set, index, H, W, K - 1, size_list, D, lo.refractory, C, fmt::join(r.seeds, ","));

  std::vector<SeedRun> runs;
  Timer total;
  for (uint64_t seed : r.seeds) {
    Timer t;
    SeedRun s;
    s.seed = seed;
    lo.seed = seed;
    auto res = dasbe::run_dasbe(ae, one.images, lo, torch::tensor({index}));
    s.trains = res.spikes.select(0, 0).reshape({C * D, N}).to(torch::kFloat);
    const uint64_t kseed = dasbe::readout_seed(seed, index);
    for (int64_t c = 0; c < C; ++c)
      s.scores.push_back(dasbe::syn_rate_scores(s.trains.narrow(0, c * D, D), groups, kQSync, kScoreSmooth, kseed));
    auto last = s.trains.narrow(0, (C - back) * D, back * D);
    s.readout = dasbe::group_pixels(last, groups, K, kReadSmooth, kseed);
    s.coactivation = dasbe::coactivation_by_group(dasbe::coactivation_matrix(last), groups);
    s.autocorrelation = dasbe::group_autocorrelation(s.trains, groups, kMaxLag);
    s.seconds = t.seconds();
    fmt::print("seed {}: AMI {:.3f} (last {} cycles); cycle {}: synchrony {:.3f}, rate {:.3f}; {:.1f} s\n", seed,
               s.readout.ami, back, C, s.scores.back().synchrony, s.scores.back().rate, s.seconds);
    runs.push_back(std::move(s));
  }
  const auto n_seeds = (int64_t)runs.size();

  // Means over seeds: scores per cycle, the co-activation, the autocorrelations and their period.
  std::ostringstream csv;
  csv << "cycle,synchrony,synchrony_sd,rate,rate_sd,clustering,clustering_sd,ami,ami_sd\n";
  viz::Series syn_mean{{}, {}, "synchrony (q = 1/3)", viz::Style::LinePoints, 0};
  viz::Series rate_mean{{}, {}, "rate (q = 0)", viz::Style::LinePoints, 1};
  viz::Series per_seed{{}, {}, "", viz::Style::Points, 7};
  for (int64_t c = 0; c < C; ++c) {
    std::vector<double> sy, ra, cl, am;
    for (const auto& s : runs) {
      const auto& sc = s.scores[c];
      sy.push_back(sc.synchrony), ra.push_back(sc.rate), cl.push_back(sc.clustering), am.push_back(sc.ami);
      for (double v : {sc.synchrony, sc.rate}) per_seed.x.push_back((double)(c + 1)), per_seed.y.push_back(v);
    }
    csv << fmt::format("{},{:.5f},{:.5f},{:.5f},{:.5f},{:.5f},{:.5f},{:.5f},{:.5f}\n", c + 1, mean_of(sy), sd_of(sy),
                       mean_of(ra), sd_of(ra), mean_of(cl), sd_of(cl), mean_of(am), sd_of(am));
    syn_mean.x.push_back((double)(c + 1)), syn_mean.y.push_back(mean_of(sy));
    rate_mean.x.push_back((double)(c + 1)), rate_mean.y.push_back(mean_of(ra));
  }
  auto coact = torch::zeros_like(runs[0].coactivation), acf = torch::zeros_like(runs[0].autocorrelation);
  std::vector<double> amis;
  for (const auto& s : runs) {
    coact += s.coactivation / (double)n_seeds, acf += s.autocorrelation / (double)n_seeds;
    amis.push_back(s.readout.ami);
  }
  // The period: the first peak of the mean over the groups that fired.
  auto fired = acf.abs().sum(1).gt(0);
  const int64_t period =
      fired.any().item<bool>() ? dasbe::first_peak_lag(acf.index_select(0, fired.nonzero().reshape({-1})).mean(0)) : 0;
  // The volleys are locked to the delay line: m per cycle, so the phase period is D / m.
  const int64_t volleys = period > 0 ? std::max<int64_t>(1, (int64_t)std::llround((double)D / (double)period)) : 1;
  const double phase_period = (double)D / (double)volleys;

  // The picture: rasters and volleys of the first seed, the means over seeds.
  const SeedRun& s0 = runs[0];
  const std::string seed0 = fmt::format("seed {}", s0.seed);
  auto steps_of = [&](int64_t c0) {
    return shown > 1 ? fmt::format("step in cycles {}-{}", c0 + 1, c0 + shown)
                     : fmt::format("step in cycle {}", c0 + 1);
  };
  const std::string last_steps = steps_of(C - shown);
  auto first =
      raster(s0.trains, groups, 0, shown * D, fmt::format("(a) first {} cycles, {}", shown, seed0), steps_of(0));
  auto lastr = raster(s0.trains, groups, (C - shown) * D, shown * D,
                      fmt::format("(b) last {} cycles, {}", shown, seed0), last_steps);
  // A legend per object while it fits (bars has 12 objects: the colours then follow the rasters).
  const bool legends = K - 1 <= 6;
  viz::Panel counts;
  counts.title = fmt::format("(c) spikes per step, {}", seed0);
  counts.xlabel = last_steps;
  counts.ylabel = "spikes";
  auto volley = dasbe::group_spike_counts(s0.trains.narrow(0, (C - shown) * D, shown * D), groups);  // [shown D, K-1]
  for (int64_t k = 1; k < K; ++k) {
    viz::Series ser{{}, values(volley.select(1, k - 1)), fmt::format("object {}", k), viz::Style::Line, (int)(k - 1)};
    for (int64_t t = 0; t < shown * D; ++t) ser.x.push_back((double)t);
    counts.series.push_back(ser);
  }
  counts.xmin = -0.5, counts.xmax = (double)(shown * D) - 0.5;
  counts.ymin = 0, counts.ymax = (legends ? 1.5 : 1.05) * std::max(1.0, volley.max().item<double>());
  if (!legends) counts.legend = "none";

  viz::Panel scores;
  scores.title = fmt::format("(d) scores, mean of {} seeds", n_seeds);
  scores.xlabel = "cycle";
  scores.ylabel = "Victor-Purpura silhouette";
  scores.series = {per_seed, syn_mean, rate_mean};
  scores.xmin = 0.5, scores.xmax = (double)C + 0.5, scores.ymin = -1.5, scores.ymax = 1.1;
  scores.legend = "br";

  viz::Panel heat;
  heat.title = fmt::format("(e) co-activation, {} cycles", back);
  heat.xlabel = heat.ylabel = "foreground pixel (by true group)";
  const int64_t n_fg = coact.size(0);
  auto cells = values(coact);
  for (int64_t i = 0; i < n_fg; ++i) heat.heat.emplace_back(cells.begin() + i * n_fg, cells.begin() + (i + 1) * n_fg);

  viz::Panel corr;
  corr.title = period > 0 ? fmt::format("(f) autocorrelation: period {}", period) : "(f) autocorrelation: no period";
  corr.xlabel = "lag (steps)";
  corr.ylabel = "normalised autocorrelation";
  for (int64_t k = 1; k < K; ++k) {
    const int64_t pk = dasbe::first_peak_lag(acf[k - 1]);
    viz::Series ser{{},
                    values(acf[k - 1]),
                    pk > 0 ? fmt::format("object {}: peak {}", k, pk) : fmt::format("object {}", k),
                    viz::Style::Line,
                    (int)(k - 1)};
    for (int64_t i = -(kMaxLag - 1); i < kMaxLag; ++i) ser.x.push_back((double)i);
    corr.series.push_back(ser);
  }
  corr.ymin = 0, corr.ymax = legends ? 1.6 : 1.05;
  if (!legends) corr.legend = "none";

  viz::Figure fig;
  fig.columns = 3, fig.width = 1500, fig.height = 1000;
  fig.panels = {first, lastr, counts, scores, heat, corr};
  make_dirs(std::filesystem::path(r.out_file).parent_path().string());
  viz::save_png(fig, r.out_file);

  // input | truth | read-out | phase, one row per seed.
  const std::string stem = dasbe_draw::png_stem(r.out_file);
  std::vector<cv::Mat> rows;
  for (const auto& s : runs)
    rows.push_back(dasbe_draw::binding_tiles(one.images.reshape({N}), groups, s.readout.labels,
                                             s.trains.narrow(0, (C - back) * D, back * D), phase_period, H, W,
                                             fmt::format("seed {}: AMI {:.3f}", s.seed, s.readout.ami)));
  cv::Mat picture;
  cv::vconcat(rows, picture);
  dasbe_draw::save_mat(picture, stem + "-phase.png");
  write_file_atomically(stem + ".csv", csv.str());

  fmt::print(
      "mean of {} seeds: AMI {:.3f} ± {:.3f} (last {} cycles); cycle {}: synchrony {:.3f}, rate {:.3f}; period {} "
      "steps ({} volleys per cycle)\n",
      n_seeds, mean_of(amis), sd_of(amis), back, C, syn_mean.y.back(), rate_mean.y.back(), period, volleys);
  fmt::print("wrote {}, {}-phase.png, {}.csv in {:.1f} s\n", r.out_file, stem, stem, total.seconds());
}

}  // namespace hnn::cli
