// The HMN experiments (see hmn_tasks.h and docs/hmn.md).
#include "hmn_tasks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"
#include "hnn/core/progress.h"
#include "hnn/core/seed.h"
#include "hnn/core/timer.h"
#include "hnn/models/hmn/train.h"
#include "hnn/train/checkpoint.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace {

namespace hmn = models::hmn;
using nlohmann::json;

struct Loaded {
  hmn::FrameSet train, test;
  hmn::TaskSet tasks;
  std::vector<int64_t> sequence;  // the tasks learned (the first --tasks of the continual ones)
  std::vector<int64_t> all;       // all continual tasks (their signals are made once for any --tasks)
};

Loaded load_data(const HmnRun& e) {
  Loaded d;
  const std::string train = fmt::format("{}/{}-train.frames", e.data_dir, e.dataset);
  const std::string test = fmt::format("{}/{}-test.frames", e.data_dir, e.dataset);
  const std::string tasks = e.data_dir + "/tasks.bin";
  for (const auto& p : {train, test, tasks})
    HNN_CHECK(file_exists(p), "{} not found: make the data first with 'hnn hmn data --datasets {} --out {}'", p,
              e.dataset, e.data_dir);
  d.train = hmn::load_frames(train);
  d.test = hmn::load_frames(test);
  d.tasks = hmn::load_tasks(tasks);
  d.sequence = d.all = d.tasks.continual_tasks();
  HNN_CHECK(!d.sequence.empty(), "{}: no continual tasks", tasks);
  if (e.tasks > 0 && e.tasks < static_cast<int64_t>(d.sequence.size())) d.sequence.resize(static_cast<size_t>(e.tasks));
  fmt::print("{}: {} training and {} test recordings [{}, 2, {}, {}]; {} continual tasks ({}-{})\n", e.dataset,
             d.train.size(), d.test.size(), d.train.options.bins, d.train.options.sensor, d.train.options.sensor,
             d.sequence.size(), d.sequence.front(), d.sequence.back());
  return d;
}

torch::Device device_of(const HmnRun& e) {
  HNN_CHECK(e.device == "cpu" || e.device == "cuda", "--device must be cpu or cuda, got '{}'", e.device);
  HNN_CHECK(e.device == "cpu" || torch::cuda::is_available(), "--device cuda: no CUDA device is available");
  return torch::Device(e.device == "cuda" ? torch::kCUDA : torch::kCPU);
}

std::string suffix(bool spiking) {
  return spiking ? "-snn" : "";
}

hmn::BackboneConfig backbone_config(const HmnRun& e, const Loaded& d, bool spiking) {
  hmn::BackboneConfig c;
  c.inputs = d.tasks.options.dims;
  c.hidden = e.hidden;
  c.channels = e.channels;
  c.spiking = spiking;
  return c;
}

// What the stored signals were made from; they are reused only when it matches.
std::string signals_key(const HmnRun& e, const Loaded& d, bool spiking) {
  json j = {{"backbone", json::parse(backbone_config(e, d, spiking).to_json())},
            {"dataset", e.dataset},
            {"data", e.data_dir},
            {"epochs", e.backbone_epochs},
            {"batch", e.backbone_batch},
            {"lr", e.backbone_lr},
            {"floor", e.gate_floor},
            {"milestone", e.backbone_milestone},
            {"samples", e.backbone_samples},
            {"signals_from", e.signals_from},
            {"signal_samples", e.signal_samples},
            {"sequence", d.all},
            {"seed", e.seed}};
  return j.dump();
}

// An empty panel with its labels; accuracy panels span [0, 1].
viz::Panel panel(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                 const std::string& legend, bool unit_range) {
  viz::Panel p;
  p.title = title;
  p.xlabel = xlabel;
  p.ylabel = ylabel;
  p.legend = legend;
  if (unit_range) p.ymin = 0, p.ymax = 1;
  return p;
}

