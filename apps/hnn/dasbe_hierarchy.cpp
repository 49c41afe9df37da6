// `hnn dasbe hierarchy`: Figure 4 of the DASBE paper (the reference's bind_hierarchy.py), binding
// across levels. CLRNet's spiking code (1,600 units, drawn as 40x40) runs inside the loop on a
// shapes image; the pixels are grouped by k-means on their spike timing as always, the active
// code units by k-means on theirs, and each unit population is matched to the pixel group it fires
// with (the correlation of the two mean smoothed trains). Decoding a population's indicator vector
// shows what it stands for: one of the shapes of the scene.
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "dasbe_draw.h"
#include "dasbe_tasks.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/timer.h"
#include "hnn/models/dasbe/data.h"
#include "hnn/models/dasbe/evaluate.h"
#include "hnn/models/dasbe/loop.h"
#include "hnn/models/dasbe/model.h"
#include "hnn/train/clustering.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace dasbe = models::dasbe;
using namespace dasbe_draw;

namespace {

// Pearson correlation of two series (0 when either is constant).
double correlation(const at::Tensor& a, const at::Tensor& b) {
  auto x = a.to(torch::kDouble) - a.to(torch::kDouble).mean(), y = b.to(torch::kDouble) - b.to(torch::kDouble).mean();
  const double d = std::sqrt(x.pow(2).sum().item<double>() * y.pow(2).sum().item<double>());
  return d > 0 ? (x * y).sum().item<double>() / d : 0.0;
}

double iou(const at::Tensor& a, const at::Tensor& b) {
  const double u = a.logical_or(b).sum().item<double>();
  return u > 0 ? a.logical_and(b).sum().item<double>() / u : 0.0;
}

}  // namespace

