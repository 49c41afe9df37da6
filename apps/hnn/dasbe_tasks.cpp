#include "dasbe_tasks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "dasbe_draw.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/io/h5.h"
#include "hnn/models/dasbe/data.h"
#include "hnn/models/dasbe/evaluate.h"
#include "hnn/models/dasbe/loop.h"
#include "hnn/models/dasbe/train.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace dasbe = models::dasbe;
using namespace dasbe_draw;

std::string data_file(const DasbeRun& r, const std::string& set) {
  return r.data_dir + "/" + dasbe::dataset_info(set).file;
}

std::string require_data(const DasbeRun& r, const std::string& set) {
  const std::string path = data_file(r, set);
  HNN_CHECK(file_exists(path), "dasbe: {} not found (make it with 'hnn dasbe data --set {} --out {}')", path, set,
            r.data_dir);
  return path;
}

std::string net_file(const DasbeRun& r, const std::string& set) {
  return r.nets_dir + "/" + set + ".pt";
}

dasbe::Autoencoder require_net(const DasbeRun& r, const std::string& set) {
  const std::string path = net_file(r, set);
  HNN_CHECK(file_exists(path), "dasbe: {} not found (train it with 'hnn dasbe train --set {} --nets {}')", path, set,
            r.nets_dir);
  return dasbe::load_autoencoder(path);
}

namespace {

// The paper's Table I (images/table.png), for the report beside the measured values.
const std::map<std::string, std::array<const char*, 3>> kPaper = {
    {"bars", {"96.5 ± 0.03", "9.6 ± 0.04", "9.3 ± 0.04"}},
    {"shapes", {"90.2 ± 0.07", "47.5 ± 0.04", "44.7 ± 0.15"}},
    {"corners", {"80.6 ± 0.08", "54.2 ± 0.15", "28.5 ± 0.08"}},
    {"multi_mnist", {"55.5 ± 0.06", "43.0 ± 0.08", "23.0 ± 0.11"}},
    {"mnist_shape", {"53.3 ± 0.26", "38.3 ± 0.03", "12.9 ± 0.08"}},
};

dasbe::EvalOptions eval_options(const DasbeRun& r, const std::string& set, const std::string& method) {
  dasbe::EvalOptions e;
  e.method = dasbe::parse_method(method);
  e.loop = dasbe::loop_preset(set);
  if (r.cycles > 0) e.loop.cycles = r.cycles;
  e.loop.record_cycles = std::min<int64_t>(10, e.loop.cycles);
  e.pcnn = dasbe::pcnn_preset(set);
  e.batch = r.loop_batch;
  e.n_init = r.n_init;
  return e;
}

struct BindResult {
  double ami = 0;
  double seconds = 0;
};

// Runs `method` on one image of train_multi and draws input | truth | prediction | phase.
BindResult bind_picture(const dasbe::Autoencoder* ae, const dasbe::LabeledImages& one, const std::string& set,
                        const DasbeRun& r, const std::string& png) {
  const int64_t H = one.images.size(1), W = one.images.size(2), N = H * W;
  auto e = eval_options(r, set, r.method);
  e.seed = r.seed;
  Timer t;
  at::Tensor trains;  // [T, N]
  int64_t period = 0;
  if (e.method == dasbe::Method::Pcnn) {
    auto po = e.pcnn;
    po.seed = r.seed;
    trains = dasbe::run_pcnn(one.images, po, torch::tensor({r.index})).select(0, 0).to(torch::kFloat);
  } else {
    auto lo = e.loop;
    lo.seed = r.seed;
    auto res = e.method == dasbe::Method::Dasbe ? dasbe::run_dasbe(*ae, one.images, lo, torch::tensor({r.index}))
                                                : dasbe::run_pure_ann(*ae, one.images, lo, torch::tensor({r.index}));
    trains = res.spikes.select(0, 0).reshape({-1, N}).to(torch::kFloat);
    period = lo.delay;
  }
  auto groups = one.groups.reshape({N});
  const int64_t k = groups.max().item<int64_t>() + 1;
  auto g = dasbe::group_pixels(trains, groups, k, e.smooth, dasbe::readout_seed(r.seed, r.index), e.n_init);
  BindResult br{g.ami, t.seconds()};

  auto gt = groups.to(torch::kLong);
  const int64_t T = trains.size(0), P = period > 0 ? period : T;
  save_mat(binding_tiles(one.images.reshape({N}), gt, g.labels, trains, (double)P, H, W,
                         fmt::format("{} AMI {:.3f}", r.method, g.ami)),
           png);

  // The raster of the last two periods, pixels sorted by their true group.
  auto fg = gt.ne(0).nonzero().reshape({-1});
  auto order = std::get<1>(gt.index_select(0, fg).sort(0, true));
  auto pix = fg.index_select(0, order);
  const int64_t shown = std::min<int64_t>(T, 2 * P);
  auto part = trains.narrow(0, T - shown, shown).index_select(1, pix);
  auto panel = viz::raster_panel(
      raster_rows(part), fmt::format("{}: the last {} steps, foreground pixels by true group", r.method, shown));
  panel.xlabel = "step";
  panel.ylabel = "pixel (sorted by group)";
  viz::save_png(panel, png_stem(png) + "-raster.png", 900, 600);
  return br;
}

std::string mean_sd(const std::vector<double>& v, double* mean_out = nullptr, double* sd_out = nullptr) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= (double)std::max<size_t>(1, v.size());
  for (double x : v) s += (x - m) * (x - m);
  s = std::sqrt(s / (double)std::max<size_t>(1, v.size()));  // ddof 0, as the reference
  if (mean_out) *mean_out = m;
  if (sd_out) *sd_out = s;
  return fmt::format("{:.1f} ± {:.2f}", 100 * m, 100 * s);
}

}  // namespace