// Mean cosine similarity of the signals [K, 2C] of task pairs in one group and across groups.
std::pair<double, double> signal_similarity(const at::Tensor& s, int64_t group) {
  const at::Tensor f = s.reshape({s.size(0), -1}).to(torch::kDouble);
  const at::Tensor n = f.norm(2, 1, true).clamp_min(1e-12);
  const at::Tensor cos = (f / n).mm((f / n).t());
  double within = 0, across = 0;
  int64_t nw = 0, na = 0;
  for (int64_t a = 0; a < s.size(0); ++a)
    for (int64_t b = a + 1; b < s.size(0); ++b) {
      const double v = cos[a][b].item<double>();
      if (a / group == b / group)
        within += v, ++nw;
      else
        across += v, ++na;
    }
  return {nw ? within / nw : NAN, na ? across / na : NAN};
}

// Fig. 3e and 3h: the signals in the plane of their first two principal components, and the first
// 128 dimensions of the first head.
void plot_signals(const at::Tensor& signals, const std::vector<int64_t>& sequence, int64_t group,
                  const std::string& title, const std::string& path) {
  const at::Tensor f = signals.reshape({signals.size(0), -1}).to(torch::kDouble);
  const at::Tensor centred = f - f.mean(0, true);
  auto svd = at::linalg_svd(centred, false);
  const at::Tensor xy = centred.mm(std::get<2>(svd).slice(0, 0, 2).t());  // [K, 2]
  viz::Panel pca = panel(title + ": signals (PCA)", "PC 1", "PC 2", "right", false);
  std::map<int64_t, size_t> series_of;
  for (size_t i = 0; i < sequence.size(); ++i) {
    const int64_t g = sequence[i] / group;
    if (!series_of.count(g)) {
      series_of[g] = pca.series.size();
      pca.series.push_back(viz::Series{{}, {}, fmt::format("group {}", g), viz::Style::Points});
    }
    auto& s = pca.series[series_of[g]];
    s.x.push_back(xy[static_cast<int64_t>(i)][0].item<double>());
    s.y.push_back(xy[static_cast<int64_t>(i)][1].item<double>());
  }
  // Room around the points (the axes otherwise end at the outermost ones).
  const double x0 = xy.select(1, 0).min().item<double>(), x1 = xy.select(1, 0).max().item<double>();
  const double y0 = xy.select(1, 1).min().item<double>(), y1 = xy.select(1, 1).max().item<double>();
  const double px = 0.1 * std::max(x1 - x0, 1e-3), py = 0.1 * std::max(y1 - y0, 1e-3);
  pca.xmin = x0 - px, pca.xmax = x1 + px, pca.ymin = y0 - py, pca.ymax = y1 + py;
  viz::Panel heat = panel("head 1, first 128 signals", "neuron", "task", "none", false);
  const int64_t shown = std::min<int64_t>(128, signals.size(2));
  for (int64_t k = 0; k < signals.size(0); ++k) {
    heat.heat.emplace_back();
    for (int64_t c = 0; c < shown; ++c) heat.heat.back().push_back(signals[k][0][c].item<double>());
  }
  viz::Figure fig;
  fig.columns = 2;
  fig.width = 1300;
  fig.height = 520;
  fig.panels = {pca, heat};
  viz::save_png(fig, path);
}

