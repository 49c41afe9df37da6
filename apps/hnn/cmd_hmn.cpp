// hnn hmn: the hybrid modulation network (Zhao et al. 2022, meta-continual learning on permuted
// N-MNIST). `hnn hmn data` makes and caches the event frames and the task permutations and
// compares the generated recordings with real N-MNIST. See docs/hmn.md.
#include <fmt/format.h>
#include <torch/torch.h>

#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "hmn_tasks.h"
#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/data/idx.h"
#include "hnn/models/hmn/data.h"
#include "hnn/models/hmn/tasks.h"
#include "hnn/models/hmn/train.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace {

using models::hmn::FrameOptions;
using models::hmn::FrameSet;

bool same_options(const FrameOptions& a, const FrameOptions& b) {
  return a.bins == b.bins && a.bin_us == b.bin_us && a.binary == b.binary && a.sensor == b.sensor;
}

// The cache at path when it holds `n` samples made with `o`, else a new generated set saved there.
FrameSet cached_frames(const HmnData& c, const std::string& dataset, const std::string& split, const FrameOptions& o,
                       const std::string& path) {
  if (!c.force && file_exists(path)) {
    FrameSet s = models::hmn::load_frames(path);
    if (same_options(s.options, o)) {
      fmt::print("{}: cached ({} samples; --force regenerates)\n", path, s.size());
      return s;
    }
  }
  auto images = data::load_digits(dataset, split, split == "t10k" ? c.test_limit : c.train_limit);
  Progress bar(images.size(), fmt::format("{} {}", dataset, split == "t10k" ? "test" : "train"));
  int64_t shown = 0;
  Timer t;
  FrameSet s = models::hmn::generate_frames(images.images, images.labels, o, {}, c.seed, [&](int64_t done) {
    bar.update(done - shown);
    shown = done;
  });
  bar.finish();
  s.source = fmt::format("saccade generator on {} {} ({} images, seed {})", dataset,
                         split == "t10k" ? "test" : "train subset", images.size(), c.seed);
  models::hmn::save_frames(path, s);
  fmt::print("{}: {} samples generated in {:.1f} s\n", path, s.size(), t.seconds());
  return s;
}

std::string stats_row(const std::string& name, const models::hmn::FrameStats& s) {
  std::string bins;
  for (double b : s.events_per_bin) bins += fmt::format("{:.1f} ", b);
  return fmt::format("| {} | {} | {:.1f} ± {:.1f} | {:.3f} | {:.4f} | {}|\n", name, s.samples, s.events_mean,
                     s.events_sd, s.on_fraction, s.active_fraction, bins);
}

}  // namespace

