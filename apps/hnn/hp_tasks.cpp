#include "hp_tasks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/seed.h"
#include "hnn/core/timer.h"
#include "hnn/data/idx.h"
#include "hnn/data/omniglot.h"
#include "hnn/models/hp/cifar.h"
#include "hnn/models/hp/cnn.h"
#include "hnn/models/hp/corruption.h"
#include "hnn/models/hp/fewshot.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/models/hp/multitask.h"
#include "hnn/plasticity/meta.h"
#include "hnn/train/checkpoint.h"
#include "hnn/train/classify.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace {

using models::hp::Corruption;

struct ModeResult {
  std::string mode;
  std::vector<double> test_accuracy;  // per epoch
  double seconds_per_epoch = 0;
  double hidden_spikes = 0;
  std::map<std::string, std::vector<double>> sweep;  // corruption -> accuracy per level
};

std::pair<data::ImageSet, data::ImageSet> load_data(const std::string& dataset, int64_t train_limit,
                                                    int64_t test_limit) {
  return {data::load_digits(dataset, "train", train_limit), data::load_digits(dataset, "t10k", test_limit)};
}

// One line per epoch on stdout (flushed, for logs of long runs).
std::shared_ptr<train::Callback> epoch_printer(const std::string& label, double* seconds) {
  return std::make_shared<train::OnEpochEnd>([label, seconds](const train::EpochLog& l) {
    *seconds += l.seconds;
    fmt::print("{} epoch {}/{}: train {} | test accuracy {:.2f}% | lr {:.2g} | {:.1f} s\n", label, l.epoch, l.epochs,
               train::format_metrics(l.train), 100 * train::metric(l.val, "accuracy"), l.lr, l.seconds);
    std::fflush(stdout);
  });
}

void write_outputs(const HpMlpExperiment& e, const std::vector<ModeResult>& results) {
  std::ostringstream md, csv;
  md << fmt::format("# hnn hp {} ({}, {} epochs, batch {}, seed {})\n\n", e.name, e.dataset, e.epochs, e.batch, e.seed);
  md << "| mode | clean (final) | best epoch | s/epoch | hidden spikes/sample |";
  for (const auto& c : e.corruptions) md << fmt::format(" {} {} |", c, e.levels - 1);
  md << "\n|---|---|---|---|---|";
  for (size_t i = 0; i < e.corruptions.size(); ++i) md << "---|";
  md << "\n";
  csv << "mode,corruption,level,accuracy\n";
  for (const auto& r : results) {
    double best = 0;
    for (double a : r.test_accuracy) best = std::max(best, a);
    md << fmt::format("| {} | {:.2f}% | {:.2f}% | {:.1f} | {:.1f} |", r.mode, 100 * r.test_accuracy.back(), 100 * best,
                      r.seconds_per_epoch, r.hidden_spikes);
    for (const auto& c : e.corruptions) md << fmt::format(" {:.2f}% |", 100 * r.sweep.at(c).back());
    md << "\n";
    for (size_t ep = 0; ep < r.test_accuracy.size(); ++ep)
      csv << fmt::format("{},epoch,{},{:.6f}\n", r.mode, ep + 1, r.test_accuracy[ep]);
    for (const auto& [c, accs] : r.sweep)
      for (size_t l = 0; l < accs.size(); ++l) csv << fmt::format("{},{},{},{:.6f}\n", r.mode, c, l, accs[l]);
  }
  md << "\nAccuracy (%) per corruption level (noise variance 0.01 level; occlusion: square of side 2 level):\n\n";
  for (const auto& c : e.corruptions) {
    md << fmt::format("| {} |", c);
    for (int64_t l = 0; l < e.levels; ++l) md << fmt::format(" {} |", l);
    md << "\n|---|";
    for (int64_t l = 0; l < e.levels; ++l) md << "---|";
    md << "\n";
    for (const auto& r : results) {
      md << fmt::format("| {} |", r.mode);
      for (double a : r.sweep.at(c)) md << fmt::format(" {:.2f} |", 100 * a);
      md << "\n";
    }
    md << "\n";
  }
  const std::string base = e.out_dir + "/" + e.name;
  write_file_atomically(base + ".md", md.str());
  write_file_atomically(base + ".csv", csv.str());
  fmt::print("\n{}", md.str());

  viz::Figure fig;
  fig.columns = std::min<int>(3, static_cast<int>(e.corruptions.size()) + 1);
  fig.width = 450 * fig.columns;
  fig.height = 380 * ((static_cast<int>(e.corruptions.size()) + 1 + fig.columns - 1) / fig.columns);
  auto panel = [](std::string title, std::string xlabel) {
    viz::Panel p;
    p.title = std::move(title);
    p.xlabel = std::move(xlabel);
    p.ylabel = "accuracy (%)";
    return p;
  };
  viz::Panel ep = panel("test accuracy per epoch", "epoch");
  for (const auto& r : results) {
    viz::Series s{{}, {}, r.mode, viz::Style::LinePoints};
    for (size_t i = 0; i < r.test_accuracy.size(); ++i) {
      s.x.push_back(static_cast<double>(i + 1));
      s.y.push_back(100 * r.test_accuracy[i]);
    }
    ep.series.push_back(s);
  }
  ep.legend = "br";
  fig.panels.push_back(ep);
  for (const auto& c : e.corruptions) {
    viz::Panel p =
        panel(c, c == "occlusion" ? "occluded square half-side (pixels)" : "noise level (variance 0.01 level)");
    for (const auto& r : results) {
      viz::Series s{{}, {}, r.mode, viz::Style::LinePoints};
      const auto& a = r.sweep.at(c);
      for (size_t l = 0; l < a.size(); ++l) {
        s.x.push_back(static_cast<double>(l));
        s.y.push_back(100 * a[l]);
      }
      p.series.push_back(s);
    }
    p.legend = "bl";
    fig.panels.push_back(p);
  }
  viz::save_png(fig, base + ".png");
  fmt::print("wrote {0}.md, {0}.csv, {0}.png\n", base);
}

}  // namespace