void run_dasbe_data(const DasbeRun& r) {
  std::vector<std::string> sets;
  if (r.set == "all") {
    for (const auto& d : dasbe::datasets()) sets.push_back(d.name);
  } else {
    sets = {r.set};
  }
  make_dirs(r.data_dir);
  for (const auto& s : sets) {
    dasbe::DataOptions o;
    o.scale = r.scale;
    o.seed = r.seed;
    std::unique_ptr<Progress> bar;
    std::string current;
    int64_t shown = 0;
    o.progress = [&](const std::string& split, int64_t done, int64_t total) {
      if (split != current) {
        if (bar) bar->finish();
        bar = std::make_unique<Progress>(total, s + " " + split, "img");
        current = split, shown = 0;
      }
      bar->update(done - shown);
      shown = done;
    };
    Timer t;
    const std::string path = data_file(r, s);
    dasbe::generate_dataset(s, path, o);
    if (bar) bar->finish();
    fmt::print("{}: {} written in {:.1f} s\n", s, path, t.seconds());
  }
}

void run_dasbe_train(const DasbeRun& r) {
  // CLRNet learns from the shapes' single-class splits, the RBAE from videos of single moving
  // shapes; the others from their set's train_single.
  const bool clrnet = r.set == "clrnet", rbae = r.set == "rbae";
  const std::string path = require_data(r, clrnet ? "shapes" : rbae ? "moving_shapes_large" : r.set);
  std::vector<at::Tensor> classes;
  at::Tensor images;
  if (clrnet) {
    for (int c = 0; c < 3; ++c) {
      auto x = dasbe::read_split(path, fmt::format("train_single_{}", c)).images;
      if (r.limit > 0 && r.limit < x.size(0)) x = x.narrow(0, 0, r.limit);
      classes.push_back(x);
    }
    images = classes[0];
  } else {
    images = dasbe::read_split(path, "train_single").images;
    if (r.limit > 0 && r.limit < images.size(0)) images = images.narrow(0, 0, r.limit);
  }
  auto cfg = dasbe::preset_config(r.set);
  auto opt = dasbe::train_recipe(r.set);
  if (r.epochs > 0) opt.epochs = r.epochs;
  if (r.batch > 0) opt.batch = r.batch;
  if (r.lr > 0) opt.lr = r.lr;
  if (r.patience >= 0) opt.patience = r.patience;
  opt.max_batches = r.steps;
  make_dirs(r.nets_dir);
  opt.best_checkpoint = net_file(r, r.set);
  opt.checkpoint = r.nets_dir + "/" + r.set + "-last.pt";
  if (r.resume) {
    HNN_CHECK(file_exists(opt.checkpoint), "dasbe train: --resume but {} does not exist", opt.checkpoint);
    opt.resume = opt.checkpoint;
  }
  dasbe::Autoencoder ae(cfg);
  fmt::print(
      "dasbe train {}: {} on {} single-object {} ({} for validation); Adam lr {}, batch {}, pixel drop "
      "[{}, {}], up to {} epochs, patience {}\n",
      r.set, cfg.describe(), images.size(0), rbae ? fmt::format("videos of {} frames", images.size(1)) : "images",
      std::llround(opt.val_fraction * images.size(0)), opt.lr, opt.batch, opt.drop_min, opt.drop_max, opt.epochs,
      opt.patience);
  std::ostringstream csv;
  // The RBAE predicts the next frame (MSE) and validates on clean videos only.
  const std::string loss_name = rbae ? "mse" : "bce";
  csv << fmt::format("epoch,train_{},val_loss,val_clean,lr,best\n", loss_name);
  viz::Series tr{{}, {}, rbae ? "train MSE of the next frame (corrupted input)" : "train BCE (corrupted input)"};
  viz::Series va{
      {}, {}, rbae ? "validation MSE (clean videos, monitored)" : "validation BCE (corrupted input, monitored)"};
  viz::Series vc{{}, {}, "validation BCE (clean input)", viz::Style::Line};
  Timer t;
  auto log = std::make_shared<train::OnEpochEnd>([&](const train::EpochLog& l) {
    // CLRNet: "clean" is the validation BCE part of its loss.
    const double bce = train::metric(l.train, loss_name), val = train::metric(l.val, "loss"),
                 clean = rbae ? val : train::metric(l.val, clrnet ? "bce" : "clean");
    csv << fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{}\n", l.epoch, bce, val, clean, l.lr, l.best ? 1 : 0);
    tr.x.push_back((double)l.epoch), tr.y.push_back(bce);
    va.x.push_back((double)l.epoch), va.y.push_back(val);
    vc.x.push_back((double)l.epoch), vc.y.push_back(clean);
    if (l.epoch == 1 || l.epoch % 10 == 0 || l.epoch == l.epochs || rbae)
      fmt::print("epoch {}/{}: train {} {:.4f} | val {:.4f}{} (clean {:.4f}) | lr {:.3g} | {:.1f} s\n", l.epoch,
                 l.epochs, loss_name, bce, val, l.best ? " (best)" : "", clean, l.lr, t.seconds());
  });
  auto fit = clrnet ? dasbe::train_clrnet(ae, classes, opt, {log})
             : rbae ? dasbe::train_rbae(ae, images, opt, {log})
                    : dasbe::train_autoencoder(ae, images, opt, {log});
  write_file_atomically(r.nets_dir + "/" + r.set + "-train.csv", csv.str());
  viz::Panel p;
  p.title = fmt::format("{} autoencoder {}", r.set, cfg.describe());
  p.xlabel = "epoch";
  p.ylabel = rbae ? "mean squared error" : "binary cross-entropy";
  p.log_y = true;
  p.series = {tr, va};
  if (!rbae) p.series.push_back(vc);
  viz::save_png(p, r.nets_dir + "/" + r.set + "-train.png", 900, 500);
  fmt::print("best epoch {} (validation {} {:.4f}){}; {} kept, last epoch in {}; {:.1f} s\n", fit.best_epoch,
             rbae ? "MSE" : "BCE", fit.best_value, fit.stopped_early ? ", stopped early" : "", opt.best_checkpoint,
             opt.checkpoint, t.seconds());
}