// Trains the backbone (or finds it done with the same settings) and returns the continual tasks'
// signals [K, 2, C].
at::Tensor ensure_signals(const HmnRun& e, const Loaded& d, bool spiking) {
  const std::string ckpt = fmt::format("{}/backbone{}.pt", e.out_dir, suffix(spiking));
  const std::string sig_path = fmt::format("{}/signals{}.pt", e.out_dir, suffix(spiking));
  const std::string key = signals_key(e, d, spiking);
  if (!e.retrain_backbone && file_exists(sig_path) && file_exists(sig_path + ".json") &&
      read_file(sig_path + ".json") == key) {
    at::Tensor s;
    torch::load(s, sig_path);
    fmt::print("{}: signals of the {} backbone reused (same settings; --retrain-backbone trains again)\n", sig_path,
               spiking ? "spiking" : "ANN");
    return s.slice(0, 0, static_cast<int64_t>(d.sequence.size()));
  }
  HNN_CHECK(e.signals_from == "train" || e.signals_from == "test", "--signals-from must be train or test, got '{}'",
            e.signals_from);
  make_dirs(e.out_dir);
  seed_everything(e.seed);
  const torch::Device dev = device_of(e);
  hmn::Backbone net(backbone_config(e, d, spiking));
  net->to(dev);
  hmn::BackboneOptions o;
  o.epochs = e.backbone_epochs;
  o.batch = e.backbone_batch;
  o.lr = e.backbone_lr;
  o.milestone = e.backbone_milestone;
  o.samples = e.backbone_samples;
  o.loss.floor = e.gate_floor;
  o.seed = e.seed;
  o.checkpoint = ckpt;
  const int64_t n = o.samples > 0 ? std::min(o.samples, d.train.size()) : d.train.size();
  const int64_t batches = std::max<int64_t>(1, n / std::min(o.batch, n));
  fmt::print("stage 1: the {} backbone (hidden {}, C {}) on {} samples x {} epochs, two random stage-1 tasks a batch\n",
             spiking ? "spiking" : "ANN", e.hidden, e.channels, n, o.epochs);
  Timer timer;
  std::unique_ptr<Progress> bar;
  int64_t epoch = 0;
  auto log = hmn::train_backbone(
      net, d.train, d.tasks, o,
      [&] {
        if (!bar) bar = std::make_unique<Progress>(batches, fmt::format("backbone epoch {}/{}", epoch + 1, o.epochs));
        bar->update();
      },
      [&](const hmn::BackboneEpoch& b) {
        if (bar) bar->finish();
        bar.reset();
        ++epoch;
        fmt::print("  epoch {}/{}: conjugate loss {:.4f}, gates on {:.3f}, {:.1f} s\n", b.epoch, b.epochs, b.loss,
                   b.on_fraction, b.seconds);
      });
  const hmn::FrameSet& source = e.signals_from == "test" ? d.test : d.train;
  const at::Tensor signals = hmn::task_signals(net, source, d.tasks, d.all, e.signal_samples);
  write_atomically(sig_path, [&](const std::string& tmp) { torch::save(signals, tmp); });
  write_file_atomically(sig_path + ".json", key);
  const auto [within, across] = signal_similarity(signals, d.tasks.options.group);
  std::ostringstream md;
  md << fmt::format("# hnn hmn backbone ({}, hidden {}, C {}, seed {})\n\n", spiking ? "spiking" : "ANN", e.hidden,
                    e.channels, e.seed);
  md << fmt::format("{} samples, {} epochs, batch {}, SGD lr {} (x 0.1 from epoch {}); {:.0f} s.\n\n", n, o.epochs,
                    o.batch, o.lr, o.milestone, timer.seconds());
  md << "| epoch | conjugate loss | gates on |\n|---|---|---|\n";
  for (const auto& b : log) md << fmt::format("| {} | {:.4f} | {:.3f} |\n", b.epoch, b.loss, b.on_fraction);
  md << fmt::format(
      "\nSignals of the {} continual tasks from {} {} samples: {:.1f} % on; mean cosine similarity within a group "
      "{:.3f}, across groups {:.3f}.\n",
      d.all.size(), e.signal_samples > 0 ? std::min(e.signal_samples, source.size()) : source.size(), e.signals_from,
      100 * signals.mean().item<double>(), within, across);
  write_file_atomically(fmt::format("{}/backbone{}.md", e.out_dir, suffix(spiking)), md.str());
  plot_signals(signals, d.all, d.tasks.options.group, spiking ? "spiking backbone" : "ANN backbone",
               fmt::format("{}/signals{}.png", e.out_dir, suffix(spiking)));
  fmt::print(
      "signals: {:.1f} % on, cosine similarity within groups {:.3f}, across {:.3f}; wrote {} and "
      "{}/signals{}.png\n",
      100 * signals.mean().item<double>(), within, across, sig_path, e.out_dir, suffix(spiking));
  return signals.slice(0, 0, static_cast<int64_t>(d.sequence.size()));
}

// ---- results ---------------------------------------------------------------------------------

struct RunResult {
  std::string method;
  int64_t seed = 0;
  hmn::ContinualLog log;
  json options;
};

std::string results_path(const std::string& out) {
  return out + "/results.json";
}

std::vector<RunResult> read_results(const std::string& out) {
  const std::string path = results_path(out);
  HNN_CHECK(file_exists(path), "{} not found: run 'hnn hmn train --out {}' first", path, out);
  std::vector<RunResult> r;
  try {
    const json all = json::parse(read_file(path));  // kept alive: the loop runs over a part of it
    for (const auto& j : all.at("runs"))
      r.push_back({j.at("method").get<std::string>(), json_integer<int64_t>(j.at("seed"), path + ": seed"),
                   hmn::ContinualLog::from_json(j.at("log").dump()), j.value("options", json::object())});
  } catch (const json::exception& e) {
    fail("{}: {}", path, e.what());
  }
  return r;
}