void run_hp_mlp_experiment(const HpMlpExperiment& e) {
  std::vector<Corruption> kinds;
  for (const auto& c : e.corruptions) kinds.push_back(models::hp::parse_corruption(c));
  std::vector<models::hp::Mode> modes;
  for (const auto& m : e.modes) modes.push_back(models::hp::parse_mode(m));
  auto [train, test] = load_data(e.dataset, e.train_limit, e.test_limit);
  // Fixed batches (the reference's batch sizes divide the sets): a partial last batch is dropped.
  HNN_CHECK(train.size() >= e.batch, "hp: {} training images, fewer than one batch of {}", train.size(), e.batch);
  fmt::print("{}: {} training and {} test images\n", e.dataset, train.size(), test.size());
  make_dirs(e.out_dir);
  std::vector<ModeResult> results;
  for (auto mode : modes) {
    seed_everything(e.seed);
    auto cfg =
        e.name == "robustness" ? models::hp::MlpConfig::fault_tolerance(mode) : models::hp::MlpConfig::demo(mode);
    models::hp::HpMlp net(cfg);
    ModeResult r;
    r.mode = models::hp::to_string(mode);
    fmt::print("\n{}: 784-{}-10 LIF, T {}, theta {}, decay {}, trace decay {}, Adam {} (global) / {} (local)\n", r.mode,
               cfg.hidden, cfg.steps, cfg.threshold, cfg.decay, cfg.trace_decay, e.global_lr, e.local_lr);
    auto fwd = [&](const at::Tensor& x) { return net->forward(x); };
    train::Trainer trainer(*net, train::TrainerOptions()
                                     .epochs(e.epochs)
                                     .batch_size(e.batch)
                                     .drop_last(true)
                                     .monitor("accuracy")
                                     .maximize(true)
                                     .model_config(cfg.to_json())
                                     .checkpoint(e.out_dir + "/" + e.name + "-" + r.mode + ".pt"));
    trainer.set_optimizer(plasticity::joint_optimizer(plasticity::split_parameters(*net), e.global_lr, e.local_lr));
    trainer.add_callback(std::make_shared<train::ProgressBar>(r.mode));
    double seconds = 0;
    trainer.add_callback(epoch_printer(r.mode, &seconds));
    auto fit = trainer.fit(
        train.size(), train::classification_step(fwd, train.images, train.labels, train::ClassLoss::MseOneHot),
        [&, &test = test] {
          return train::evaluate_classifier(fwd, test.images, test.labels, e.batch, train::ClassLoss::MseOneHot);
        });
    for (const auto& l : fit.history) r.test_accuracy.push_back(train::metric(l.val, "accuracy"));
    r.seconds_per_epoch = seconds / static_cast<double>(std::max<size_t>(1, fit.history.size()));
    // The final-epoch model under every corruption (the reference's sweeps), traces as trained.
    net->eval();
    torch::NoGradGuard no_grad;
    net->forward(test.images.slice(0, 0, e.batch));
    r.hidden_spikes = net->hidden_spikes;
    for (size_t k = 0; k < kinds.size(); ++k) {
      auto& accs = r.sweep[e.corruptions[k]];
      for (int64_t level = 0; level < e.levels; ++level) {
        auto noisy = models::hp::corrupt(test.images, kinds[k], level, e.seed * 1000 + k * 100 + level);
        accs.push_back(train::metric(
            train::evaluate_classifier(fwd, noisy, test.labels, e.batch, train::ClassLoss::MseOneHot), "accuracy"));
      }
      fmt::print("{} {}: {}\n", r.mode, e.corruptions[k], [&] {
        std::string s;
        for (double a : accs) s += fmt::format("{:.2f} ", 100 * a);
        return s;
      }());
    }
    results.push_back(std::move(r));
  }
  write_outputs(e, results);
}

