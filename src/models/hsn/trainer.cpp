#include "hnn/models/hsn/trainer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/models/hsn/evaluate.h"
#include "hnn/models/hsn/loss.h"

namespace hnn::models::hsn {
namespace {

nlohmann::json config_of(const Tracker& m) {
  const auto& o = m->options;
  return {{"model", "hnn.hsn.tracker"}, {"mode", to_string(m->mode)}, {"width", o.width},
          {"threshold", o.threshold},   {"decay", o.decay},           {"surrogate", o.surrogate}};
}

double lr_at(const TrainOptions& o, int64_t epoch) {
  return epoch >= (int64_t)std::llround(o.milestone * o.epochs) ? o.lr * o.gamma : o.lr;
}

}  // namespace

void save_tracker(const std::string& path, Tracker& model, torch::optim::Optimizer* opt, int64_t epoch) {
  auto cfg = config_of(model);
  cfg["epoch"] = epoch;
  write_atomically(path, [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("config", c10::IValue(cfg.dump()));
    archive.write("epoch", c10::IValue(epoch));
    torch::serialize::OutputArchive weights;
    model->save(weights);
    archive.write("model", weights);
    if (opt) {
      torch::serialize::OutputArchive state;
      opt->save(state);
      archive.write("optimizer", state);
    }
    archive.save_to(tmp);
  });
  write_file_atomically(path + ".json", cfg.dump(2) + "\n");
}

LoadedTracker load_tracker(const std::string& path, torch::optim::Optimizer* opt) {
  HNN_CHECK(file_exists(path), "cannot open checkpoint '{}'", path);
  torch::serialize::InputArchive archive;
  nlohmann::json cfg;
  try {
    archive.load_from(path);
    c10::IValue v;
    HNN_CHECK(archive.try_read("config", v) && v.isString(), "'{}' is not an hnn tracker checkpoint (no config)", path);
    cfg = nlohmann::json::parse(v.toStringRef());
  } catch (const c10::Error& e) {
    fail("cannot read checkpoint '{}': {}", path, e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint '{}': bad config ({})", path, e.what());
  }
  HNN_CHECK(cfg.value("model", "") == "hnn.hsn.tracker", "'{}' is not an HSN tracker checkpoint (model '{}')", path,
            cfg.value("model", ""));
  NetworkOptions o;
  o.width = cfg.value("width", 1.0);
  o.threshold = cfg.value("threshold", 0.5);
  o.decay = cfg.value("decay", 0.0);
  o.surrogate = cfg.value("surrogate", std::string("rect:1"));
  LoadedTracker r;
  r.model = Tracker(o, parse_mode(cfg.value("mode", std::string("hsn"))));
  r.epoch = cfg.value("epoch", (int64_t)0);
  try {
    torch::serialize::InputArchive weights;
    archive.read("model", weights);
    r.model->load(weights);
    if (opt) {
      torch::serialize::InputArchive state;
      if (archive.try_read("optimizer", state)) opt->load(state);
    }
  } catch (const c10::Error& e) {
    fail("checkpoint '{}' does not match its config: {}", path, e.what_without_backtrace());
  }
  return r;
}

std::vector<EpochLog> train_tracker(Tracker& model, const HsnData& train, const HsnData* val, const TrainOptions& o,
                                    const std::function<void(const EpochLog&)>& on_epoch) {
  HNN_CHECK(train.size() > 0, "HSN training: no samples");
  HNN_CHECK(o.epochs > 0 && o.batch > 0, "HSN training: epochs and batch must be positive");
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(o.lr));
  int64_t start = 0;
  if (!o.resume.empty()) {
    auto loaded = load_tracker(o.resume, &opt);
    HNN_CHECK(loaded.model->mode == model->mode && loaded.model->options.width == model->options.width,
              "cannot resume from '{}': it holds a {} tracker of width {}, not {} of width {}", o.resume,
              to_string(loaded.model->mode), loaded.model->options.width, to_string(model->mode),
              model->options.width);
    torch::NoGradGuard ng;
    auto src = loaded.model->named_parameters(), dst = model->named_parameters();
    for (auto& p : dst) p.value().copy_(src[p.key()]);
    auto sb = loaded.model->named_buffers(), db = model->named_buffers();
    for (auto& b : db) b.value().copy_(sb[b.key()]);
    start = loaded.epoch;
  }
  std::vector<EpochLog> logs;
  const int64_t n = train.size(), batches = (n + o.batch - 1) / o.batch;
  for (int64_t epoch = start; epoch < o.epochs; ++epoch) {
    for (auto& g : opt.param_groups()) g.options().set_lr(lr_at(o, epoch));
    model->train();
    Timer timer;
    auto order = torch::randperm(n, torch::kLong);
    double loss_sum = 0;
    std::unique_ptr<Progress> bar;
    if (o.progress) bar = std::make_unique<Progress>(batches, fmt::format("epoch {}/{}", epoch + 1, o.epochs), "batch");
    for (int64_t b = 0; b < batches; ++b) {
      auto batch = train.batch(order.slice(0, b * o.batch, std::min(n, (b + 1) * o.batch)));
      opt.zero_grad();
      auto cm = model(batch.aps, batch.dvs, batch.aps_loc);
      auto loss = tracking_loss(cm, target_map(batch.dvs_loc, cm.size(-1)), o.balanced_loss);
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), o.clip);
      opt.step();
      loss_sum += loss.item<double>();
      if (bar) bar->update(1, {{"loss", loss_sum / (b + 1)}});
    }
    if (bar) bar->finish();
    EpochLog log;
    log.epoch = epoch + 1;
    log.loss = loss_sum / batches;
    log.seconds = timer.seconds();
    if (val && val->size() > 0) log.val_miou = evaluate_tracker(model, *val, EvalOptions{}).overall.mean_iou;
    logs.push_back(log);
    if (on_epoch) on_epoch(log);
    bool last = epoch + 1 == o.epochs;
    if (!o.checkpoint.empty() && o.checkpoint_every > 0 && (epoch + 1) % o.checkpoint_every == 0 && !last)
      save_tracker(fmt::format("{}-epoch{}", o.checkpoint, epoch + 1), model, &opt, epoch + 1);
    if (!o.checkpoint.empty() && last) save_tracker(o.checkpoint, model, &opt, epoch + 1);
  }
  return logs;
}

}  // namespace hnn::models::hsn