void run_dasbe_table(const DasbeRun& r) {
  HNN_CHECK(r.images > 0 && !r.seeds.empty() && !r.sets.empty() && !r.methods.empty(),
            "dasbe table: needs --images > 0 and at least one set, method and seed");
  make_dirs(r.out_dir);
  std::ostringstream md, csv, per_image;
  md << fmt::format(
      "# Table I (AMI x 100, mean ± sd over {} seeds of the per-seed mean over {} images of "
      "train_multi from index {})\n\n",
      r.seeds.size(), r.images, r.first);
  md << "| dataset | method | measured | paper | seconds |\n|---|---|---|---|---|\n";
  csv << "dataset,method,images,seeds,mean,sd,seconds";
  for (auto s : r.seeds) csv << ",seed_" << s;
  csv << "\n";
  per_image << "dataset,method,seed,index,ami\n";
  Timer total;
  for (const auto& set : r.sets) {
    const std::string path = require_data(r, set);
    auto data = dasbe::read_split(path, "train_multi", r.first, r.images);
    const int64_t n = data.size();
    auto ids = torch::arange(r.first, r.first + n, torch::kLong);
    std::unique_ptr<dasbe::Autoencoder> ae;
    for (const auto& m : r.methods) {
      auto e = eval_options(r, set, m);
      if (e.method != dasbe::Method::Pcnn && !ae) ae = std::make_unique<dasbe::Autoencoder>(require_net(r, set));
      std::vector<double> means;
      Timer t;
      for (auto seed : r.seeds) {
        e.seed = seed;
        Progress bar(n, fmt::format("{} {} seed {}", set, m, seed), "img");
        int64_t shown = 0;
        auto ami = dasbe::evaluate_images(ae ? ae.get() : nullptr, data.images, data.groups, e, ids,
                                          [&](int64_t done, int64_t) {
                                            bar.update(done - shown);
                                            shown = done;
                                          });
        bar.finish();
        double mean = 0;
        for (size_t i = 0; i < ami.size(); ++i) {
          mean += ami[i];
          per_image << fmt::format("{},{},{},{},{:.6f}\n", set, m, seed, r.first + (int64_t)i, ami[i]);
        }
        means.push_back(mean / (double)ami.size());
        fmt::print("{} {} seed {}: mean AMI {:.4f} over {} images\n", set, m, seed, means.back(), n);
      }
      double mu = 0, sd = 0;
      const std::string cell = mean_sd(means, &mu, &sd);
      const int col = m == "dasbe" ? 0 : (m == "pcnn" ? 2 : 1);
      const std::string paper = kPaper.count(set) ? kPaper.at(set)[col] : "";
      md << fmt::format("| {} | {} | {} | {} | {:.0f} |\n", set, m, cell, paper, t.seconds());
      csv << fmt::format("{},{},{},{},{:.6f},{:.6f},{:.1f}", set, m, n, r.seeds.size(), mu, sd, t.seconds());
      for (double v : means) csv << fmt::format(",{:.6f}", v);
      csv << "\n";
      fmt::print("== {} {}: {} (paper {}) in {:.1f} s\n", set, m, cell, paper, t.seconds());
      // Partial results survive an interrupted table.
      write_file_atomically(r.out_dir + "/table1.md", md.str());
      write_file_atomically(r.out_dir + "/table1.csv", csv.str());
      write_file_atomically(r.out_dir + "/table1-images.csv", per_image.str());
    }
  }
  md << fmt::format("\nTotal {:.0f} s. The paper's columns: DASBE, pure-ANN, pure-SNN (= the PCNN).\n",
                    total.seconds());
  write_file_atomically(r.out_dir + "/table1.md", md.str());
  fmt::print("\n{}\nwrote {}/table1.{{md,csv}} and table1-images.csv\n", md.str(), r.out_dir);
}