void run_hp_cnn_experiment(const HpCnnExperiment& e) {
  const auto mode = models::hp::parse_mode(e.mode);
  const bool cifar = e.dataset == "cifar10", fashion = e.dataset == "fashion";
  data::ImageSet train, test;
  if (cifar) {
    HNN_CHECK(!e.data_dir.empty(),
              "hp classify: CIFAR-10 is not in ../shared/data; give --data-dir (the binary version)");
    train = models::hp::load_cifar10(e.data_dir, "train", e.train_limit);
    test = models::hp::load_cifar10(e.data_dir, "test", e.test_limit);
  } else {
    std::tie(train, test) = load_data(e.dataset, e.train_limit, e.test_limit);
  }
  HNN_CHECK(train.size() >= e.batch, "hp: {} training images, fewer than one batch of {}", train.size(), e.batch);
  fmt::print("{}: {} training and {} test images\n", e.dataset, train.size(), test.size());
  make_dirs(e.out_dir);
  seed_everything(e.seed);
  const std::string name = fmt::format("classify-{}-{}", e.dataset, e.mode);
  std::shared_ptr<torch::nn::Module> module;
  std::function<at::Tensor(const at::Tensor&)> fwd;
  std::string config_json;
  if (cifar) {
    models::hp::CifarConfig cfg;
    cfg.mode = mode;
    models::hp::HpCifarNet net(cfg);
    module = net.ptr();
    config_json = cfg.to_json();
    // Training batches are augmented (random crop with padding 4, horizontal flip).
    fwd = [net](const at::Tensor& x) mutable {
      return net->forward(net->is_training() ? models::hp::random_crop_flip(x) : x);
    };
    fmt::print(
        "{}: spiking CNN 128c3-256c3-p2-512c3-p2-1024c3-512c3-1024-512{}-10 (leaky output), T {}, Adam {}, "
        "cosine schedule\n",
        name, mode == models::hp::Mode::HP ? " (plastic)" : "", cfg.steps, e.lr);
  } else {
    auto cfg = fashion ? models::hp::CnnConfig::fashion(mode) : models::hp::CnnConfig::mnist(mode);
    models::hp::HpCnn net(cfg);
    module = net.ptr();
    config_json = cfg.to_json();
    fwd = [net](const at::Tensor& x) mutable { return net->forward(x); };
    fmt::print("{}: spiking CNN 128c3-p2-256c3-p2-256c3-p2-512{}-10, T {}, theta {}, decay {}, {} reset, Adam {}\n",
               name, mode == models::hp::Mode::HP ? " (plastic)" : "", cfg.steps, cfg.threshold, cfg.decay,
               cfg.hard_reset ? "hard" : "soft", e.lr);
  }
  // Fashion-MNIST: one Adam, the learning rate x0.1 after 40 % of the epochs (the reference: after
  // epochs 40 and 80 of 101; the trainer's step schedule has one milestone). CIFAR-10: cosine
  // annealing (the reference anneals SGD 0.08 with momentum; the trainer has one optimiser).
  train::Trainer trainer(*module, train::TrainerOptions()
                                      .epochs(e.epochs)
                                      .batch_size(e.batch)
                                      .drop_last(true)
                                      .lr(e.lr)
                                      .schedule(cifar     ? "cosine"
                                                : fashion ? "step"
                                                          : "constant")
                                      .milestone(0.4)
                                      .monitor("accuracy")
                                      .maximize(true)
                                      .model_config(config_json)
                                      .checkpoint(e.out_dir + "/" + name + ".pt"));
  trainer.add_callback(std::make_shared<train::ProgressBar>(e.mode));
  double seconds = 0;
  trainer.add_callback(epoch_printer(e.mode, &seconds));
  auto fit = trainer.fit(
      train.size(), train::classification_step(fwd, train.images, train.labels, train::ClassLoss::MseOneHot),
      [&] { return train::evaluate_classifier(fwd, test.images, test.labels, e.batch, train::ClassLoss::MseOneHot); });
  std::ostringstream md, csv;
  csv << "epoch,test_accuracy,seconds\n";
  double best = 0;
  for (const auto& l : fit.history) {
    const double a = train::metric(l.val, "accuracy");
    best = std::max(best, a);
    csv << fmt::format("{},{:.6f},{:.2f}\n", l.epoch, a, l.seconds);
  }
  const double last = fit.history.empty() ? 0 : train::metric(fit.history.back().val, "accuracy");
  md << fmt::format("# hnn hp classify ({}, mode {}, {} training images, {} epochs, batch {}, seed {})\n\n", e.dataset,
                    e.mode, train.size(), e.epochs, e.batch, e.seed);
  md << fmt::format("| final test accuracy | best epoch | s/epoch |\n|---|---|---|\n| {:.2f}% | {:.2f}% | {:.1f} |\n",
                    100 * last, 100 * best, seconds / std::max<double>(1, fit.history.size()));
  write_file_atomically(e.out_dir + "/" + name + ".md", md.str());
  write_file_atomically(e.out_dir + "/" + name + ".csv", csv.str());
  fmt::print("\n{}wrote {}/{}.{{md,csv,pt}}\n", md.str(), e.out_dir, name);
}

