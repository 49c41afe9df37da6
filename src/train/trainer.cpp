#include "hnn/train/trainer.h"

#include <ATen/record_function.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "hnn/core/anomaly.h"
#include "hnn/core/error.h"
#include "hnn/core/json.h"
#include "hnn/core/profiler.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/train/checkpoint.h"
#include "hnn/train/distributed.h"

namespace hnn::train {
namespace {

std::vector<at::Tensor> trainable(torch::nn::Module& m) {
  std::vector<at::Tensor> out;
  for (auto& p : m.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

void set_lr(torch::optim::Optimizer& opt, const std::vector<double>& base, double factor) {
  auto& groups = opt.param_groups();
  for (size_t i = 0; i < groups.size() && i < base.size(); ++i) groups[i].options().set_lr(base[i] * factor);
}

// Running sums of named values, weighted by samples.
struct Accumulator {
  Metrics sums;
  double weight = 0;
  void add(const Metrics& m, double w) {
    for (const auto& kv : m) {  // (a structured binding cannot be captured before C++20 in clang)
      auto it = std::find_if(sums.begin(), sums.end(), [&](auto& e) { return e.first == kv.first; });
      if (it == sums.end()) {
        sums.emplace_back(kv.first, kv.second * w);
      } else {
        it->second += kv.second * w;
      }
    }
    weight += w;
  }
  Metrics mean() const {
    Metrics out = sums;
    for (auto& e : out) e.second /= std::max(weight, 1e-300);
    return out;
  }
};

// The values of `m`, in order.
std::vector<double> values_of(const Metrics& m) {
  std::vector<double> v;
  for (auto& e : m) v.push_back(e.second);
  return v;
}

nlohmann::json metrics_json(const Metrics& m) {
  auto j = nlohmann::json::object();
  for (auto& [k, v] : m) j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  return j;
}

Metrics metrics_from_json(const nlohmann::json& j) {
  Metrics m;
  for (auto& [k, v] : j.items()) m.emplace_back(k, v.is_number() ? v.get<double>() : std::nan(""));
  return m;
}

std::string history_json(const std::vector<EpochLog>& h) {
  auto arr = nlohmann::json::array();
  for (auto& e : h)
    arr.push_back({{"epoch", e.epoch},
                   {"train", metrics_json(e.train)},
                   {"val", metrics_json(e.val)},
                   {"lr", e.lr},
                   {"seconds", e.seconds},
                   {"best", e.best}});
  return arr.dump();
}

std::vector<EpochLog> history_from_json(const std::string& text, const std::string& where) {
  std::vector<EpochLog> out;
  try {
    for (auto& e : nlohmann::json::parse(text)) {
      EpochLog l;
      l.epoch = e.contains("epoch") ? json_integer<int64_t>(e["epoch"], "epoch") : 0;
      l.train = metrics_from_json(e.value("train", nlohmann::json::object()));
      l.val = metrics_from_json(e.value("val", nlohmann::json::object()));
      l.lr = e.value("lr", 0.0);
      l.seconds = e.value("seconds", 0.0);
      l.best = e.value("best", false);
      out.push_back(std::move(l));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint '{}': bad training history ({})", where, e.what());
  }
  return out;
}

}  // namespace

double metric(const Metrics& m, const std::string& name, double fallback) {
  for (auto& [k, v] : m)
    if (k == name) return v;
  return fallback;
}

double check_loss(const at::Tensor& loss, const std::string& where) {
  HNN_CHECK(loss.defined() && loss.numel() == 1, "the step must return a scalar loss ({})", where);
  const double v = loss.item<double>();
  if (!std::isfinite(v)) throw anomaly::NonFinite(fmt::format("the loss is {} at {}", v, where));
  return v;
}

namespace {
// hnn::anomaly::NonFinite naming the first parameter of `model` whose gradient is not finite. A NaN
// in a spiking layer can leave the loss finite (a NaN membrane never crosses the threshold) while
// its gradient is NaN: this check keeps such an update from spoiling the weights unnoticed. It
// costs one reduction per gradient and a single read of the result (one device sync, not one per
// parameter); only when that sum is not finite are the gradients searched one by one.
void check_gradients(torch::nn::Module& model, const std::string& where) {
  torch::NoGradGuard ng;
  std::vector<at::Tensor> sums;
  for (auto& p : model.parameters())
    if (p.grad().defined() && p.grad().numel() > 0) sums.push_back(p.grad().sum(at::kDouble));
  if (sums.empty() || std::isfinite(at::stack(sums).sum().item<double>())) return;
  for (auto& p : model.named_parameters())
    if (p.value().grad().defined())
      anomaly::check(fmt::format("at {}, the gradient of model.{}", where, p.key()), p.value().grad());
}
}  // namespace

void backward(torch::nn::Module& model, const at::Tensor& loss, const std::string& where) {
  RECORD_USER_SCOPE("hnn::backward");
  if (!anomaly::enabled()) {
    loss.backward();
    check_gradients(model, where);
    return;
  }
  // LibTorch's anomaly mode checks the output of every backward function for NaN. anomaly::
  // set_enabled turns it on with the flag, but the flag's default (on without NDEBUG) does not, so
  // that debug builds do not pay for anomaly mode's forward traces: it is on here for the backward.
  struct AutogradAnomaly {
    bool previous = torch::autograd::AnomalyMode::is_enabled();
    AutogradAnomaly() { torch::autograd::AnomalyMode::set_enabled(true); }
    ~AutogradAnomaly() { torch::autograd::AnomalyMode::set_enabled(previous); }
  } on;
  try {
    loss.backward();
  } catch (const hnn::Error&) {
    throw;
  } catch (const std::exception& e) {
    // LibTorch 1.13 throws a std::runtime_error "Function 'XBackward0' returned nan values in its
    // 0th output."; other failures of the backward pass are not ours to rename.
    std::string what = e.what();
    if (what.find("returned nan values") == std::string::npos) throw;
    throw anomaly::NonFinite(
        fmt::format("the backward pass at {} made a NaN: {}", where, what.substr(0, what.find('\n'))));
  }
  check_gradients(model, where);
}

std::string format_metrics(const Metrics& m) {
  std::string s;
  for (auto& [k, v] : m) s += fmt::format("{}{} {:.4g}", s.empty() ? "" : " ", k, v);
  return s;
}

Trainer::Trainer(torch::nn::Module& model, TrainerOptions o)
    : model_(model), options_(std::move(o)), group_(dist::default_group()) {
  const auto& op = options_;
  HNN_CHECK(op.epochs() > 0, "trainer: epochs must be positive, got {}", op.epochs());
  HNN_CHECK(op.batch_size() > 0, "trainer: batch size must be positive, got {}", op.batch_size());
  HNN_CHECK(op.lr() > 0 && std::isfinite(op.lr()), "trainer: learning rate must be positive, got {}", op.lr());
  HNN_CHECK(op.clip_grad_norm() >= 0, "trainer: clip_grad_norm must be >= 0, got {}", op.clip_grad_norm());
  HNN_CHECK(op.schedule() == "constant" || op.schedule() == "cosine" || op.schedule() == "step" ||
                op.schedule() == "multistep",
            "trainer: unknown schedule '{}' (expected constant, cosine, step or multistep)", op.schedule());
  HNN_CHECK(op.gammas().empty() || op.gammas().size() == op.milestones().size(),
            "trainer: {} gammas for {} milestones (give one per milestone, or none to use gamma)", op.gammas().size(),
            op.milestones().size());
  HNN_CHECK(op.schedule() != "multistep" || !op.milestones().empty(),
            "trainer: the multistep schedule needs milestones");
  HNN_CHECK(op.milestone() >= 0 && op.milestone() <= 1, "trainer: milestone must be in [0, 1], got {}", op.milestone());
  HNN_CHECK(op.validate_every() > 0, "trainer: validate_every must be positive");
  auto params = trainable(model_);
  HNN_CHECK(!params.empty(), "trainer: the model has no trainable parameters");
  if (op.optimizer() == "adam") {
    optimizer_ = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(op.lr()).weight_decay(op.weight_decay()));
  } else if (op.optimizer() == "adamw") {
    optimizer_ = std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(op.lr()).weight_decay(op.weight_decay()));
  } else if (op.optimizer() == "sgd") {
    optimizer_ = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(op.lr()).momentum(op.momentum()).weight_decay(op.weight_decay()));
  } else {
    fail("trainer: unknown optimizer '{}' (expected adam, adamw or sgd)", op.optimizer());
  }
}

Trainer::~Trainer() = default;

void Trainer::add_callback(std::shared_ptr<Callback> cb) {
  if (cb) callbacks_.push_back(std::move(cb));
}

void Trainer::set_optimizer(std::shared_ptr<torch::optim::Optimizer> opt) {
  HNN_CHECK(opt != nullptr, "trainer: set_optimizer needs an optimiser");
  optimizer_ = std::move(opt);
}

void Trainer::set_process_group(std::shared_ptr<dist::ProcessGroup> group) {
  group_ = std::move(group);
}

torch::optim::Optimizer& Trainer::optimizer() {
  return *optimizer_;
}

double Trainer::lr_factor(double progress) const {
  const double E = (double)options_.epochs();
  if (options_.schedule() == "cosine") return 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress / E)));
  if (options_.schedule() == "step")
    return std::floor(progress) >= std::llround(options_.milestone() * E) ? options_.gamma() : 1.0;
  if (options_.schedule() == "multistep") {
    double f = 1.0;
    const auto& ms = options_.milestones();
    for (size_t i = 0; i < ms.size(); ++i)
      if (std::floor(progress) >= (double)ms[i])
        f *= options_.gammas().empty() ? options_.gamma() : options_.gammas()[i];
    return f;
  }
  return 1.0;
}