void run_hmn_data(const HmnData& c) {
  FrameOptions o;
  o.bins = c.bins;
  o.bin_us = static_cast<int64_t>(c.bin_ms * 1000 + 0.5);
  o.binary = c.binary;
  HNN_CHECK(o.bin_us > 0, "hmn data: --bin-ms {} is below one microsecond", c.bin_ms);
  make_dirs(c.out_dir);
  std::ostringstream md;
  md << fmt::format("# hnn hmn data ({} bins of {} ms, {}, seed {})\n\n", o.bins, c.bin_ms,
                    o.binary ? "binary" : "counts", c.seed);
  md << "Per sample, in the window [0, " << o.bins * o.bin_us / 1000.0
     << " ms): events (mean ± sd), ON fraction, fraction of nonzero inputs, mean events per bin.\n\n"
     << "| set | samples | events | ON | active | events per bin |\n|---|---|---|---|---|---|\n";
  viz::Panel per_bin;
  per_bin.title = "events per bin";
  per_bin.xlabel = "bin";
  per_bin.ylabel = "events per sample";
  per_bin.legend = "tl";
  auto curve = [&](const std::string& name, const models::hmn::FrameStats& s) {
    viz::Series series{{}, {}, name, viz::Style::LinePoints};
    for (size_t b = 0; b < s.events_per_bin.size(); ++b) {
      series.x.push_back(static_cast<double>(b));
      series.y.push_back(s.events_per_bin[b]);
    }
    per_bin.series.push_back(series);
  };
  for (const auto& d : c.datasets) {
    auto train = cached_frames(c, d, "train", o, fmt::format("{}/{}-train.frames", c.out_dir, d));
    auto test = cached_frames(c, d, "t10k", o, fmt::format("{}/{}-test.frames", c.out_dir, d));
    auto st = models::hmn::frame_stats(train.frames);
    md << stats_row(fmt::format("generated {} train", d), st);
    md << stats_row(fmt::format("generated {} test", d), models::hmn::frame_stats(test.frames));
    if (d == "mnist" && train.size() >= 1000) {
      // The same digits as the real recordings 1-1000 (MNIST training images 0-999).
      auto first = models::hmn::frame_stats(train.frames.slice(0, 0, 1000));
      md << stats_row("generated mnist train 0-999", first);
      curve("generated (MNIST 0-999)", first);
    }
  }
  const std::string real = shared_data_path("nmnist-small");
  if (!real.empty()) {
    auto tr = models::hmn::load_nmnist_frames(real, real + "/train1K.txt", o);
    auto te = models::hmn::load_nmnist_frames(real, real + "/test100.txt", o);
    auto st = models::hmn::frame_stats(tr.frames);
    md << stats_row("real N-MNIST 1-1000", st);
    md << stats_row("real N-MNIST 60001-60100", models::hmn::frame_stats(te.frames));
    curve("real N-MNIST 1-1000", st);
    tr.source = "real N-MNIST recordings 1-1000 (train1K.txt)";
    te.source = "real N-MNIST recordings 60001-60100 (test100.txt)";
    models::hmn::save_frames(c.out_dir + "/nmnist-real-train.frames", tr);
    models::hmn::save_frames(c.out_dir + "/nmnist-real-test.frames", te);
  } else {
    md << "\n(../shared/data/nmnist-small not found: no comparison with real recordings)\n";
  }
  // The tasks.
  models::hmn::TaskOptions to;
  to.count = c.tasks;
  to.continual = std::min(c.continual, c.tasks);
  auto tasks = models::hmn::make_tasks(to, c.seed);
  models::hmn::save_tasks(c.out_dir + "/tasks.bin", tasks);
  const at::Tensor sim = tasks.similarity();
  const auto s = sim.accessor<float, 2>();
  double within = 0, across = 0;
  int64_t nw = 0, na = 0;
  for (int64_t a = 0; a < tasks.size(); ++a)
    for (int64_t b = a + 1; b < tasks.size(); ++b) {
      const double v = s[a][b];
      if (a / to.group == b / to.group)
        within += v, ++nw;
      else
        across += v, ++na;
    }
  md << fmt::format(
      "\nTasks: {} permutations of {} inputs in groups of {} (seed {}); mean similarity within a group {:.3f}, "
      "across groups {:.5f} (1/D = {:.5f}); continual sequence: tasks {}-{}; stage 1: {} tasks.\n",
      tasks.size(), to.dims, to.group, c.seed, nw ? within / nw : 0.0, na ? across / na : 0.0, 1.0 / to.dims,
      tasks.size() - to.continual, tasks.size() - 1, tasks.stage1_tasks().size());
  viz::Panel heat;
  heat.title = "task similarity (first 100 tasks)";
  heat.xlabel = "task";
  heat.ylabel = "task";
  const int64_t shown = std::min<int64_t>(100, tasks.size());
  for (int64_t a = 0; a < shown; ++a) {
    heat.heat.emplace_back();
    for (int64_t b = 0; b < shown; ++b) heat.heat.back().push_back(s[a][b]);
  }
  viz::Figure fig;
  fig.columns = 2;
  fig.width = 1100;
  fig.height = 480;
  fig.panels = {per_bin, heat};
  viz::save_png(fig, c.out_dir + "/data.png");
  write_file_atomically(c.out_dir + "/data.md", md.str());
  fmt::print("\n{}\nwrote {}/data.{{md,png}}, tasks.bin and the frame caches\n", md.str(), c.out_dir);
}