void run_hp_few_shot(const HpFewShotExperiment& e) {
  const std::string dir = shared_data_path("omniglot");
  HNN_CHECK(!dir.empty(), "hp fewshot: needs ../shared/data/omniglot (or HNN_DATA_DIR)");
  HNN_CHECK(!e.runs || (e.way == 20 && e.shots == 1),
            "hp fewshot: --runs (the 20-way one-shot benchmark) needs --way 20 --shots 1");
  auto a = data::load_omniglot(dir + "/images_background_small1.zip", 31);
  auto b = data::load_omniglot(dir + "/images_background_small2.zip", 31);
  const at::Tensor chars = torch::cat({a.images, b.images});
  const int64_t n = chars.size(0);
  HNN_CHECK(e.test_classes >= e.way && n - e.test_classes >= e.way,
            "hp fewshot: {} characters cannot give {} held-out classes and {}-way training episodes", n, e.test_classes,
            e.way);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  auto eng = derive_engine(1);
  std::shuffle(order.begin(), order.end(), eng);
  std::vector<int64_t> train_cls(order.begin(), order.end() - e.test_classes),
      test_cls(order.end() - e.test_classes, order.end());
  fmt::print(
      "Omniglot: {} characters x {} drawings (images_background_small1+2), {} for training, {} held out; "
      "{}-way {}-shot\n",
      n, chars.size(1), train_cls.size(), test_cls.size(), e.way, e.shots);
  std::vector<data::OneShotRun> runs;
  if (e.runs) runs = data::load_one_shot_runs(dir + "/all_runs.zip", 31);
  make_dirs(e.out_dir);
  const std::string base = fmt::format("{}/fewshot-{}way", e.out_dir, e.way);
  std::ostringstream md, csv;
  md << fmt::format("# hnn hp fewshot: Omniglot {}-way {}-shot ({} iterations, seed {})\n\n", e.way, e.shots,
                    e.iterations, e.seed);
  md << "| mode | held-out accuracy | episodes | s/iteration |";
  if (e.runs) md << " 20-way one-shot runs |";
  md << "\n|---|---|---|---|" << (e.runs ? "---|" : "") << "\n";
  csv << "mode,iteration,train_loss,test_accuracy\n";
  viz::Panel panel;
  panel.title = fmt::format("Omniglot {}-way {}-shot, held-out characters", e.way, e.shots);
  panel.xlabel = "iteration";
  panel.ylabel = "accuracy (%)";
  panel.legend = "br";
  for (const auto& m : e.modes) {
    seed_everything(e.seed);
    models::hp::FewShotConfig cfg;
    cfg.mode = models::hp::parse_mode(m);
    cfg.way = e.way;
    cfg.shots = e.shots;
    cfg.channels = e.channels;
    cfg.label_current = e.label_current;
    models::hp::FewShotNet net(cfg);
    models::hp::EpisodeSampler train_eps(chars, train_cls, e.seed * 7 + 1), test_eps(chars, test_cls, e.seed * 7 + 2);
    models::hp::FewShotTrainOptions o;
    o.iterations = e.iterations;
    o.eval_every = e.eval_every;
    o.eval_episodes = e.eval_episodes;
    o.lr_step = e.lr_step;
    o.global_lr = e.global_lr;
    o.meta_lr = e.meta_lr;
    Progress bar(e.iterations, fmt::format("{} fewshot", m));
    Timer t;
    viz::Series s;
    s.label = m;
    s.style = viz::Style::LinePoints;
    auto log = models::hp::train_few_shot(net, train_eps, test_eps, o, [&](const models::hp::FewShotProgress& p) {
      bar.update(1);
      if (p.test_accuracy < 0) return;
      fmt::print("{} iteration {}/{}: train loss {:.4f} | held-out accuracy {:.1f}% ({} episodes) | {:.1f} s\n", m,
                 p.iteration, e.iterations, p.train_loss, 100 * p.test_accuracy, e.eval_episodes, t.seconds());
      std::fflush(stdout);
      csv << fmt::format("{},{},{:.6f},{:.4f}\n", m, p.iteration, p.train_loss, p.test_accuracy);
      s.x.push_back(static_cast<double>(p.iteration));
      s.y.push_back(100 * p.test_accuracy);
    });
    bar.finish();
    const double secs = t.seconds() / static_cast<double>(e.iterations);
    models::hp::EpisodeSampler final_eps(chars, test_cls, e.seed * 7 + 3);
    const double acc = models::hp::evaluate_few_shot(net, final_eps, e.final_episodes);
    fmt::print("{}: held-out {}-way {}-shot accuracy {:.2f}% over {} episodes\n", m, e.way, e.shots, 100 * acc,
               e.final_episodes);
    md << fmt::format("| {} | {:.2f}% | {} | {:.3f} |", m, 100 * acc, e.final_episodes, secs);
    if (e.runs) {
      std::vector<at::Tensor> tr, te;
      std::vector<std::vector<int64_t>> ans;
      for (const auto& r : runs) {
        tr.push_back(r.train);
        te.push_back(r.test);
        ans.push_back(r.answer);
      }
      auto per_run = models::hp::evaluate_one_shot_runs(net, tr, te, ans, e.seed);
      const double mean = std::accumulate(per_run.begin(), per_run.end(), 0.0) / static_cast<double>(per_run.size());
      fmt::print("{}: 20-way one-shot benchmark (all_runs.zip, {} runs x 20): {:.2f}%\n", m, per_run.size(),
                 100 * mean);
      md << fmt::format(" {:.2f}% |", 100 * mean);
    }
    md << "\n";
    train::CheckpointMeta meta;
    meta.config = cfg.to_json();
    meta.epoch = e.iterations;
    train::save_checkpoint(fmt::format("{}-{}.pt", base, m), *net, meta);
    panel.series.push_back(s);
  }
  write_file_atomically(base + ".md", md.str());
  write_file_atomically(base + ".csv", csv.str());
  viz::save_png(panel, base + ".png", 800, 500);
  fmt::print("\n{}wrote {}.{{md,csv,png}}\n", md.str(), base);
}