void write_results(const std::string& out, const std::vector<RunResult>& runs) {
  json all = json::array();
  for (const auto& r : runs)
    all.push_back(
        {{"method", r.method}, {"seed", r.seed}, {"log", json::parse(r.log.to_json())}, {"options", r.options}});
  write_file_atomically(results_path(out), json{{"runs", all}}.dump(1));
  std::ostringstream csv;
  csv << "method,seed,tasks_learned,task_position,task_id,accuracy\n";
  for (const auto& r : runs)
    for (size_t e = 0; e < r.log.accuracy.size(); ++e)
      for (size_t j = 0; j < r.log.accuracy[e].size(); ++j)
        csv << fmt::format("{},{},{},{},{},{:.4f}\n", r.method, r.seed, r.log.evaluated_after[e] + 1, j,
                           r.log.sequence[j], r.log.accuracy[e][j]);
  write_file_atomically(out + "/accuracy.csv", csv.str());
}

std::vector<std::string> methods_in(const std::vector<RunResult>& runs) {
  std::vector<std::string> m;
  for (const auto& r : runs)
    if (std::find(m.begin(), m.end(), r.method) == m.end()) m.push_back(r.method);
  return m;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}
double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// results.md and curves.png (Fig. 3i) from the runs.
void summarise(const std::string& out, const std::vector<RunResult>& runs) {
  std::ostringstream md;
  md << "# hnn hmn train: results\n\n"
     << "Mean test accuracy over the tasks learned so far, at the end of the sequence (mean ± sd over seeds); the "
        "first task's accuracy at the end; time per run.\n\n"
     << "| method | branch | seeds | tasks | mean accuracy at the end | first task at the end | minutes per run |\n"
     << "|---|---|---|---|---|---|---|\n";
  viz::Panel curve =
      panel("mean accuracy over the tasks learned (Fig. 3i)", "tasks learned", "mean test accuracy", "bl", true);
  viz::Panel last =
      panel("accuracy of every task at the end", "task (position in the sequence)", "test accuracy", "right", true);
  int color = 0;
  std::vector<std::string> table_rows;
  for (const auto& m : methods_in(runs)) {
    std::vector<const RunResult*> mine;
    for (const auto& r : runs)
      if (r.method == m && !r.log.accuracy.empty()) mine.push_back(&r);
    if (mine.empty()) continue;
    std::vector<double> final_mean, first, minutes;
    for (const auto* r : mine) {
      final_mean.push_back(r->log.mean_accuracy(r->log.accuracy.size() - 1));
      first.push_back(r->log.accuracy.back().front());
      double s = 0;
      for (double x : r->log.seconds) s += x;
      minutes.push_back(s / 60);
    }
    const json& opt = mine[0]->options;
    const std::string branch = opt.contains("channels")
                                   ? fmt::format("C {}{}", opt.value("channels", int64_t{0}),
                                                 opt.value("active_only", false) ? ", active-only" : "")
                                   : std::string("-");
    md << fmt::format("| {} | {} | {} | {} | {:.3f} ± {:.3f} | {:.3f} | {:.1f} |\n", m, branch, mine.size(),
                      mine[0]->log.train_loss.size(), mean_of(final_mean), sd_of(final_mean), mean_of(first),
                      mean_of(minutes));
    // The curve: evaluation points shared by all seeds of the method.
    viz::Series mean{{}, {}, m, viz::Style::LinePoints, color}, lo{{}, {}, "", viz::Style::Line, color},
        hi{{}, {}, "", viz::Style::Line, color};
    for (size_t e = 0; e < mine[0]->log.evaluated_after.size(); ++e) {
      std::vector<double> v;
      for (const auto* r : mine)
        if (e < r->log.accuracy.size()) v.push_back(r->log.mean_accuracy(e));
      const double x = static_cast<double>(mine[0]->log.evaluated_after[e] + 1);
      mean.x.push_back(x), mean.y.push_back(mean_of(v));
      lo.x.push_back(x), lo.y.push_back(mean_of(v) - sd_of(v));
      hi.x.push_back(x), hi.y.push_back(mean_of(v) + sd_of(v));
      if (e >= table_rows.size()) table_rows.push_back(fmt::format("| {} |", static_cast<int64_t>(x)));
      table_rows[e] += fmt::format(" {:.3f} |", mean_of(v));
    }
    curve.series.push_back(mean);
    if (mine.size() > 1) curve.series.push_back(lo), curve.series.push_back(hi);
    viz::Series tasks{{}, {}, m, viz::Style::LinePoints, color};
    const size_t k = mine[0]->log.accuracy.back().size();
    for (size_t j = 0; j < k; ++j) {
      std::vector<double> v;
      for (const auto* r : mine) v.push_back(r->log.accuracy.back()[j]);
      tasks.x.push_back(static_cast<double>(j + 1)), tasks.y.push_back(mean_of(v));
    }
    last.series.push_back(tasks);
    ++color;
  }
  md << "\nMean accuracy over the learned tasks after each evaluation (mean over seeds):\n\n| tasks learned |";
  for (const auto& m : methods_in(runs)) md << " " << m << " |";
  md << "\n|---|";
  for (size_t i = 0; i < methods_in(runs).size(); ++i) md << "---|";
  md << "\n";
  for (const auto& row : table_rows) md << row << "\n";
  md << "\n![curves](curves.png)\n";
  write_file_atomically(out + "/results.md", md.str());
  viz::Figure fig;
  fig.columns = 2;
  fig.width = 1300;
  fig.height = 520;
  fig.panels = {curve, last};
  viz::save_png(fig, out + "/curves.png");
}