void register_hmn(CLI::App& app, Globals& g) {
  auto* hmn = app.add_subcommand("hmn", "The hybrid modulation network: meta-continual learning on permuted N-MNIST");
  hmn->require_subcommand(1);
  static HmnData dc;
  auto* d = hmn->add_subcommand(
      "data",
      "N-MNIST-like event frames [T, 2, 34, 34] from MNIST / Fashion-MNIST by the saccade generator (the\n"
      "first T bins only), cached in <out>/<dataset>-{train,test}.frames; the real N-MNIST recordings of\n"
      "../shared/data/nmnist-small binned the same way; their statistics side by side (data.md, data.png);\n"
      "and the task permutations (tasks.bin). Cached sets are reused unless --force");
  d->add_option("--datasets", dc.datasets, "mnist (the shared 22,699-image training subset), fashion")
      ->check(CLI::IsMember({"mnist", "fashion"}))
      ->delimiter(',')
      ->capture_default_str();
  d->add_option("--bins", dc.bins, "Time bins T")->check(CLI::Range(1, 1000))->capture_default_str();
  d->add_option("--bin-ms", dc.bin_ms, "Bin width (ms)")->check(CLI::PositiveNumber)->capture_default_str();
  d->add_flag("--binary", dc.binary, "0/1 frames (packed 8 to a byte in the cache) instead of counts");
  d->add_flag("--force", dc.force, "Regenerate cached sets");
  d->add_option("--train-limit", dc.train_limit, "Use only the first N training images (0: all)")
      ->check(non_negative());
  d->add_option("--test-limit", dc.test_limit, "Use only the first N test images (0: all)")->check(non_negative());
  d->add_option("--tasks", dc.tasks, "Task permutations (groups of 4)")->check(positive())->capture_default_str();
  d->add_option("--continual", dc.continual, "The last N tasks form the continual-learning sequence")
      ->check(non_negative())
      ->capture_default_str();
  d->add_option("--out", dc.out_dir, "Output folder (caches, tasks, report)")->capture_default_str();
  d->callback([&g] {
    apply_globals(g);
    dc.seed = g.seed;
    Timer t;
    run_hmn_data(dc);
    fmt::print("total {:.1f} s\n", t.seconds());
  });

  static HmnRun run;
  static bool spiking_backbone = false;
  auto common = [](CLI::App* c) {
    c->add_option("--data", run.data_dir, "The folder 'hnn hmn data' wrote")->capture_default_str();
    c->add_option("--dataset", run.dataset, "mnist or fashion")
        ->check(CLI::IsMember({"mnist", "fashion"}))
        ->capture_default_str();
    c->add_option("--out", run.out_dir, "Output folder (backbone, signals, runs, results, plots)")
        ->capture_default_str();
    c->add_option("--device", run.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
    c->add_option("--channels", run.channels, "C: modulation signals per head = hidden neurons of the branch")
        ->check(positive())
        ->capture_default_str();
    c->add_option("--tasks", run.tasks, "Learn only the first N tasks of the continual sequence (0: all)")
        ->check(non_negative())
        ->capture_default_str();
    c->add_option("--test-samples", run.test_samples, "Test on the first N test recordings of each task (0: all)")
        ->check(non_negative())
        ->capture_default_str();
  };
  auto stage1 = [](CLI::App* c) {
    c->add_option("--hidden", run.hidden, "Backbone hidden width H (D -> H -> H -> heads); 0: the merge variant")
        ->check(non_negative())
        ->capture_default_str();
    c->add_option("--backbone-epochs", run.backbone_epochs, "Stage-1 epochs")->check(positive())->capture_default_str();
    c->add_option("--backbone-batch", run.backbone_batch, "Stage-1 batch size")
        ->check(positive())
        ->capture_default_str();
    c->add_option("--backbone-lr", run.backbone_lr, "Stage-1 SGD learning rate")
        ->check(positive())
        ->capture_default_str();
    c->add_option("--backbone-milestone", run.backbone_milestone, "Stage-1 lr x 0.1 from this epoch")
        ->check(non_negative())
        ->capture_default_str();
    c->add_option("--gate-floor", run.gate_floor,
                  "Stage-1 sparsity floor: the conjugate loss keeps at least this fraction of the gates on")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    c->add_option("--backbone-samples", run.backbone_samples, "Stage-1 training samples (0: all)")
        ->check(non_negative())
        ->capture_default_str();
    c->add_option("--signals-from", run.signals_from,
                  "Task signals from the training inputs, or from the test inputs (as the reference did)")
        ->check(CLI::IsMember({"train", "test"}))
        ->capture_default_str();
    c->add_option("--signal-samples", run.signal_samples, "Samples averaged per task signal (0: all)")
        ->check(non_negative())
        ->capture_default_str();
  };
  auto* b = hmn->add_subcommand(
      "backbone",
      "Stage 1: trains the backbone ANN and its modulation HUs with the conjugate loss (two random stage-1 tasks per\n"
      "batch, no labels), then writes the continual tasks' binary signals (<out>/signals.pt), backbone.md and\n"
      "signals.png (PCA of the signals, their first 128 dimensions)");
  common(b);
  stage1(b);
  b->add_flag("--spiking", spiking_backbone, "The SNN-only ablation's spiking backbone (writes backbone-snn.pt)");
  b->callback([&g] {
    apply_globals(g);
    run.seed = g.seed;
    Timer t;
    run_hmn_backbone(run, spiking_backbone);
    fmt::print("total {:.1f} s\n", t.seconds());
  });
  auto* tr = hmn->add_subcommand(
      "train",
      "Stage 2: learns the continual tasks one after the other with every method (the backbone first when the\n"
      "methods need it and it is not done yet), testing every learned task after every --eval-every tasks;\n"
      "a checkpoint per run at every task boundary (<out>/runs, --resume continues), results.json, accuracy.csv,\n"
      "results.md and curves.png. Methods: hmn, hmn+ewc, plain (one SNN), xdg (random signals), ewc, si,\n"
      "ann-only (an ANN branch), snn-only (signals from a spiking backbone)");
  common(tr);
  stage1(tr);
  tr->add_option("--methods", run.methods, "Methods to run")
      ->delimiter(',')
      ->check(CLI::IsMember(models::hmn::method_names()))
      ->capture_default_str();
  tr->add_option("--seeds", run.seeds, "Runs per method (seeds --seed, --seed + 1, ...)")
      ->check(positive())
      ->capture_default_str();
  tr->add_option("--epochs", run.epochs, "Epochs per task")->check(positive())->capture_default_str();
  tr->add_option("--batch", run.batch, "Batch size")->check(positive())->capture_default_str();
  tr->add_option("--lr", run.lr, "SGD learning rate (one optimiser for the whole sequence)")
      ->check(positive())
      ->capture_default_str();
  tr->add_option("--momentum", run.momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  tr->add_option("--milestone", run.milestone, "lr x 0.1 from this epoch of every task")
      ->check(non_negative())
      ->capture_default_str();
  tr->add_option("--train-samples", run.train_samples, "Training recordings per task (the first N; 0: all)")
      ->check(non_negative())
      ->capture_default_str();
  tr->add_option("--eval-every", run.eval_every, "Test all learned tasks after every N tasks")
      ->check(positive())
      ->capture_default_str();
  tr->add_option("--vt", run.vt, "v_T: the threshold rise of a switched-off neuron")
      ->check(non_negative())
      ->capture_default_str();
  tr->add_flag(
      "--active-only", run.active_only,
      "hmn, hmn+ewc, xdg, ann-only, snn-only: compute and train only the neurons each task's signals switch on;\n"
      "the same result as the whole branch (the rest moves by its momentum and EWC's penalty alone), at the\n"
      "cost of the switched-on part, which makes wide branches (--channels 16384, the reference's) affordable");
  tr->add_option("--dense-channels", run.dense_channels,
                 "plain, ewc, si: the width of their branch, which trains whole every step (0: --channels); with\n"
                 "--active-only, e.g. --channels 4096 --dense-channels 512 gives every method about the same\n"
                 "computation per step")
      ->check(non_negative())
      ->capture_default_str();
  tr->add_option("--xdg-keep", run.xdg_keep, "xdg: fraction of neurons each task keeps")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  tr->add_option("--ewc-lambda", run.ewc_lambda, "ewc, hmn+ewc: penalty strength")
      ->check(non_negative())
      ->capture_default_str();
  tr->add_option("--fisher-samples", run.fisher_samples, "ewc: samples of the Fisher estimate")
      ->check(positive())
      ->capture_default_str();
  tr->add_option("--si-c", run.si_c, "si: penalty strength c")->check(non_negative())->capture_default_str();
  tr->add_flag("--retrain-backbone", run.retrain_backbone, "Train the backbone again even if it is done");
  tr->add_flag("--resume", run.resume, "Continue runs from their checkpoints (finished runs are only reported)");
  tr->callback([&g] {
    apply_globals(g);
    run.seed = g.seed;
    run_hmn_train(run);
  });
  auto* ev = hmn->add_subcommand(
      "eval",
      "Evaluates the runs of 'hnn hmn train': every learned task on the generated test set and on the real\n"
      "N-MNIST recordings, the accuracy on re-shuffled (less similar) tasks with the learned signals (Fig. 3f,\n"
      "similarity.png) and the correlation of hidden activity between tasks for hmn and plain (Fig. 3c/d,\n"
      "correlation.png); eval.md, eval.csv");
  common(ev);
  ev->callback([&g] {
    apply_globals(g);
    run.seed = g.seed;
    Timer t;
    run_hmn_eval(run);
    fmt::print("total {:.1f} s\n", t.seconds());
  });
  static std::string plot_dir = "hmn-run";
  auto* pl = hmn->add_subcommand(
      "plot", "Writes accuracy.csv, results.md and curves.png (Fig. 3i) again from <out>/results.json");
  pl->add_option("--out", plot_dir, "The folder of 'hnn hmn train'")->capture_default_str();
  pl->callback([&g] {
    apply_globals(g);
    run_hmn_plot(plot_dir);
  });
}

}  // namespace hnn::cli
