#include "hp_tasks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/seed.h"
#include "hnn/core/timer.h"
#include "hnn/data/idx.h"
#include "hnn/models/hp/corruption.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/plasticity/meta.h"
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

std::pair<data::ImageSet, data::ImageSet> load_data(const HpMlpExperiment& e) {
  if (e.dataset == "fashion") {
    const std::string dir = data::fashion_mnist_dir();
    return {data::load_image_set(dir, "train", e.train_limit), data::load_image_set(dir, "t10k", e.test_limit)};
  }
  HNN_CHECK(e.dataset == "mnist", "hp: unknown dataset '{}' (fashion or mnist)", e.dataset);
  const std::string dir = shared_data_path("mnist");
  HNN_CHECK(!dir.empty(), "hp: MNIST needs ../shared/data/mnist (or HNN_DATA_DIR)");
  return {data::load_image_set_files(dir + "/train-images-idx3-ubyte.first22699.gz",
                                     dir + "/train-labels-idx1-ubyte.first22699.gz", e.train_limit),
          data::load_image_set(dir, "t10k", e.test_limit)};
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
  auto [train, test] = load_data(e);
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
    trainer.add_callback(std::make_shared<train::OnEpochEnd>([&](const train::EpochLog& l) {
      seconds += l.seconds;
      fmt::print("{} epoch {}/{}: train {} | test accuracy {:.2f}% | {:.1f} s\n", r.mode, l.epoch, l.epochs,
                 train::format_metrics(l.train), 100 * train::metric(l.val, "accuracy"), l.seconds);
      std::fflush(stdout);
    }));
    auto fit = trainer.fit(
        train.size(), train::classification_step(fwd, train.images, train.labels, train::ClassLoss::MseOneHot), [&] {
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

}  // namespace hnn::cli