void run_dasbe_scores(const DasbeRun& r) {
  make_dirs(r.out_dir);
  const int64_t cycles = r.cycles > 0 ? r.cycles : 30;
  std::ostringstream csv, md;
  csv << "dataset,image,cycle,synchrony,rate,clustering\n";
  md << fmt::format("# Synchrony and rate scores (Figure 3): {} images per set, {} cycles, seed {}\n\n", r.images,
                    cycles, r.seed);
  md << "| dataset | synchrony (last cycle) | rate (last cycle) | corr(clustering, synchrony) | corr(clustering, "
        "rate) |\n|---|---|---|---|---|\n";
  viz::Panel syn, rate, vs_syn, vs_rate;
  syn.title = "synchrony score (VP q = 1/6)", syn.xlabel = "cycle", syn.legend = "br";
  rate.title = "rate score (VP q = 0)", rate.xlabel = "cycle", rate.legend = "none";
  vs_syn.title = "clustering vs synchrony", vs_syn.xlabel = "synchrony", vs_syn.ylabel = "clustering";
  vs_rate.title = "clustering vs rate", vs_rate.xlabel = "rate", vs_rate.ylabel = "clustering";
  vs_syn.legend = vs_rate.legend = "none";
  auto corr = [](const std::vector<double>& a, const std::vector<double>& b) {
    const double n = (double)a.size();
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
    for (size_t i = 0; i < a.size(); ++i)
      sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
  };
  int colour = 0;
  for (const auto& set : r.sets) {
    const std::string path = require_data(r, set);
    auto ae = require_net(r, set);
    auto lo = dasbe::loop_preset(set);
    lo.cycles = cycles, lo.record_cycles = 0, lo.seed = r.seed;
    // --images random images among the first 6000 (seeded), read once.
    const int64_t avail = std::min<int64_t>(6000, io::H5Reader(path).shape("train_multi/default").at(0));
    HNN_CHECK(r.images <= avail, "dasbe scores: --images {} but {} has only {} images in train_multi", r.images, path,
              avail);
    auto pool = dasbe::read_split(path, "train_multi", 0, avail);
    auto gen = at::detail::createCPUGenerator(r.seed);
    auto pick = torch::randperm(avail, gen).narrow(0, 0, r.images);
    std::vector<std::vector<double>> s_syn(cycles), s_rate(cycles);
    std::vector<double> all_c, all_s, all_r;
    Progress bar(r.images, set + " scores", "img");
    for (int64_t j = 0; j < r.images; ++j) {
      const int64_t idx = pick[j].item<int64_t>();
      dasbe::LabeledImages one{pool.images.narrow(0, idx, 1), pool.groups.narrow(0, idx, 1), {}, {}};
      auto res = dasbe::run_dasbe(ae, one.images, lo, torch::tensor({idx}));
      const int64_t N = one.images.numel();
      auto g = one.groups.reshape({N});
      for (int64_t k = 0; k < cycles; ++k) {
        auto sc = dasbe::syn_rate_scores(res.spikes[0][k].reshape({-1, N}), g, 1.0 / 6, 2, r.seed + (uint64_t)idx);
        s_syn[k].push_back(sc.synchrony), s_rate[k].push_back(sc.rate);
        all_c.push_back(sc.clustering), all_s.push_back(sc.synchrony), all_r.push_back(sc.rate);
        csv << fmt::format("{},{},{},{:.5f},{:.5f},{:.5f}\n", set, idx, k + 1, sc.synchrony, sc.rate, sc.clustering);
      }
      bar.update(1);
    }
    bar.finish();
    viz::Series ms{{}, {}, set, viz::Style::LinePoints, colour}, mr{{}, {}, set, viz::Style::LinePoints, colour};
    for (int64_t k = 0; k < cycles; ++k) {
      double a = 0, b = 0;
      for (double v : s_syn[k]) a += v / (double)s_syn[k].size();
      for (double v : s_rate[k]) b += v / (double)s_rate[k].size();
      ms.x.push_back((double)(k + 1)), ms.y.push_back(a);
      mr.x.push_back((double)(k + 1)), mr.y.push_back(b);
    }
    syn.series.push_back(ms), rate.series.push_back(mr);
    vs_syn.series.push_back({all_s, all_c, set, viz::Style::Points, colour});
    vs_rate.series.push_back({all_r, all_c, set, viz::Style::Points, colour});
    ++colour;
    md << fmt::format("| {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n", set, ms.y.back(), mr.y.back(), corr(all_c, all_s),
                      corr(all_c, all_r));
    write_file_atomically(r.out_dir + "/scores.csv", csv.str());
  }
  viz::Figure fig;
  fig.columns = 2, fig.width = 1200, fig.height = 900;
  fig.panels = {syn, rate, vs_syn, vs_rate};
  viz::save_png(fig, r.out_dir + "/scores.png");
  write_file_atomically(r.out_dir + "/scores.md", md.str());
  fmt::print("\n{}\nwrote {}/scores.{{csv,md,png}}\n", md.str(), r.out_dir);
}

