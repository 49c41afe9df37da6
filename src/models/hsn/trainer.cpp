#include "hnn/models/hsn/trainer.h"

#include <cmath>

#include <ATen/record_function.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "hnn/core/error.h"
#include "hnn/models/hsn/evaluate.h"
#include "hnn/models/hsn/loss.h"
#include "hnn/train/checkpoint.h"

namespace hnn::models::hsn {

std::string tracker_config(const Tracker& m) {
  const auto& o = m->options;
  nlohmann::ordered_json j = {{"model", "hnn.hsn.tracker"}, {"mode", to_string(m->mode)}, {"width", o.width},
                              {"threshold", o.threshold},   {"decay", o.decay},           {"surrogate", o.surrogate}};
  return j.dump();
}

namespace {

// The tracker's kind and options as the config names them (no network built).
struct TrackerSpec {
  NetworkOptions options;
  Mode mode = Mode::Hybrid;
};

TrackerSpec parse_tracker_config(const std::string& json, const std::string& where) {
  TrackerSpec t;
  // Hostile input: value() throws a JSON type error on a non-object or a field of another type.
  try {
    const nlohmann::json cfg = nlohmann::json::parse(json);
    HNN_CHECK(cfg.is_object() && cfg.value("model", "") == "hnn.hsn.tracker",
              "'{}' is not an HSN tracker checkpoint (model '{}')", where,
              cfg.is_object() ? cfg.value("model", "") : cfg.dump());
    t.options.width = cfg.value("width", 1.0);
    t.options.threshold = cfg.value("threshold", 0.5);
    t.options.decay = cfg.value("decay", 0.0);
    t.options.surrogate = cfg.value("surrogate", std::string("rect:1"));
    t.mode = parse_mode(cfg.value("mode", std::string("hsn")));
    // The width sizes every layer, its square the parameters: a hostile file must not ask for a
    // network that fills memory (width 11 took more than 2 GB and width 5.25 seconds to build in
    // fuzz_model_configs). 4 (16 times the paper's 3.8 M parameters) is what `--width` accepts.
    HNN_CHECK(std::isfinite(t.options.width) && t.options.width > 0 && t.options.width <= kMaxTrackerWidth,
              "'{}': tracker width {} is outside (0, {}]", where, t.options.width, kMaxTrackerWidth);
    HNN_CHECK(std::isfinite(t.options.threshold) && std::isfinite(t.options.decay),
              "'{}': tracker threshold {} and decay {} must be finite", where, t.options.threshold, t.options.decay);
    // Checked before the network is built: a bad name must not cost building a wide tracker first.
    try {
      spike::Surrogate::parse(t.options.surrogate);
    } catch (const Error& e) {
      fail("'{}': {}", where, e.what());
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: bad tracker config ({})", where, e.what());
  }
  return t;
}

}  // namespace

Tracker tracker_from_config(const std::string& json, const std::string& where) {
  TrackerSpec t = parse_tracker_config(json, where);
  return Tracker(t.options, t.mode);
}

void save_tracker(const std::string& path, Tracker& model, torch::optim::Optimizer* opt, int64_t epoch) {
  train::CheckpointMeta meta;
  meta.config = tracker_config(model);
  meta.epoch = epoch;
  train::save_checkpoint(path, *model, meta, opt);
}

LoadedTracker load_tracker(const std::string& path, torch::optim::Optimizer* opt) {
  LoadedTracker r;
  r.model = tracker_from_config(train::read_checkpoint_config(path), path);
  r.epoch = train::load_checkpoint(path, *r.model, opt).epoch;
  return r;
}

std::vector<EpochLog> train_tracker(Tracker& model, const HsnData& train, const HsnData* val, const TrainOptions& o,
                                    const std::function<void(const EpochLog&)>& on_epoch) {
  HNN_CHECK(train.size() > 0, "HSN training: no samples");
  HNN_CHECK(o.epochs > 0 && o.batch > 0, "HSN training: epochs and batch must be positive");
  if (!o.resume.empty()) {
    TrackerSpec saved = parse_tracker_config(train::read_checkpoint_config(o.resume), o.resume);
    HNN_CHECK(saved.mode == model->mode && saved.options.width == model->options.width,
              "cannot resume from '{}': it holds a {} tracker of width {}, not {} of width {}", o.resume,
              to_string(saved.mode), saved.options.width, to_string(model->mode), model->options.width);
  }
  train::Trainer trainer(*model, train::TrainerOptions()
                                     .epochs(o.epochs)
                                     .batch_size(o.batch)
                                     .lr(o.lr)
                                     .schedule("step")
                                     .milestone(o.milestone)
                                     .gamma(o.gamma)
                                     .clip_grad_norm(o.clip)
                                     .monitor("miou")
                                     .maximize(true)
                                     .checkpoint(o.checkpoint)
                                     .checkpoint_every(o.checkpoint_every)
                                     .model_config(tracker_config(model))
                                     .resume(o.resume));
  for (auto& cb : o.callbacks) trainer.add_callback(cb);
  std::vector<EpochLog> logs;
  trainer.add_callback(std::make_shared<train::OnEpochEnd>([&](const train::EpochLog& e) {
    EpochLog log;
    log.epoch = e.epoch;
    log.loss = train::metric(e.train, "loss");
    log.val_miou = train::metric(e.val, "miou", -1);
    log.seconds = e.seconds;
    logs.push_back(log);
    if (on_epoch) on_epoch(log);
  }));
  auto step = [&](const at::Tensor& idx) {
    auto batch = [&] {
      RECORD_USER_SCOPE("hnn::data");
      return train.batch(idx);
    }();
    auto cm = model(batch.aps, batch.dvs, batch.aps_loc, batch.search);
    return train::StepResult{tracking_loss(cm, target_map(batch.dvs_loc, cm.size(-1)), o.balanced_loss)};
  };
  train::ValidateFn validate;
  if (val && val->size() > 0)
    validate = [&] { return train::Metrics{{"miou", evaluate_tracker(model, *val, EvalOptions{}).overall.mean_iou}}; };
  trainer.fit(train.size(), step, validate);
  return logs;
}

}  // namespace hnn::models::hsn
