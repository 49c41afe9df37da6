// hnn hrn train-hu | robustness | latency | throughput: the learnable collision HU and the
// experiments of the HRN (each writes a table and a PNG).
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include "cli_util.h"
#include "cmd_hrn.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/timer.h"
#include "hnn/models/hrn/collision_hu.h"
#include "hnn/models/hrn/experiments.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace {

using namespace hnn::models::hrn;

std::vector<data::ClevrerScene> keep_split(std::vector<data::ClevrerScene> all, Split s) {
  std::vector<data::ClevrerScene> out;
  for (auto& x : all)
    if (split_of(x.video) == s) out.push_back(std::move(x));
  return out;
}

Split parse_split(const std::string& s) {
  if (s == "train") return Split::Train;
  if (s == "val") return Split::Val;
  return Split::Test;
}

std::string metrics_line(const char* name, const HuMetrics& m) {
  return fmt::format("| {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.2f} | {:.4f} | {} | {} | {} |", name,
                     m.tp + m.fp + m.fn + m.tn, m.precision, m.recall, m.f1, m.frame_error, m.event_recall, m.tp, m.fp,
                     m.fn);
}

struct TrainHuOptions {
  HrnCommon common;
  std::string out = "hrn-hu/hu.pt";
  int64_t limit = 0;
  CollisionHuConfig cfg;
  HuTrainOptions train;
};

void run_train_hu(const TrainHuOptions& o) {
  auto scenes = load_scenes(o.common, 0, o.limit);
  std::vector<data::ClevrerScene> tr, va, te;
  for (auto& s : scenes) {
    Split sp = split_of(s.video);
    (sp == Split::Train ? tr : sp == Split::Val ? va : te).push_back(std::move(s));
  }
  Timer t;
  auto ptr = make_pair_set(tr, o.cfg), pva = make_pair_set(va, o.cfg), pte = make_pair_set(te, o.cfg);
  fmt::print("pairs: train {} ({} videos), validation {} ({}), test {} ({}); features built in {:.1f} s\n", ptr.size(),
             tr.size(), pva.size(), va.size(), pte.size(), te.size(), t.seconds());
  CollisionHu hu(o.cfg);
  int64_t params = 0;
  for (auto& p : hu.net()->parameters()) params += p.numel();
  fmt::print("1-D UNet: {} channels, {} levels, heads {} hidden, {} parameters; Adam lr {}, batch {}, {} epochs\n",
             o.cfg.channels, o.cfg.levels, o.cfg.hidden, params, o.train.lr, o.train.batch, o.train.epochs);
  t.reset();
  HuTrainOptions to = o.train;
  to.callbacks = {std::make_shared<train::ProgressBar>("HU epoch"),
                  std::make_shared<train::OnEpochEnd>([](const train::EpochLog& e) {
                    fmt::print(
                        "epoch {}: loss {:.4f} | validation precision {:.3f} recall {:.3f} F1 {:.3f} frame "
                        "error {:.1f}\n",
                        e.epoch, train::metric(e.train, "loss"), train::metric(e.val, "precision"),
                        train::metric(e.val, "recall"), train::metric(e.val, "f1"),
                        train::metric(e.val, "frame_error"));
                    std::fflush(stdout);
                  })};
  auto hist = hu.train(ptr, pva, to);
  double train_s = t.seconds();
  std::string dir = o.out.find('/') == std::string::npos ? "." : o.out.substr(0, o.out.rfind('/'));
  make_dirs(dir);
  hu.save(o.out);
  auto mtr = hu.evaluate(ptr), mva = hu.evaluate(pva), mte = hu.evaluate(pte);
  std::string table =
      "| split | pairs | precision | recall | F1 | frame error | event recall | TP | FP | FN |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
      metrics_line("train", mtr) + "\n" + metrics_line("validation", mva) + "\n" + metrics_line("test", mte) + "\n";
  std::string note = fmt::format(
      "Collision HU (1-D UNet, {} channels, {} levels, {} parameters), {} epochs in {:.0f} s, threshold 0.5. Pair "
      "level: "
      "a pair collides if it has at least one factual collision; frame error = mean |predicted - true| first-collision "
      "frame over true positives; event recall = share of all collision events whose pair is detected.",
      o.cfg.channels, o.cfg.levels, params, o.train.epochs, train_s);
  std::string prefix = o.out.substr(
      0, o.out.size() > 3 && o.out.compare(o.out.size() - 3, 3, ".pt") == 0 ? o.out.size() - 3 : o.out.size());
  write_file_atomically(prefix + "-metrics.md", "# Collision HU\n\n" + note + "\n\n" + table);
  fmt::print("{}\n{}", note, table);
  viz::Figure fig;
  fig.columns = 2;
  fig.width = 1300;
  fig.height = 520;
  viz::Panel loss, f1;
  loss.title = "training loss (5 CE + MSE)";
  loss.xlabel = f1.xlabel = "epoch";
  f1.title = fmt::format("validation (test: P {:.3f}, R {:.3f}, F1 {:.3f}, frame error {:.1f})", mte.precision,
                         mte.recall, mte.f1, mte.frame_error);
  viz::Series l{{}, {}, "loss", viz::Style::LinePoints, 0}, p{{}, {}, "precision", viz::Style::LinePoints, 0},
      r{{}, {}, "recall", viz::Style::LinePoints, 1}, f{{}, {}, "F1", viz::Style::LinePoints, 2};
  for (size_t e = 0; e < hist.size(); ++e) {
    l.x.push_back(e + 1), l.y.push_back(hist[e].first.loss);
    p.x.push_back(e + 1), p.y.push_back(hist[e].second.precision);
    r.x.push_back(e + 1), r.y.push_back(hist[e].second.recall);
    f.x.push_back(e + 1), f.y.push_back(hist[e].second.f1);
  }
  loss.series = {l};
  f1.series = {p, r, f};
  f1.ymin = 0;
  f1.ymax = 1.3;  // room for the legend above the curves
  fig.panels = {loss, f1};
  viz::save_png(fig, prefix + "-training.png");
  fmt::print("wrote {} (+ .json), {}-metrics.md, {}-training.png\n", o.out, prefix, prefix);
}