void run_hp_multitask(const HpMultitaskExperiment& e) {
  const models::hp::MultitaskOptions& o = e.train;
  auto [train, test] = load_data("mnist", e.train_limit, e.test_limit);
  HNN_CHECK(train.size() >= o.batch, "hp multitask: {} training images, fewer than one batch of {}", train.size(),
            o.batch);
  std::vector<models::hp::MultitaskModel> kinds;
  for (const auto& m : e.models) kinds.push_back(models::hp::parse_multitask_model(m));
  fmt::print("permuted MNIST: {} training images (the shared subset of the 60,000), {} test images, {} tasks\n",
             train.size(), test.size(), o.tasks);
  make_dirs(e.out_dir);
  const std::string base = e.out_dir + "/multitask";
  std::ostringstream md, csv;
  md << fmt::format(
      "# hnn hp multitask: permuted MNIST ({} tasks, {} epochs each, {} training images, 784-{}-{}, seed {})\n\n",
      o.tasks, o.epochs, train.size(), e.hidden, e.hidden, o.seed);
  md << "| model | mean accuracy over all tasks (final) | task 0 (final) | last task | s/task "
        "|\n|---|---|---|---|---|\n";
  csv << "model,learned,task,accuracy\n";
  viz::Panel curve;
  curve.title = "mean accuracy over the tasks learned";
  curve.xlabel = "tasks learned";
  curve.ylabel = "mean test accuracy (%)";
  curve.legend = "bl";
  viz::Panel last;
  last.title = "each task after the last one";
  last.xlabel = "task";
  last.ylabel = "test accuracy (%)";
  last.legend = "bl";
  for (size_t m = 0; m < kinds.size(); ++m) {
    seed_everything(o.seed);
    models::hp::MultitaskConfig cfg;
    cfg.mode = kinds[m];
    cfg.hidden = e.hidden;
    cfg.sparsity = e.sparsity;
    models::hp::MultitaskNet net(cfg);
    const std::string& name = e.models[m];
    const bool hp = kinds[m] == models::hp::MultitaskModel::HP;
    fmt::print("\n{}: 784-{}-{} LIF, T {}, theta {}, decay {}, {}; Adam {}{}\n", name, cfg.hidden, cfg.hidden,
               cfg.steps, cfg.threshold, cfg.decay,
               kinds[m] == models::hp::MultitaskModel::EWC
                   ? fmt::format("dense, EWC lambda {} (Fisher of {} samples)", o.ewc_lambda, o.fisher_samples)
                   : fmt::format("masks of density {}", e.sparsity),
               o.lr, hp ? fmt::format(", meta phases Adam {} x {} batches", o.meta_lr, o.meta_batches) : "");
    const int64_t batches = train.size() / o.batch;
    const int64_t metas = hp ? std::min(o.tasks, o.meta_tasks) * o.meta_batches : 0;
    Progress bar(o.tasks * o.epochs * batches + metas, name);
    Timer t;
    auto log = models::hp::train_multitask(
        net, train.images, train.labels, test.images, test.labels, o, [&] { bar.update(1); },
        [&](const models::hp::MultitaskProgress& p) {
          fmt::print(
              "{} task {}/{}: loss {:.4f}{} | task 0 {:.2f}% | this task {:.2f}% | mean over {} tasks {:.2f}% | "
              "{:.1f} s\n",
              name, p.task + 1, o.tasks, p.train_loss,
              p.meta_loss >= 0 ? fmt::format(" (meta {:.4f})", p.meta_loss) : "", 100 * p.accuracies.front(),
              100 * p.accuracies.back(), p.accuracies.size(), 100 * p.mean_accuracy, p.seconds);
          std::fflush(stdout);
          for (size_t j = 0; j < p.accuracies.size(); ++j)
            csv << fmt::format("{},{},{},{:.6f}\n", name, p.task + 1, j, p.accuracies[j]);
        });
    bar.finish();
    const auto& end = log.back();
    md << fmt::format("| {} | {:.2f}% | {:.2f}% | {:.2f}% | {:.1f} |\n", name, 100 * end.mean_accuracy,
                      100 * end.accuracies.front(), 100 * end.accuracies.back(), t.seconds() / o.tasks);
    viz::Series s{{}, {}, name, viz::Style::LinePoints}, f{{}, {}, name, viz::Style::LinePoints};
    for (const auto& p : log) {
      s.x.push_back(static_cast<double>(p.task + 1));
      s.y.push_back(100 * p.mean_accuracy);
    }
    for (size_t j = 0; j < end.accuracies.size(); ++j) {
      f.x.push_back(static_cast<double>(j));
      f.y.push_back(100 * end.accuracies[j]);
    }
    curve.series.push_back(s);
    last.series.push_back(f);
    train::CheckpointMeta meta;
    meta.config = cfg.to_json();
    meta.epoch = o.tasks;
    train::save_checkpoint(fmt::format("{}-{}.pt", base, name), *net, meta);
  }
  md << "\nMean test accuracy (%) over the tasks learned so far, after each task:\n\n| model |";
  for (int64_t k = 1; k <= o.tasks; ++k) md << fmt::format(" {} |", k);
  md << "\n|---|";
  for (int64_t k = 1; k <= o.tasks; ++k) md << "---|";
  md << "\n";
  for (const auto& s : curve.series) {
    md << fmt::format("| {} |", s.label);
    for (double a : s.y) md << fmt::format(" {:.1f} |", a);
    md << "\n";
  }
  write_file_atomically(base + ".csv", csv.str());
  write_file_atomically(base + ".md", md.str());
  viz::Figure fig;
  fig.columns = 2;
  fig.width = 1100;
  fig.height = 450;
  // Room below the curves for the legend.
  for (viz::Panel* p : {&curve, &last}) {
    double lo = 100, hi = 0;
    for (const auto& series : p->series)
      for (double y : series.y) lo = std::min(lo, y), hi = std::max(hi, y);
    p->ymin = std::max(0.0, lo - 0.45 * std::max(hi - lo, 4.0));
    p->ymax = std::min(100.0, hi + 1);
  }
  fig.panels = {curve, last};
  viz::save_png(fig, base + ".png");
  fmt::print("\n{}wrote {}.{{md,csv,png}} and the checkpoints {}-<model>.pt\n", md.str(), base, base);
}

}  // namespace hnn::cli