hmn::BranchConfig branch_config(const HmnRun& e, const Loaded& d, hmn::Method m) {
  hmn::BranchConfig c;
  c.inputs = d.tasks.options.dims;
  const bool signals = hmn::uses_backbone(m) || m == hmn::Method::Xdg;
  c.channels = !signals && e.dense_channels > 0 ? e.dense_channels : e.channels;
  c.classes = 10;
  c.vt = e.vt;
  c.spiking = m != hmn::Method::AnnOnly;
  // Only methods with per-task signals have a part to train alone.
  c.active_only = e.active_only && signals;
  return c;
}

std::string run_checkpoint(const std::string& out, const std::string& method, int64_t seed) {
  return fmt::format("{}/runs/{}-s{}.pt", out, method, seed);
}

}  // namespace

void run_hmn_backbone(const HmnRun& e, bool spiking) {
  Loaded d = load_data(e);
  HmnRun f = e;
  f.retrain_backbone = true;
  ensure_signals(f, d, spiking);
}

void run_hmn_train(const HmnRun& e) {
  std::vector<hmn::Method> methods;
  for (const auto& m : e.methods) methods.push_back(hmn::parse_method(m));
  HNN_CHECK(!methods.empty(), "hmn train: no methods");
  HNN_CHECK(e.seeds > 0, "hmn train: --seeds must be positive");
  Loaded d = load_data(e);
  const torch::Device dev = device_of(e);
  make_dirs(e.out_dir + "/runs");
  at::Tensor ann, snn;
  for (auto m : methods) {
    if ((m == hmn::Method::Hmn || m == hmn::Method::HmnEwc || m == hmn::Method::AnnOnly) && !ann.defined())
      ann = ensure_signals(e, d, false);
    if (m == hmn::Method::SnnOnly && !snn.defined()) snn = ensure_signals(e, d, true);
  }
  const auto K = static_cast<int64_t>(d.sequence.size());
  const int64_t n = e.train_samples > 0 ? std::min(e.train_samples, d.train.size()) : d.train.size();
  const int64_t batches = (n + e.batch - 1) / e.batch;
  std::vector<RunResult> runs;
  Timer total;
  for (int64_t s = 0; s < e.seeds; ++s)
    for (auto m : methods) {
      const std::string name = hmn::to_string(m);
      seed_everything(e.seed + static_cast<uint64_t>(s));
      hmn::Branch net(branch_config(e, d, m));
      net->to(dev);
      hmn::ContinualOptions o;
      o.epochs = e.epochs, o.batch = e.batch, o.lr = e.lr, o.momentum = e.momentum, o.milestone = e.milestone;
      o.train_samples = e.train_samples, o.test_samples = e.test_samples, o.eval_every = e.eval_every;
      o.xdg_keep = e.xdg_keep, o.ewc_lambda = e.ewc_lambda, o.fisher_samples = e.fisher_samples, o.si_c = e.si_c;
      o.seed = e.seed + static_cast<uint64_t>(s);
      o.checkpoint = run_checkpoint(e.out_dir, name, s);
      o.resume = e.resume;
      const at::Tensor signals = m == hmn::Method::SnnOnly ? snn : hmn::uses_backbone(m) ? ann : at::Tensor();
      fmt::print("[{} seed {}] {} tasks x {} epochs x {} samples{}\n", name, s, K, e.epochs, n,
                 e.resume && file_exists(o.checkpoint) ? " (resuming)" : "");
      std::unique_ptr<Progress> bar;
      int64_t current = 0;
      auto log = hmn::train_continual(
          net, m, d.train, d.test, d.tasks, d.sequence, signals, o,
          [&] {
            if (!bar)
              bar = std::make_unique<Progress>(e.epochs * batches, fmt::format("{} task {}/{}", name, current + 1, K));
            bar->update();
          },
          [&](int64_t i, const hmn::ContinualLog& l) {
            if (bar) bar->finish();
            bar.reset();
            current = i + 1;
            std::string line = fmt::format("  [{} s{}] task {}/{} (id {}): loss {:.3f}, {:.1f} s", name, s, i + 1, K,
                                           d.sequence[static_cast<size_t>(i)], l.train_loss.back(), l.seconds.back());
            if (!l.evaluated_after.empty() && l.evaluated_after.back() == i)
              line +=
                  fmt::format("; mean accuracy over {} learned: {:.3f}", i + 1, l.mean_accuracy(l.accuracy.size() - 1));
            fmt::print("{}\n", line);
          });
      runs.push_back({name, s, log,
                      json{{"xdg_keep", e.xdg_keep},
                           {"ewc_lambda", e.ewc_lambda},
                           {"si_c", e.si_c},
                           {"seed", o.seed},
                           {"epochs", e.epochs},
                           {"channels", net->config.channels},
                           {"active_only", net->config.active_only},
                           {"train_samples", n}}});
      write_results(e.out_dir, runs);
      summarise(e.out_dir, runs);
    }
  fmt::print("\n{}\nwrote {}/results.{{json,md}}, accuracy.csv, curves.png; checkpoints in {}/runs ({:.1f} min)\n",
             read_file(e.out_dir + "/results.md"), e.out_dir, e.out_dir, total.seconds() / 60);
}