struct RobustnessCli {
  HrnCommon common;
  std::string hu, split = "test", out = "hrn-robustness";
  int64_t limit = 0;
  RobustnessOptions r;
};

struct LatencyCli {
  HrnCommon common;
  std::string out = "hrn-latency";
  int64_t limit = 0;
  LatencyOptions l;
};

struct ThroughputCli {
  HrnCommon common;
  std::string out = "hrn-throughput";
  int64_t limit = 1000;
  ThroughputOptions t;
};

}  // namespace

void register_hrn_experiments(CLI::App* hrn, Globals& g) {
  static TrainHuOptions th;
  auto* t = hrn->add_subcommand("train-hu",
                                "Train the learnable collision HU (1-D UNet + MLP heads) on the scenes' "
                                "factual trajectories and collisions (one thread unless --threads)");
  add_scene_options(t, th.common, false);
  t->add_option("--out", th.out, "Checkpoint (.pt; the config goes to .json beside it)")->capture_default_str();
  t->add_option("--limit", th.limit, "Use only the first N scenes (0: all 5,000; split by video id)")
      ->check(non_negative());
  t->add_option("--epochs", th.train.epochs, "Epochs")->check(positive())->capture_default_str();
  t->add_option("--batch", th.train.batch, "Batch size (pairs)")->check(positive())->capture_default_str();
  t->add_option("--lr", th.train.lr, "Adam learning rate (cosine decay)")->check(positive())->capture_default_str();
  t->add_option("--channels", th.cfg.channels, "UNet width of the first level")
      ->check(positive())
      ->capture_default_str();
  t->add_option("--levels", th.cfg.levels, "UNet levels")->check(CLI::Range(1, 3))->capture_default_str();
  t->add_option("--hidden", th.cfg.hidden, "MLP head width")->check(positive())->capture_default_str();
  t->callback([&g] {
    apply_globals(g);
    // Small convolutions: one thread is as fast as several and does not stall when the cores
    // are shared; --threads N overrides.
    if (g.threads == 0) torch::set_num_threads(1);
    run_train_hu(th);
  });

  static RobustnessCli rb;
  auto* r = hrn->add_subcommand("robustness",
                                "Accuracy of the HRN vs the executor (and executor + guessing) as the "
                                "collision HU's threshold is relaxed (paper Fig. 4d)");
  add_scene_options(r, rb.common, true);
  r->add_option("--hu", rb.hu, "Collision HU checkpoint (from train-hu)")->required()->check(CLI::ExistingFile);
  r->add_option("--split", rb.split, "Videos to use: train, val or test (the HU never saw test)")
      ->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  r->add_option("--limit", rb.limit, "Read only the first N scenes of the file before the split (0: all)")
      ->check(non_negative());
  r->add_option("--thresholds", rb.r.thresholds, "HU thresholds to try")->delimiter(',')->capture_default_str();
  r->add_option("--per-template", rb.r.questions.per_template, "Questions per template and video")
      ->check(positive())
      ->capture_default_str();
  r->add_option("--out-dir", rb.out, "Folder for robustness.{md,csv,png}")->capture_default_str();
  r->callback([&g] {
    apply_globals(g);
    auto scenes = keep_split(load_scenes(rb.common, 0, rb.limit), parse_split(rb.split));
    auto hu = CollisionHu::load(rb.hu);
    rb.r.reasoner = reasoner_options(rb.common);
    rb.r.batch = batch_options(rb.common);
    rb.r.seed = g.seed;
    auto rows = run_robustness(scenes, hu, rb.r);
    make_dirs(rb.out);
    std::string note = fmt::format(
        "{} {} videos, questions from the templates answered by the executor on the file's events (the reference). "
        "HRN and executor then see the HU's collisions at each threshold; the executor's 'error' counts as wrong, or "
        "is replaced by a uniform guess over the answer space (expected accuracy).{}",
        scenes.size(), rb.split, rb.common.no_clip ? " No clip." : "");
    write_robustness(rows, rb.out + "/robustness", note);
    fmt::print("{}wrote {}/robustness.{{md,csv,png}}\n", robustness_table(rows), rb.out);
  });

  static LatencyCli la;
  auto* l = hrn->add_subcommand("latency",
                                "Latency per question and network size vs objects and events, one thread "
                                "(paper Fig. 4c)");
  add_scene_options(l, la.common, true);
  l->add_option("--limit", la.limit, "Read only the first N scenes (0: all)")->check(non_negative());
  l->add_option("--per-group", la.l.max_scenes_per_group, "Scenes per object / event count (at most)")
      ->check(positive())
      ->capture_default_str();
  l->add_option("--per-template", la.l.questions.per_template, "Questions per template and video")
      ->check(positive())
      ->capture_default_str();
  l->add_option("--out-dir", la.out, "Folder for latency.{md,csv,png}")->capture_default_str();
  l->callback([&g] {
    apply_globals(g);
    auto scenes = load_scenes(la.common, 0, la.limit);
    la.l.reasoner = reasoner_options(la.common);
    la.l.batch = batch_options(la.common);
    la.l.seed = g.seed;
    torch::set_num_threads(1);
    auto rows = run_latency(scenes, la.l);
    make_dirs(la.out);
    write_latency(rows, la.out + "/latency");
    const LatencyRow *lo = nullptr, *hi = nullptr;
    for (auto& x : rows)
      if (x.by == "objects") {
        if (x.value == 3) lo = &x;
        if (x.value == 8) hi = &x;
      }
    fmt::print("{}", latency_table(rows));
    if (lo && hi)
      fmt::print(
          "from 3 to 8 objects: SNN time steps {:.2f}x, SNN CPU time {:.2f}x, neurons {:.2f}x, executor CPU "
          "time {:.2f}x\n",
          hi->steps / lo->steps, hi->snn_us / lo->snn_us, hi->neurons / lo->neurons, hi->exec_us / lo->exec_us);
    fmt::print("wrote {}/latency.{{md,csv,png}}\n", la.out);
  });

  static ThroughputCli tp;
  auto* p = hrn->add_subcommand("throughput",
                                "Questions per second on one CPU core, batched (network build, "
                                "translation, dynamics and read-out)");
  add_scene_options(p, tp.common, true);  // --engine is ignored here: see --engines
  p->add_option("--limit", tp.limit, "Scenes to answer questions on")->check(positive())->capture_default_str();
  p->add_option("--engines", tp.t.engines, "Engines to time (sparse, dense)")
      ->delimiter(',')
      ->check(CLI::IsMember({"sparse", "dense"}))
      ->capture_default_str();
  p->add_option("--columns", tp.t.columns, "Questions batched per network to try (1: one at a time)")
      ->delimiter(',')
      ->capture_default_str();
  p->add_option("--scenes-per-batch", tp.t.scenes_per_batch, "Scenes answered per batched call")
      ->check(positive())
      ->capture_default_str();
  p->add_option("--per-template", tp.t.questions.per_template, "Questions per template and video")
      ->check(positive())
      ->capture_default_str();
  p->add_option("--repeats", tp.t.repeats, "Timed repeats (median)")->check(positive())->capture_default_str();
  p->add_option("--out-dir", tp.out, "Folder for throughput.{md,csv,png}")->capture_default_str();
  p->callback([&g] {
    apply_globals(g);
    auto scenes = load_scenes(tp.common, 0, tp.limit);
    tp.t.reasoner = reasoner_options(tp.common);
    tp.t.seed = g.seed;
    for (int b : tp.t.columns) HNN_CHECK(b > 0, "--columns: {} is not a positive number", b);
    auto rows = [&] {
      // Generation may use every core; the timed part runs on one.
      torch::set_num_threads(1);
      return run_throughput(scenes, tp.t);
    }();
    make_dirs(tp.out);
    std::string note = fmt::format(
        "{} scenes, one thread (torch::set_num_threads(1)); time = scene simulation and "
        "event list, network build, program translation, batched dynamics, read-out{}.",
        scenes.size(), tp.common.no_clip ? ", no clip" : "");
    write_throughput(rows, tp.out + "/throughput", note);
    fmt::print("{}wrote {}/throughput.{{md,csv,png}}\n", throughput_table(rows), tp.out);
  });
}

}  // namespace hnn::cli