void run_dasbe_bind(const DasbeRun& r) {
  const std::string path = require_data(r, r.set);
  auto one = dasbe::read_split(path, "train_multi", r.index, 1);
  std::unique_ptr<dasbe::Autoencoder> ae;
  if (dasbe::parse_method(r.method) != dasbe::Method::Pcnn)
    ae = std::make_unique<dasbe::Autoencoder>(require_net(r, r.set));
  auto b = bind_picture(ae.get(), one, r.set, r, r.out_file);
  fmt::print("{} image {} by {}: AMI {:.3f} ({:.2f} s); wrote {} and its raster\n", r.set, r.index, r.method, b.ami,
             b.seconds, r.out_file);
}

void run_dasbe_demo(const std::string& dir, uint64_t seed) {
  Timer t;
  DasbeRun r;
  r.set = "bars";
  r.data_dir = dir + "/data";
  r.nets_dir = dir + "/nets";
  r.out_dir = dir;
  r.scale = 1.0;  // the whole bars set is small (130,200 images of 20x20)
  r.seed = 0;
  fmt::print("== 1/3 data: bars (20x20, 12 bars per image; the autoencoder sees single bars only)\n");
  run_dasbe_data(r);
  fmt::print("== 2/3 the bars autoencoder 400-256-400 (the recipe, 150 epochs)\n");
  r.seed = seed;
  r.epochs = 150;
  run_dasbe_train(r);
  fmt::print("== 3/3 binding 100 images by spike timing (DASBE) and by the pure-ANN loop, seed {}\n", seed);
  r.sets = {"bars"};
  r.methods = {"dasbe", "pure-ann"};
  r.seeds = {seed};
  r.images = 100;
  run_dasbe_table(r);
  for (int64_t i : {0, 1, 2}) {
    r.index = i;
    r.method = "dasbe";
    r.out_file = fmt::format("{}/bind-{}.png", dir, i);
    run_dasbe_bind(r);
  }
  fmt::print("demo dasbe: {:.0f} s; pictures {}/bind-{{0,1,2}}.png, table {}/table1.md\n", t.seconds(), dir, dir);
}