void run_hmn_plot(const std::string& out) {
  const auto runs = read_results(out);
  write_results(out, runs);
  summarise(out, runs);
  fmt::print("wrote {0}/accuracy.csv, {0}/results.md and {0}/curves.png\n", out);
}

void run_hmn_eval(const HmnRun& e) {
  const auto runs = read_results(e.out_dir);
  Loaded d = load_data(e);
  const torch::Device dev = device_of(e);
  // The real recordings (an extra test set).
  hmn::FrameSet real;
  for (const char* split : {"train", "test"}) {
    const std::string p = fmt::format("{}/nmnist-real-{}.frames", e.data_dir, split);
    if (!file_exists(p)) continue;
    auto s = hmn::load_frames(p);
    real.frames = real.frames.defined() ? torch::cat({real.frames, s.frames}) : s.frames;
    real.labels = real.labels.defined() ? torch::cat({real.labels, s.labels}) : s.labels;
    real.options = s.options;
  }
  at::Tensor ann, snn;
  auto load_signals = [&](bool spiking) {
    const std::string p = fmt::format("{}/signals{}.pt", e.out_dir, suffix(spiking));
    HNN_CHECK(file_exists(p), "{} not found (made by 'hnn hmn train' or 'hnn hmn backbone')", p);
    at::Tensor s;
    torch::load(s, p);
    return s;
  };
  const std::vector<double> ratios = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  const int64_t D = d.tasks.options.dims;
  std::ostringstream md, csv;
  md << fmt::format("# hnn hmn eval ({} test samples per task{})\n\n",
                    e.test_samples > 0 ? e.test_samples : d.test.size(),
                    real.size() ? fmt::format("; {} real N-MNIST recordings", real.size()) : "");
  md << "Mean accuracy over the learned tasks: generated test set, real N-MNIST recordings; then with a contiguous "
        "slice of a fraction rho of each task's inputs re-shuffled (similarity to the learned task about 1 - rho; "
        "the task's own signals kept), the paper's Fig. 3f.\n\n| method | seed | generated | real N-MNIST |";
  for (double r : ratios) md << fmt::format(" rho {:.1f} |", r);
  md << "\n|---|---|---|---|";
  for (size_t i = 0; i < ratios.size(); ++i) md << "---|";
  md << "\n";
  csv << "method,seed,rho,similarity,accuracy\n";
  viz::Panel sim = panel("accuracy on less similar (unlearned) tasks (Fig. 3f)", "similarity to the learned task",
                         "mean test accuracy", "tl", true);
  std::vector<viz::Panel> corr;
  for (const auto& r : runs) {
    const hmn::Method m = hmn::parse_method(r.method);
    const std::string ckpt = run_checkpoint(e.out_dir, r.method, r.seed);
    HNN_CHECK(file_exists(ckpt), "{} not found (results.json lists it)", ckpt);
    hmn::Branch net(hmn::BranchConfig::from_json(train::read_checkpoint_config(ckpt)));
    train::load_checkpoint(ckpt, *net, nullptr, train::LoadOptions{false, false, true});
    net->to(dev);
    const auto K = static_cast<int64_t>(r.log.train_loss.size());
    std::vector<int64_t> seq(r.log.sequence.begin(), r.log.sequence.begin() + K);
    at::Tensor sig;
    if (m == hmn::Method::SnnOnly) sig = snn.defined() ? snn : (snn = load_signals(true));
    if (m == hmn::Method::Hmn || m == hmn::Method::HmnEwc || m == hmn::Method::AnnOnly)
      sig = ann.defined() ? ann : (ann = load_signals(false));
    if (m == hmn::Method::Xdg)
      sig = hmn::random_signals(static_cast<int64_t>(r.log.sequence.size()), net->config.channels,
                                r.options.value("xdg_keep", 0.2), r.options.value("seed", e.seed));
    auto task_sig = [&](int64_t i) { return sig.defined() ? sig[i] : at::Tensor(); };
    std::vector<double> gen, rl;
    for (int64_t i = 0; i < K; ++i) {
      gen.push_back(hmn::task_accuracy(net, d.test, d.tasks, seq[static_cast<size_t>(i)], task_sig(i), e.test_samples));
      if (real.size()) rl.push_back(hmn::task_accuracy(net, real, d.tasks, seq[static_cast<size_t>(i)], task_sig(i)));
    }
    md << fmt::format("| {} | {} | {:.3f} | {} |", r.method, r.seed, mean_of(gen),
                      rl.empty() ? std::string("-") : fmt::format("{:.3f}", mean_of(rl)));
    viz::Series series{{}, {}, fmt::format("{} s{}", r.method, r.seed), viz::Style::LinePoints};
    for (size_t ri = 0; ri < ratios.size(); ++ri) {
      const auto p = static_cast<int64_t>(std::floor(ratios[ri] * static_cast<double>(D)));
      std::vector<double> acc, sims;
      for (int64_t i = 0; i < K; ++i) {
        at::Tensor perm = d.tasks.permutations[seq[static_cast<size_t>(i)]].clone();
        if (p > 1) {
          std::mt19937_64 eng(e.seed * 1000003 + static_cast<uint64_t>(ri) * 1009 + static_cast<uint64_t>(i));
          const int64_t start = std::uniform_int_distribution<int64_t>(0, D - p)(eng);
          auto gen_t = at::detail::createCPUGenerator(eng());
          auto slice = perm.slice(0, start, start + p);
          slice.copy_(slice.index_select(0, torch::randperm(p, gen_t, torch::kLong)));
        }
        sims.push_back(
            perm.eq(d.tasks.permutations[seq[static_cast<size_t>(i)]]).to(torch::kDouble).mean().item<double>());
        acc.push_back(hmn::permutation_accuracy(net, d.test, perm, task_sig(i), e.test_samples));
      }
      md << fmt::format(" {:.3f} |", mean_of(acc));
      csv << fmt::format("{},{},{:.1f},{:.4f},{:.4f}\n", r.method, r.seed, ratios[ri], mean_of(sims), mean_of(acc));
      series.x.push_back(mean_of(sims)), series.y.push_back(mean_of(acc));
    }
    md << "\n";
    sim.series.push_back(series);
    if (r.seed == 0 && (m == hmn::Method::Hmn || m == hmn::Method::Plain)) {
      // Fig. 3c/d: correlation between tasks of the second hidden layer's mean activity.
      const at::Tensor h = hmn::hidden_profile(net, d.test, d.tasks, seq, sig.defined() ? sig.slice(0, 0, K) : sig,
                                               e.test_samples > 0 ? std::min<int64_t>(e.test_samples, 1000) : 1000);
      const at::Tensor c = h - h.mean(1, true);
      const at::Tensor nrm = c.norm(2, 1, true).clamp_min(1e-12);
      const at::Tensor cc = (c / nrm).mm((c / nrm).t());
      viz::Panel p = panel(fmt::format("{}: hidden activity, correlation", r.method), "task", "task", "none", false);
      for (int64_t a = 0; a < K; ++a) {
        p.heat.emplace_back();
        for (int64_t b = 0; b < K; ++b) p.heat.back().push_back(cc[a][b].item<double>());
      }
      double off = 0;
      for (int64_t a = 0; a < K; ++a)
        for (int64_t b = 0; b < K; ++b)
          if (a / d.tasks.options.group != b / d.tasks.options.group) off += cc[a][b].item<double>();
      const double pairs = static_cast<double>(K * K) - static_cast<double>(K * d.tasks.options.group);
      p.notes.push_back(fmt::format("mean across groups {:.3f}", pairs > 0 ? off / pairs : NAN));
      corr.push_back(p);
    }
    fmt::print("{} s{}: generated {:.3f}{}\n", r.method, r.seed, mean_of(gen),
               rl.empty() ? std::string() : fmt::format(", real N-MNIST {:.3f}", mean_of(rl)));
  }
  md << "\n![similarity](similarity.png)\n";
  viz::save_png(sim, e.out_dir + "/similarity.png", 900, 600);
  if (!corr.empty()) {
    viz::Figure fig;
    fig.columns = static_cast<int>(corr.size());
    fig.width = 560 * fig.columns;
    fig.height = 520;
    fig.panels = corr;
    viz::save_png(fig, e.out_dir + "/correlation.png");
    md << "\n![correlation](correlation.png)\n";
  }
  write_file_atomically(e.out_dir + "/eval.md", md.str());
  write_file_atomically(e.out_dir + "/eval.csv", csv.str());
  fmt::print("\n{}\nwrote {}/eval.{{md,csv}}, similarity.png{}\n", md.str(), e.out_dir,
             corr.empty() ? "" : ", correlation.png");
}