void Trainer::save(const std::string& path, int64_t epoch, const FitResult& r) {
  CheckpointMeta meta;
  meta.config = options_.model_config();
  meta.epoch = epoch;
  meta.history = history_json(r.history);
  save_checkpoint(path, model_, meta, optimizer_.get());
}

FitResult Trainer::fit(int64_t n, const StepFn& step, const ValidateFn& validate) {
  const auto& op = options_;
  HNN_CHECK(n > 0, "trainer: no training samples");
  HNN_CHECK(step != nullptr, "trainer: no step function");
  FitResult r;
  const bool maximize = validate ? op.maximize() : false;
  r.best_value = maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  int64_t start = 0;
  if (!op.resume().empty()) {
    auto meta = load_checkpoint(op.resume(), model_, optimizer_.get(), LoadOptions{true, true, true});
    start = meta.epoch;
    r.history = history_from_json(meta.history, op.resume());
    for (auto& e : r.history)
      if (e.best) {
        r.best_epoch = e.epoch;
        r.best_value = metric(e.val, validate ? op.monitor() : "loss",
                              metric(e.train, validate ? op.monitor() : "loss", r.best_value));
      }
    HNN_CHECK(start <= op.epochs(), "cannot resume from '{}': it is at epoch {}, beyond the {} epochs asked for",
              op.resume(), start, op.epochs());
  }
  std::vector<double> base_lr;
  for (auto& g : optimizer_->param_groups()) base_lr.push_back(g.options().get_lr());

  // Data parallelism: every rank starts from rank 0's weights, and trains on n_local samples.
  dist::ProcessGroup* group = group_.get();
  const int world = group ? group->size() : 1;
  const int rank = group ? group->rank() : 0;
  const bool primary = rank == 0;
  std::unique_ptr<dist::GradientReducer> reducer;
  if (group) {
    dist::broadcast_module(*group, model_);
    reducer = std::make_unique<dist::GradientReducer>(group_, trainable(model_));
  }
  const int64_t n_local = (n + world - 1) / world;

  int64_t batches = op.drop_last() ? n_local / op.batch_size() : (n_local + op.batch_size() - 1) / op.batch_size();
  HNN_CHECK(batches > 0, "trainer: {} samples make no batch of {} with drop_last", n_local, op.batch_size());
  if (op.max_batches() > 0) batches = std::min(batches, op.max_batches());

  std::vector<at::Tensor> best_state;
  auto snapshot = [&] {
    best_state.clear();
    for (auto& p : model_.parameters()) best_state.push_back(p.detach().clone());
    for (auto& b : model_.buffers()) best_state.push_back(b.detach().clone());
  };
  int64_t since_best = 0;
  // The checkpoint with the last good weights, for the message of a run stopped by a NaN.
  std::string last_saved;
  auto save_as = [&](const std::string& path, int64_t epoch) {
    save(path, epoch, r);
    last_saved = fmt::format("'{}' (epoch {})", path, epoch);
  };
  if (!op.resume().empty()) last_saved = fmt::format("'{}' (epoch {})", op.resume(), start);
  if (anomaly::enabled()) anomaly::name_modules(model_, "model");
  // A non-finite value stops the fit before the update that it would spoil.
  auto stopped = [&](const anomaly::NonFinite& e) {
    fail("trainer: {}; stopped before updating the weights. {}{}", e.what(),
         last_saved.empty() ? "No checkpoint was written yet."
                            : fmt::format("The last good weights are in {}.", last_saved),
         anomaly::enabled() ? ""
                            : " Run with --detect-anomaly (hnn::anomaly::Guard) to find the first module and time "
                              "step with a NaN or Inf; lowering the learning rate or clipping gradients may help.");
  };
  for (auto& cb : callbacks_) cb->on_fit_begin(start, op.epochs());
  for (int64_t epoch = start; epoch < op.epochs(); ++epoch) {
    Timer timer;
    // Under `hnn --profile`: the epoch's profile (training and validation) goes to the file.
    profile::Profiler* prof = profile::output().empty() ? nullptr : profile::Profiler::current();
    const profile::Snapshot prof_start = prof ? prof->snapshot() : profile::Snapshot{};
    model_.train();
    for (auto& cb : callbacks_) cb->on_epoch_begin(epoch + 1, op.epochs(), batches);
    at::Tensor order;
    if (group) {
      // The epoch's order from a seed rank 0 draws and shares: the same on every rank, and the
      // same after a resume (the checkpoint holds the RNG state). Every rank draws, so the ranks'
      // generators stay in step.
      auto full = torch::arange(n, torch::kLong);
      if (op.shuffle()) {
        std::vector<at::Tensor> seed{torch::randint(std::numeric_limits<int64_t>::max(), {1}, torch::kLong)};
        group->broadcast(seed, 0);
        full = dist::permutation(n, (uint64_t)seed[0].item<int64_t>());
      }
      order = dist::shard(full, rank, world);
    } else {
      order = op.shuffle() ? torch::randperm(n, torch::kLong) : torch::arange(n, torch::kLong);
    }
    Accumulator acc;
    double lr = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const double factor = lr_factor(epoch + (op.schedule() == "cosine" ? (double)b / batches : 0.0));
      set_lr(*optimizer_, base_lr, factor);
      lr = base_lr.empty() ? 0 : base_lr[0] * factor;
      auto idx = order.slice(0, b * op.batch_size(), std::min(n_local, (b + 1) * op.batch_size()));
      {
        RECORD_USER_SCOPE("hnn::optimizer_zero_grad");
        optimizer_->zero_grad();
      }
      const std::string where = fmt::format("epoch {}, batch {}", epoch + 1, b + 1);
      double loss = 0;
      StepResult s;
      try {
        s = step(idx);
        loss = check_loss(s.loss, where);
        if (reducer) reducer->arm();
        backward(model_, s.loss, where);
      } catch (const anomaly::NonFinite& e) {
        stopped(e);
      }
      if (reducer) reducer->finish();
      {
        RECORD_USER_SCOPE("hnn::optimizer_step");
        if (op.clip_grad_norm() > 0) torch::nn::utils::clip_grad_norm_(model_.parameters(), op.clip_grad_norm());
        optimizer_->step();
      }
      Metrics m{{"loss", loss}};
      m.insert(m.end(), s.metrics.begin(), s.metrics.end());
      const double weight = (double)(s.samples >= 0 ? s.samples : idx.numel());
      acc.add(m, weight);
      BatchLog bl{epoch + 1, op.epochs(), b + 1, batches, lr, {}, weight};
      if (!callbacks_.empty()) {
        bl.running = acc.mean();
        for (auto& cb : callbacks_) cb->on_batch_end(bl);
      }
    }
    EpochLog log;
    log.epoch = epoch + 1;
    log.epochs = op.epochs();
    if (group && world > 1) {
      // The epoch means over every rank's samples; the buffers (BatchNorm statistics) made equal.
      auto v = values_of(acc.sums);
      v.push_back(acc.weight);
      std::vector<at::Tensor> t{torch::tensor(v, torch::kDouble)};
      group->all_reduce_sum(t);
      auto a = t[0].accessor<double, 1>();
      for (size_t i = 0; i < acc.sums.size(); ++i) acc.sums[i].second = a[(int64_t)i];
      acc.weight = a[(int64_t)acc.sums.size()];
      dist::sync_buffers(*group, model_, group->options().average_buffers);
    }
    log.train = acc.mean();
    log.lr = lr;
    const bool last = epoch + 1 == op.epochs();
    if (validate && ((epoch + 1) % op.validate_every() == 0 || last)) {
      model_.eval();
      torch::NoGradGuard ng;
      RECORD_USER_SCOPE("hnn::evaluate");
      log.val = validate();
      model_.train();
      if (group && world > 1 && !log.val.empty()) {
        // Rank 0's validation decides the best epoch and early stopping on every rank.
        std::vector<at::Tensor> t{torch::tensor(values_of(log.val), torch::kDouble)};
        group->broadcast(t, 0);
        for (size_t i = 0; i < log.val.size(); ++i) log.val[i].second = t[0][(int64_t)i].item<double>();
      }
    }
    log.seconds = timer.seconds();
    if (prof) {
      const profile::Report rep = prof->report(prof_start);
      profile::append_to_output(rep.markdown(fmt::format("Epoch {} of {}", epoch + 1, op.epochs())));
      fmt::print("profile of epoch {}: {}\n", epoch + 1, rep.summary());
    }
    // The monitored value: from the validation metrics, else from the training metrics (e.g. the
    // training loss when validation reports only an accuracy).
    const std::string key = validate ? op.monitor() : "loss";
    const bool validated = !log.val.empty();
    if (validated || !validate) {
      double v = metric(log.val, key, metric(log.train, key, std::nan("")));
      HNN_CHECK(!std::isnan(v), "trainer: neither validation ({}) nor training ({}) gives '{}' to monitor",
                format_metrics(log.val), format_metrics(log.train), key);
      bool better = maximize ? v > r.best_value : v < r.best_value;
      if (better) {
        log.best = true;
        r.best_value = v;
        r.best_epoch = epoch + 1;
        since_best = 0;
        if (op.restore_best()) snapshot();
      } else {
        ++since_best;
      }
    }
    r.history.push_back(log);
    if (primary && log.best && !op.best_checkpoint().empty()) save_as(op.best_checkpoint(), epoch + 1);
    if (primary && !op.checkpoint().empty()) {
      if (op.checkpoint_every() > 0 && (epoch + 1) % op.checkpoint_every() == 0 && !last)
        save_as(fmt::format("{}-epoch{}", op.checkpoint(), epoch + 1), epoch + 1);
    }
    for (auto& cb : callbacks_) cb->on_epoch_end(log);
    const bool stop = op.patience() > 0 && since_best >= op.patience();
    if (primary && !op.checkpoint().empty() && (last || stop)) save_as(op.checkpoint(), epoch + 1);
    if (stop) {
      r.stopped_early = !last;
      break;
    }
  }
  if (op.restore_best() && !best_state.empty()) {
    torch::NoGradGuard ng;
    size_t i = 0;
    for (auto& p : model_.parameters()) p.copy_(best_state[i++]);
    for (auto& b : model_.buffers()) b.copy_(best_state[i++]);
  }
  set_lr(*optimizer_, base_lr, 1.0);
  for (auto& cb : callbacks_) cb->on_fit_end(r);
  return r;
}

// Callbacks --------------------------------------------------------------------------------------

struct ProgressBar::Bar {
  Bar(int64_t total, std::string label) : p(total, std::move(label), "batch") {}
  Progress p;
};

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)) {}
ProgressBar::~ProgressBar() = default;

void ProgressBar::on_epoch_begin(int64_t epoch, int64_t epochs, int64_t batches) {
  bar_ = std::make_unique<Bar>(batches, fmt::format("{} {}/{}", label_, epoch, epochs));
}

void ProgressBar::on_batch_end(const BatchLog& log) {
  if (bar_) bar_->p.update(1, log.running);
}

void ProgressBar::on_epoch_end(const EpochLog&) {
  if (bar_) bar_->p.finish();
  bar_.reset();
}

EpochLogger::EpochLogger(std::string label) : label_(std::move(label)) {}

void EpochLogger::on_epoch_end(const EpochLog& log) {
  spdlog::info("{}epoch {}/{}: {}{}{} | {:.1f} s", label_.empty() ? "" : label_ + " ", log.epoch, log.epochs,
               format_metrics(log.train), log.val.empty() ? "" : " | val ", format_metrics(log.val), log.seconds);
}

}  // namespace hnn::train