void run_dasbe_track(const DasbeRun& r) {
  const std::string path = require_data(r, "moving_shapes_3");
  const std::string split = "train_multi";
  auto video = dasbe::read_split(path, split, r.index, 1);  // [1, F, H, W]
  auto ae = require_net(r, "rbae");
  auto lo = dasbe::loop_preset("moving");
  if (r.cycles > 0) lo.cycles = r.cycles;
  lo.seed = r.seed;
  const int64_t F = video.images.size(1), H = video.images.size(2), W = video.images.size(3), N = H * W;
  fmt::print("dasbe track: {} video {} ({} frames of {}x{}), {}, D {} R {}, {} cycles (one frame each)\n", split,
             r.index, F, H, W, ae->config().describe(), lo.delay, lo.refractory, lo.cycles);
  Timer t;
  Progress bar(lo.cycles, "track", "cycle");
  auto res =
      dasbe::run_dasbe_moving(ae, video.images, lo, torch::tensor({r.index}), [&](int64_t, int64_t) { bar.update(1); });
  bar.finish();
  const double loop_s = t.seconds();

  // Each cycle read out on its own D steps against its frame's labels (k = objects present + 1);
  // clusters matched one to one to the true objects by overlap, so an object keeps its colour.
  const int64_t C = lo.cycles, every = std::max<int64_t>(1, C / 12);
  std::ostringstream csv;
  csv << "cycle,frame,objects,ami\n";
  viz::Series ami_line{{}, {}, "AMI of the cycle's groups", viz::Style::LinePoints};
  std::vector<cv::Mat> top, bottom;
  double ami_sum = 0;
  int64_t ami_n = 0;
  for (int64_t k = 0; k < C; ++k) {
    const int64_t f = std::min(k, F - 1);
    auto x = video.images[0][f].reshape({N});
    auto gt = video.groups[0][f].reshape({N}).to(torch::kLong);
    const int64_t objects = gt.max().item<int64_t>();
    auto trains = res.spikes[0][k].to(torch::kFloat);  // [D, N]
    at::Tensor labels = torch::zeros({N}, torch::kLong);
    double ami = NAN;
    if (objects >= 1) {
      auto g =
          dasbe::group_pixels(trains, gt, objects + 1, 2, dasbe::readout_seed(r.seed, r.index * 1000 + k), r.n_init);
      labels = g.labels, ami = g.ami;
    }
    if (objects >= 2) ami_sum += ami, ++ami_n;  // one object: nothing to separate (AMI 0 or 1)
    csv << fmt::format("{},{},{},{:.6f}\n", k + 1, f, objects, ami);
    if (objects >= 2) ami_line.x.push_back((double)(k + 1)), ami_line.y.push_back(ami);
    if ((k + 1) % every != 0 && k != 0) continue;
    const int64_t bg = background_cluster(labels, x);
    auto colour_of = match_clusters(labels, gt, bg, objects + 1);
    auto xa = x.accessor<float, 1>();
    auto la = labels.accessor<int64_t, 1>();
    auto ga = gt.accessor<int64_t, 1>();
    top.push_back(tile(fmt::format("frame {}", f), H, W, [&](int64_t i) {
      return xa[i] == 0 ? cv::Vec3b(0, 0, 0) : ga[i] == 0 ? cv::Vec3b(255, 255, 255) : group_colour(ga[i]);
    }));
    bottom.push_back(
        tile(objects < 2 ? fmt::format("cycle {}: 1 object", k + 1) : fmt::format("c{} AMI {:.2f}", k + 1, ami), H, W,
             [&](int64_t i) {
               if (xa[i] == 0) return cv::Vec3b(0, 0, 0);
               if (la[i] == bg) return cv::Vec3b(90, 90, 90);
               return group_colour(colour_of[la[i]]);
             }));
  }
  cv::Mat row1, row2, grid;
  cv::hconcat(top, row1);
  cv::hconcat(bottom, row2);
  cv::vconcat(std::vector<cv::Mat>{row1, row2}, grid);
  if (grid.cols > 1800) cv::resize(grid, grid, cv::Size(), 1800.0 / grid.cols, 1800.0 / grid.cols, cv::INTER_AREA);
  const std::string stem = png_stem(r.out_file);
  save_mat(grid, r.out_file);
  write_file_atomically(stem + ".csv", csv.str());
  viz::Panel p;
  p.title = fmt::format("moving shapes, video {}: the groups of each cycle (one frame per cycle)", r.index);
  p.xlabel = "cycle (= frame + 1)";
  p.ylabel = "AMI (cycles with 2 or more objects)";
  p.ymin = -0.1, p.ymax = 1.05;
  p.xmin = 0, p.xmax = (double)C + 1;
  p.series = {ami_line};
  p.legend = "br";
  viz::save_png(p, stem + "-ami.png", 900, 450);
  const double mean = ami_n ? ami_sum / (double)ami_n : NAN;
  fmt::print(
      "mean AMI over the {} cycles with two or more objects: {:.3f}; loop {:.1f} s, total {:.1f} s\n"
      "wrote {} (frames above, groups below, every {} cycles), {}-ami.png, {}.csv\n",
      ami_n, mean, loop_s, t.seconds(), r.out_file, every, stem, stem);
}

}  // namespace hnn::cli