void run_hmn_demo(const std::string& out_dir, uint64_t seed) {
  HmnData data;
  data.bin_ms = 30;  // the whole recording in 10 bins (docs/hmn.md: 2 ms shows too little)
  data.train_limit = 4000;
  data.test_limit = 1000;
  data.out_dir = out_dir + "/data";
  data.seed = seed;
  run_hmn_data(data);
  HmnRun e;
  e.data_dir = data.out_dir;
  e.out_dir = out_dir;
  e.seed = seed;
  // The CPU preset's networks (docs/hmn.md): a wide branch trained active-only for the methods
  // with signals, a branch of 512 for the plain SNN (about the same computation per step).
  e.hidden = 512;
  e.channels = 4096;
  e.dense_channels = 512;
  e.active_only = true;
  e.backbone_epochs = 30;
  e.backbone_milestone = 25;
  e.gate_floor = 0.1;
  e.signal_samples = 1000;
  e.methods = {"hmn", "hmn+ewc", "plain"};
  e.tasks = 16;
  e.epochs = 5;
  e.milestone = 3;
  e.batch = 50;
  e.lr = 0.02;
  e.ewc_lambda = 100;
  e.train_samples = 2000;
  e.test_samples = 1000;
  e.resume = true;
  run_hmn_train(e);
}

}  // namespace hnn::cli