void run_dasbe_hierarchy(const DasbeRun& r) {
  const std::string path = require_data(r, "shapes");
  auto one = dasbe::read_split(path, "train_multi", r.index, 1);
  auto ae = require_net(r, "clrnet");
  HNN_CHECK(ae->config().spiking, "dasbe hierarchy: {} has no spiking code; train it with 'train --set clrnet'",
            ae->config().describe());
  auto lo = dasbe::loop_preset("clrnet");  // shapes: D 32, R 9
  lo.cycles = r.cycles > 0 ? r.cycles : 30;
  lo.record_cycles = std::min<int64_t>(10, lo.cycles);
  lo.record_code = true;
  lo.seed = r.seed;
  const int64_t H = one.images.size(1), W = one.images.size(2), N = H * W, U = ae->config().code();
  const int64_t side = (int64_t)std::llround(std::sqrt((double)U));
  Timer t;
  auto res = dasbe::run_dasbe(ae, one.images, lo, torch::tensor({r.index}));
  auto trains = res.spikes[0].reshape({-1, N}).to(torch::kFloat);  // [T, N]
  auto code = res.code[0].reshape({-1, U}).to(torch::kFloat);      // [T, U]
  const int64_t T = trains.size(0);

  // Low level: the pixels, read out as in Table I.
  auto groups = one.groups.reshape({N}).to(torch::kLong);
  auto x = one.images.reshape({N});
  const int64_t objects = groups.max().item<int64_t>();
  HNN_CHECK(objects >= 1, "dasbe hierarchy: image {} has no objects", r.index);
  auto px = dasbe::group_pixels(trains, groups, objects + 1, 2, dasbe::readout_seed(r.seed, r.index), r.n_init);
  const int64_t bg = background_cluster(px.labels, x);
  auto smooth_px = dasbe::smooth_trains(trains, 2);

  // High level: the code units that fired, k-means on their smoothed trains into `objects` groups.
  auto active = code.sum(0).gt(0).nonzero().reshape({-1});
  HNN_CHECK(active.numel() >= objects, "dasbe hierarchy: only {} code units fired", active.numel());
  auto smooth_code = dasbe::smooth_trains(code.index_select(1, active), 2);  // [T, A]
  train::KMeansOptions ko;
  ko.k = objects, ko.n_init = r.n_init, ko.seed = dasbe::readout_seed(r.seed, r.index) + 1;
  auto units = train::kmeans(smooth_code.t().contiguous(), ko).labels;  // [A]

  // Each population: the pixel cluster it fires with, and what its indicator vector decodes to.
  struct Population {
    int64_t size = 0, pixel_cluster = -1, object = 0;
    double sync = 0, iou = 0;
    at::Tensor decoded;  // [N]
  };
  std::vector<Population> pops((size_t)objects);
  std::ostringstream md;
  md << "| population | units | fires with pixel cluster | correlation | decodes to object | IoU |\n"
        "|---|---|---|---|---|---|\n";
  for (int64_t p = 0; p < objects; ++p) {
    auto members = active.index_select(0, units.eq(p).nonzero().reshape({-1}));
    auto& P = pops[(size_t)p];
    P.size = members.numel();
    if (P.size == 0) continue;
    auto mean_train = smooth_code.index_select(1, units.eq(p).nonzero().reshape({-1})).mean(1);
    P.sync = -2;
    for (int64_t c = 0; c <= objects; ++c) {
      if (c == bg) continue;
      auto in_c = px.labels.eq(c).nonzero().reshape({-1});
      if (in_c.numel() == 0) continue;
      const double rho = correlation(mean_train, smooth_px.index_select(1, in_c).mean(1));
      if (rho > P.sync) P.sync = rho, P.pixel_cluster = c;
    }
    auto indicator = torch::zeros({1, U});
    indicator.index_fill_(1, members, 1.0f);
    {
      torch::NoGradGuard ng;
      P.decoded = ae->decode(indicator).reshape({N});
    }
    auto on = P.decoded.gt(0.5);
    for (int64_t o = 1; o <= objects; ++o) {
      // The object's pixels and the overlaps (which belong to it and another object).
      const double v = iou(on, groups.eq(o).logical_or(x.gt(0).logical_and(groups.eq(0))));
      if (v > P.iou) P.iou = v, P.object = o;
    }
    md << fmt::format("| P{} | {} | {} | {:.2f} | {} | {:.2f} |\n", p + 1, P.size, P.pixel_cluster, P.sync,
                      P.object ? fmt::format("{}", P.object) : "none", P.iou);
  }
  const double seconds = t.seconds();

  // The picture: input | truth | pixel groups | code units by population (40x40), then each
  // population's decoding. Pixel clusters take the colour of the object they cover most; a
  // population takes the colour of the pixel cluster it fires with.
  auto colour_of = match_clusters(px.labels, groups, bg, objects + 1);
  auto cluster_colour = [&](int64_t c) {
    return c < 0 || c == bg ? cv::Vec3b(200, 200, 200) : group_colour(colour_of[c]);
  };
  auto xa = x.accessor<float, 1>();
  auto ga = groups.accessor<int64_t, 1>();
  auto la = px.labels.accessor<int64_t, 1>();
  std::vector<int64_t> unit_pop((size_t)U, -1);
  for (int64_t i = 0; i < active.numel(); ++i) unit_pop[(size_t)active[i].item<int64_t>()] = units[i].item<int64_t>();
  std::vector<cv::Mat> top = {
      tile("input", H, W, [&](int64_t i) { return xa[i] > 0 ? cv::Vec3b(255, 255, 255) : cv::Vec3b(0, 0, 0); }),
      tile("ground truth", H, W, [&](int64_t i) { return group_colour(ga[i]); }),
      tile(fmt::format("pixel groups, AMI {:.2f}", px.ami), H, W,
           [&](int64_t i) { return xa[i] == 0 || la[i] == bg ? cv::Vec3b(0, 0, 0) : cluster_colour(la[i]); }),
      tile(fmt::format("code units ({}x{})", side, side), side, U / side, [&](int64_t j) {
        const int64_t p = unit_pop[(size_t)j];
        return p < 0 ? cv::Vec3b(40, 40, 40) : cluster_colour(pops[(size_t)p].pixel_cluster);
      })};
  std::vector<cv::Mat> bottom;
  for (int64_t p = 0; p < objects; ++p) {
    const auto& P = pops[(size_t)p];
    if (!P.decoded.defined()) continue;
    auto da = P.decoded.accessor<float, 1>();
    const cv::Vec3b c = cluster_colour(P.pixel_cluster);
    bottom.push_back(tile(fmt::format("P{}: r {:.2f} IoU {:.2f}", p + 1, P.sync, P.iou), H, W, [&](int64_t i) {
      const double v = std::clamp<double>(da[i], 0.0, 1.0);
      return cv::Vec3b((uchar)(c[0] * v), (uchar)(c[1] * v), (uchar)(c[2] * v));
    }));
  }
  while (bottom.size() < top.size()) bottom.push_back(cv::Mat(top[0].size(), CV_8UC3, cv::Scalar(255, 255, 255)));
  while (top.size() < bottom.size()) top.push_back(cv::Mat(top[0].size(), CV_8UC3, cv::Scalar(255, 255, 255)));
  for (auto& m : top) cv::resize(m, m, top[0].size(), 0, 0, cv::INTER_NEAREST);
  for (auto& m : bottom) cv::resize(m, m, top[0].size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat row1, row2, grid;
  cv::hconcat(top, row1);
  cv::hconcat(bottom, row2);
  cv::vconcat(std::vector<cv::Mat>{row1, row2}, grid);
  save_mat(grid, r.out_file);

  // The raster of the last two cycles: pixels by true object, then code units by population.
  const int64_t shown = std::min<int64_t>(T, 2 * lo.delay);
  std::vector<int64_t> order;
  std::vector<std::string> labels;
  for (int64_t o = 1; o <= objects; ++o)
    for (int64_t i = 0; i < N; ++i)
      if (ga[i] == o) order.push_back(i);
  const int64_t n_pix = (int64_t)order.size();
  for (int64_t p = 0; p < objects; ++p)
    for (int64_t i = 0; i < active.numel(); ++i)
      if (units[i].item<int64_t>() == p) order.push_back(N + active[i].item<int64_t>());
  auto both = torch::cat({trains, code}, 1).narrow(0, T - shown, shown);
  auto part = both.index_select(1, torch::tensor(order, torch::kLong));
  auto panel =
      viz::raster_panel(raster_rows(part), fmt::format("last {} steps: {} pixels by object, then {} code units", shown,
                                                       n_pix, (int64_t)order.size() - n_pix));
  panel.xlabel = "step";
  panel.ylabel = "pixels (bottom) | code units by population";
  const std::string stem = png_stem(r.out_file);
  viz::save_png(panel, stem + "-raster.png", 900, 700);
  write_file_atomically(stem + ".md", md.str());
  fmt::print(
      "dasbe hierarchy: shapes image {}, {}, D {} R {}, {} cycles: pixel AMI {:.3f}, {} of {} code units fired "
      "({:.1f} s)\n{}wrote {}, {}-raster.png, {}.md\n",
      r.index, ae->config().describe(), lo.delay, lo.refractory, lo.cycles, px.ami, active.numel(), U, seconds,
      md.str(), r.out_file, stem, stem);
}

}  // namespace hnn::cli
