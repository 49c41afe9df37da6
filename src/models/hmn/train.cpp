#include "hnn/models/hmn/train.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"
#include "hnn/core/shape.h"
#include "hnn/core/timer.h"
#include "hnn/train/checkpoint.h"
#include "hnn/train/classify.h"
#include "hnn/train/ewc.h"
#include "hnn/train/sgd_momentum.h"
#include "hnn/train/si.h"
#include "hnn/train/trainer.h"

namespace hnn::models::hmn {

namespace {

// A batch of `set` with the inputs permuted: float [T, B, D].
at::Tensor permuted_batch(const FrameSet& set, const at::Tensor& indices, const at::Tensor& permutation) {
  const at::Tensor f = set.frames.index_select(0, indices);
  return f.reshape({f.size(0), f.size(1), -1})
      .index_select(2, permutation)
      .to(torch::kFloat)
      .transpose(0, 1)
      .contiguous();
}

int64_t first_n(int64_t limit, int64_t size) {
  return limit > 0 ? std::min(limit, size) : size;
}

// The step schedule's milestone as the Trainer's fraction of the epochs.
double milestone_fraction(int64_t milestone, int64_t epochs) {
  return std::clamp(static_cast<double>(milestone) / static_cast<double>(epochs), 0.0, 1.0);
}

class Hooks : public train::Callback {
 public:
  explicit Hooks(std::function<void(const train::BatchLog&)> fn) : fn_(std::move(fn)) {}
  explicit Hooks(const std::function<void()>& fn) : fn_([fn](const train::BatchLog&) { fn(); }) {}
  void on_batch_end(const train::BatchLog& b) override { fn_(b); }

 private:
  std::function<void(const train::BatchLog&)> fn_;
};

template <class Net>
torch::Device device_of(const Net& net) {
  const auto params = net->parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params[0].device();
}

// Inputs for the branch: on its device, in its dtype (float frames for a double branch in tests).
at::TensorOptions inputs_for(const Branch& net) {
  return at::TensorOptions().device(net->fc1->weight.device()).dtype(net->fc1->weight.scalar_type());
}

// Eval mode and no gradients for a scope; the training flag is restored at its end.
template <class Net>
class Inference {
 public:
  explicit Inference(Net& net) : net_(net), training_(net->is_training()) { net_->eval(); }
  ~Inference() { net_->train(training_); }
  Inference(const Inference&) = delete;
  Inference& operator=(const Inference&) = delete;

 private:
  Net& net_;
  bool training_;
  torch::NoGradGuard no_grad_;
};

// fn(indices) for consecutive batches of 0 .. n-1.
template <class Fn>
void for_batches(int64_t n, int64_t batch, Fn&& fn) {
  for (int64_t i = 0; i < n; i += batch) fn(torch::arange(i, std::min(n, i + batch), torch::kLong));
}

at::Generator generator(uint64_t seed, uint64_t stream) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(stream),
                    static_cast<uint32_t>(stream >> 32), 0x686du};
  std::mt19937_64 eng(seq);
  return at::detail::createCPUGenerator(eng());
}

}  // namespace

at::Tensor task_batch(const FrameSet& set, const at::Tensor& indices, const TaskSet& tasks, int64_t k) {
  HNN_CHECK(k >= 0 && k < tasks.size(), "hmn: task {} of {}", k, tasks.size());
  HNN_CHECK(set.frames[0][0].numel() == tasks.options.dims, "hmn: the frames have {} inputs, the tasks {}",
            set.frames[0][0].numel(), tasks.options.dims);
  return permuted_batch(set, indices, tasks.permutations[k]);
}

// ---- stage 1 ---------------------------------------------------------------------------------

std::vector<BackboneEpoch> train_backbone(Backbone& net, const FrameSet& train, const TaskSet& tasks,
                                          const BackboneOptions& o, const std::function<void()>& on_batch,
                                          const std::function<void(const BackboneEpoch&)>& on_epoch) {
  const std::vector<int64_t> pool = tasks.stage1_tasks();
  HNN_CHECK(pool.size() >= 2, "hmn backbone: {} stage-1 tasks, need at least 2", pool.size());
  const int64_t n = first_n(o.samples, train.size());
  HNN_CHECK(n >= 2, "hmn backbone: {} training samples, need at least 2", n);
  const int64_t batch = std::min(o.batch, n);
  train::Trainer trainer(*net, train::TrainerOptions()
                                   .epochs(o.epochs)
                                   .batch_size(batch)
                                   .drop_last(true)
                                   .optimizer("sgd")
                                   .momentum(0)
                                   .lr(o.lr)
                                   .schedule("step")
                                   .milestone(milestone_fraction(o.milestone, o.epochs))
                                   .checkpoint(o.checkpoint)
                                   .resume(o.resume)
                                   .model_config(net->config.to_json()));
  if (on_batch) trainer.add_callback(std::make_shared<Hooks>(on_batch));
  std::vector<BackboneEpoch> log;
  trainer.add_callback(std::make_shared<train::OnEpochEnd>([&](const train::EpochLog& e) {
    BackboneEpoch b{e.epoch, e.epochs, train::metric(e.train, "loss"), train::metric(e.train, "on"), e.seconds};
    log.push_back(b);
    if (on_epoch) on_epoch(b);
  }));
  const torch::Device dev = device_of(net);
  std::mt19937_64 rng(o.seed * 6364136223846793005ull + 1442695040888963407ull);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  trainer.fit(n, [&](const at::Tensor& idx) {
    const int64_t a = pool[pick(rng)];
    int64_t b = pool[pick(rng)];
    while (b == a) b = pool[pick(rng)];
    const double s = tasks.permutations[a].eq(tasks.permutations[b]).to(torch::kDouble).mean().item<double>();
    const at::Tensor ga = net->forward(task_batch(train, idx, tasks, a).to(dev));
    const at::Tensor gb = net->forward(task_batch(train, idx, tasks, b).to(dev));
    at::Tensor loss = conjugate_loss(ga[0], gb[0], s, o.loss) + conjugate_loss(ga[1], gb[1], s, o.loss);
    return train::StepResult{loss, {{"on", ga.detach().mean().item<double>()}}};
  });
  return log;
}

at::Tensor task_signals(Backbone& net, const FrameSet& set, const TaskSet& tasks, const std::vector<int64_t>& ids,
                        int64_t samples, int64_t batch) {
  HNN_CHECK(batch > 0, "hmn signals: batch must be positive");
  const int64_t n = first_n(samples, set.size());
  HNN_CHECK(n > 0, "hmn signals: no samples");
  Inference<Backbone> inference(net);
  const torch::Device dev = device_of(net);
  std::vector<at::Tensor> out;
  for (int64_t k : ids) {
    at::Tensor sum;
    for_batches(n, batch, [&](const at::Tensor& idx) {
      const at::Tensor g = net->forward(task_batch(set, idx, tasks, k).to(dev)).sum(1).cpu();  // [2, C]
      sum = sum.defined() ? sum + g : g;
    });
    const at::Tensor mean = sum / static_cast<double>(n);
    out.push_back(torch::stack({task_signal(mean[0].unsqueeze(0)), task_signal(mean[1].unsqueeze(0))}));
  }
  return torch::stack(out);
}

at::Tensor random_signals(int64_t tasks, int64_t channels, double keep, uint64_t seed) {
  HNN_CHECK(keep > 0 && keep <= 1, "xdg: the fraction kept must lie in (0, 1], got {}", keep);
  std::vector<at::Tensor> out;
  for (int64_t k = 0; k < tasks; ++k) {
    auto gen = generator(seed, static_cast<uint64_t>(k));
    out.push_back(torch::rand({2, channels}, gen).ge(1 - keep).to(torch::kFloat));
  }
  return torch::stack(out);
}

// ---- methods ---------------------------------------------------------------------------------

std::vector<std::string> method_names() {
  return {"hmn", "hmn+ewc", "plain", "xdg", "ewc", "si", "ann-only", "snn-only"};
}

std::string to_string(Method m) {
  return method_names()[static_cast<size_t>(m)];
}

Method parse_method(const std::string& s) {
  const auto names = method_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) return static_cast<Method>(i);
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  fail("unknown hmn method '{}' (expected one of {})", s, all);
}

bool uses_backbone(Method m) {
  return m == Method::Hmn || m == Method::HmnEwc || m == Method::AnnOnly || m == Method::SnnOnly;
}
bool uses_ewc(Method m) {
  return m == Method::Ewc || m == Method::HmnEwc;
}

// ---- stage 2 ---------------------------------------------------------------------------------

double ContinualLog::mean_accuracy(size_t row) const {
  HNN_CHECK(row < accuracy.size() && !accuracy[row].empty(), "hmn log: no evaluation {}", row);
  double s = 0;
  for (double a : accuracy[row]) s += a;
  return s / static_cast<double>(accuracy[row].size());
}

std::string ContinualLog::to_json() const {
  nlohmann::json j = {{"sequence", sequence},
                      {"evaluated_after", evaluated_after},
                      {"accuracy", accuracy},
                      {"train_loss", train_loss},
                      {"seconds", seconds}};
  return j.dump();
}

ContinualLog ContinualLog::from_json(const std::string& text) {
  ContinualLog l;
  try {
    const auto j = nlohmann::json::parse(text);
    l.sequence = json_get<std::vector<int64_t>>(j.at("sequence"), "sequence");
    l.evaluated_after = json_get<std::vector<int64_t>>(j.at("evaluated_after"), "evaluated_after");
    l.accuracy = j.at("accuracy").get<std::vector<std::vector<double>>>();
    l.train_loss = j.at("train_loss").get<std::vector<double>>();
    l.seconds = j.at("seconds").get<std::vector<double>>();
  } catch (const std::exception& e) {
    throw Error(fmt::format("hmn log: {}", e.what()));
  }
  return l;
}

double permutation_accuracy(Branch& net, const FrameSet& test, const at::Tensor& permutation, const at::Tensor& signals,
                            int64_t samples, int64_t batch) {
  HNN_CHECK(batch > 0, "hmn accuracy: batch must be positive");
  const int64_t n = first_n(samples, test.size());
  HNN_CHECK(n > 0, "hmn accuracy: no test samples");
  Inference<Branch> inference(net);
  const torch::Device dev = device_of(net);
  const at::Tensor g = signals.defined() ? signals.to(dev) : at::Tensor();
  int64_t correct = 0;
  for_batches(n, batch, [&](const at::Tensor& idx) {
    const at::Tensor out = net->forward(permuted_batch(test, idx, permutation).to(inputs_for(net)), g).out.cpu();
    correct += out.argmax(1).eq(test.labels.index_select(0, idx)).sum().item<int64_t>();
  });
  return static_cast<double>(correct) / static_cast<double>(n);
}

double task_accuracy(Branch& net, const FrameSet& test, const TaskSet& tasks, int64_t task, const at::Tensor& signals,
                     int64_t samples, int64_t batch) {
  HNN_CHECK(task >= 0 && task < tasks.size(), "hmn: task {} of {}", task, tasks.size());
  return permutation_accuracy(net, test, tasks.permutations[task], signals, samples, batch);
}

at::Tensor hidden_profile(Branch& net, const FrameSet& test, const TaskSet& tasks, const std::vector<int64_t>& ids,
                          const at::Tensor& signals, int64_t samples, int64_t batch) {
  const int64_t n = first_n(samples, test.size());
  HNN_CHECK(n > 0 && batch > 0, "hmn hidden profile: no samples");
  Inference<Branch> inference(net);
  const torch::Device dev = device_of(net);
  std::vector<at::Tensor> rows;
  for (size_t j = 0; j < ids.size(); ++j) {
    const at::Tensor g = signals.defined() ? signals[static_cast<int64_t>(j)].to(dev) : at::Tensor();
    at::Tensor sum;
    for_batches(n, batch, [&](const at::Tensor& idx) {
      const at::Tensor h =
          net->forward(task_batch(test, idx, tasks, ids[j]).to(inputs_for(net)), g).hidden2.sum(0).cpu();
      sum = sum.defined() ? sum + h : h;
    });
    rows.push_back(sum / static_cast<double>(n));
  }
  return torch::stack(rows);
}

namespace {

std::string checkpoint_config(const Branch& net, Method m, const ContinualLog& log) {
  auto j = nlohmann::json::parse(net->config.to_json());
  j["method"] = to_string(m);
  j["log"] = nlohmann::json::parse(log.to_json());
  return j.dump();
}

}  // namespace

ContinualLog train_continual(Branch& net, Method method, const FrameSet& train, const FrameSet& test,
                             const TaskSet& tasks, const std::vector<int64_t>& sequence, at::Tensor signals,
                             const ContinualOptions& o, const std::function<void()>& on_batch,
                             const std::function<void(int64_t, const ContinualLog&)>& on_task) {
  const auto K = static_cast<int64_t>(sequence.size());
  const int64_t C = net->config.channels;
  HNN_CHECK(K > 0, "hmn continual: no tasks");
  HNN_CHECK(o.epochs > 0 && o.batch > 0 && o.eval_every > 0,
            "hmn continual: epochs, batch and eval_every must be positive");
  HNN_CHECK(net->config.spiking == (method != Method::AnnOnly), "hmn continual: method {} needs a {} branch",
            to_string(method), method == Method::AnnOnly ? "non-spiking" : "spiking");
  if (method == Method::Xdg && !signals.defined()) signals = random_signals(K, C, o.xdg_keep, o.seed);
  if (uses_backbone(method) || method == Method::Xdg) {
    HNN_CHECK(
        signals.defined() && signals.dim() == 3 && signals.size(0) == K && signals.size(1) == 2 && signals.size(2) == C,
        "hmn continual: method {} needs signals [{}, 2, {}], got {}", to_string(method), K, C,
        signals.defined() ? shape_str(signals.sizes()) : std::string("none"));
  } else {
    signals = at::Tensor();
  }
  const int64_t n = first_n(o.train_samples, train.size());
  HNN_CHECK(n > 0, "hmn continual: no training samples");
  const torch::Device dev = device_of(net);
  const at::Tensor labels = train.labels.slice(0, 0, n).to(dev);
  if (signals.defined()) signals = signals.to(dev);

  auto params = net->parameters();
  auto opt = std::make_shared<torch::optim::SGD>(params, torch::optim::SGDOptions(o.lr).momentum(o.momentum));
  std::unique_ptr<train::Ewc> ewc;
  std::unique_ptr<train::SynapticIntelligence> si;
  if (uses_ewc(method)) ewc = std::make_unique<train::Ewc>(params);
  if (method == Method::Si) si = std::make_unique<train::SynapticIntelligence>(params, o.si_xi);

  ContinualLog log;
  log.sequence = sequence;
  const std::string reg_path = o.checkpoint + ".reg";
  if (o.resume && !o.checkpoint.empty() && file_exists(o.checkpoint)) {
    const auto meta = train::load_checkpoint(o.checkpoint, *net, opt.get(), train::LoadOptions{true, true, true});
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(meta.config);
      HNN_CHECK(j.is_object() && j.value("method", "") == to_string(method),
                "cannot resume '{}': it is a {} run, not {}", o.checkpoint,
                j.is_object() ? j.value("method", "?") : std::string("?"), to_string(method));
      log = ContinualLog::from_json(j.at("log").dump());
    } catch (const nlohmann::json::exception& e) {
      fail("cannot resume '{}': bad config in the checkpoint ({})", o.checkpoint, e.what());
    }
    HNN_CHECK(log.sequence == sequence, "cannot resume '{}': it learned another task sequence", o.checkpoint);
    if (ewc || si) {
      HNN_CHECK(file_exists(reg_path), "cannot resume '{}': its regulariser state '{}' is missing", o.checkpoint,
                reg_path);
      std::vector<at::Tensor> state;
      torch::load(state, reg_path);
      if (ewc) ewc->load_state(state);
      if (si) {
        si->load_state(state);
        si->reset_reference();
      }
    }
  }
  for (auto i = static_cast<int64_t>(log.train_loss.size()); i < K; ++i) {
    Timer timer;
    const int64_t task = sequence[static_cast<size_t>(i)];
    const at::Tensor g = signals.defined() ? signals[i] : at::Tensor();
    // With active_only the task's switched-on part is trained alone (see after the fit).
    const bool active = net->config.active_only && g.defined();
    const ActiveSet on = active ? ActiveSet::of(g) : ActiveSet{};
    Branch part = active ? active_part(net, on) : net;
    const auto blocks = active ? active_blocks(*net, on) : std::vector<ParameterBlock>{};
    const auto pp = part->parameters();
    auto part_opt = opt;
    // EWC on the part: its block of A and m (the rest's penalty is added after the fit).
    std::unique_ptr<train::Ewc> part_ewc;
    if (active) {
      part_opt = std::make_shared<torch::optim::SGD>(pp, torch::optim::SGDOptions(o.lr).momentum(o.momentum));
      for (size_t k = 0; k < pp.size(); ++k) {
        const at::Tensor buf = train::sgd_momentum(*opt, params[k]);
        if (buf.defined()) train::set_sgd_momentum(*part_opt, pp[k], gather_block(buf, blocks[k]).clone());
      }
      if (ewc) {
        part_ewc = std::make_unique<train::Ewc>(pp);
        std::vector<at::Tensor> state;
        for (size_t k = 0; k < pp.size(); ++k) state.push_back(gather_block(ewc->precision()[k], blocks[k]));
        for (size_t k = 0; k < pp.size(); ++k) state.push_back(gather_block(ewc->anchor()[k], blocks[k]));
        state.push_back(torch::tensor({0.0, static_cast<double>(ewc->tasks())}, torch::kDouble));
        part_ewc->load_state(state);
      }
    }
    const train::Ewc* penalty = part_ewc ? part_ewc.get() : ewc.get();
    train::Trainer trainer(*part, train::TrainerOptions()
                                      .epochs(o.epochs)
                                      .batch_size(o.batch)
                                      .optimizer("sgd")
                                      .lr(o.lr)
                                      .momentum(o.momentum)
                                      .schedule("step")
                                      .milestone(milestone_fraction(o.milestone, o.epochs)));
    trainer.set_optimizer(part_opt);
    // Per step: its learning rate; its weight in the logged (last epoch's) loss, else 0.
    std::vector<double> lrs, step_samples;
    trainer.add_callback(std::make_shared<Hooks>([&](const train::BatchLog& b) {
      lrs.push_back(b.lr);
      step_samples.push_back(b.epoch == o.epochs ? b.samples : 0.0);
      if (si) si->update();
      if (on_batch) on_batch();
    }));
    const auto fit = trainer.fit(n, [&](const at::Tensor& idx) {
      const at::Tensor x = task_batch(train, idx, tasks, task).to(inputs_for(net));
      const at::Tensor out = active ? part->forward(x).out : net->forward(x, g).out;
      const at::Tensor y = labels.index_select(0, idx.to(dev));
      at::Tensor loss = train::class_loss(out, y, train::ClassLoss::CrossEntropy);
      if (penalty) loss = loss + penalty->penalty(o.ewc_lambda);
      if (si) loss = loss + si->penalty(o.si_c);
      const double acc = out.detach().argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
      return train::StepResult{loss, {{"accuracy", acc}}};
    });
    log.train_loss.push_back(train::metric(fit.history.back().train, "loss"));
    if (active) {
      // The whole branch's optimiser, had it run the task: the loss's gradient of every weight
      // outside the part is 0 (its neuron is silent, or its input is), so each step only decays the
      // momentum v and moves the weight by lr v. Over the task's S steps: w -= sum_j lr_j m^j v,
      // v *= m^S. With EWC the rest also has the penalty's gradient: its steps are run element by
      // element (train::penalty_only_sgd_steps), and its penalty is added to the logged loss. The
      // part's weights and momentum then go back into their block.
      torch::NoGradGuard ng;
      double shift = 0, decay = 1;
      for (double lr : lrs) decay *= o.momentum, shift += lr * decay;
      const bool rest_penalty = part_ewc && ewc->tasks() > 0;
      std::vector<double> rest(lrs.size(), 0.0);
      for (size_t k = 0; k < pp.size(); ++k) {
        at::Tensor buf = train::sgd_momentum(*opt, params[k]);
        const at::Tensor part_buf = train::sgd_momentum(*part_opt, pp[k]);
        if (buf.defined() && rest_penalty) {
          at::Tensor skip = torch::zeros(params[k].sizes(), params[k].options().dtype(torch::kBool));
          scatter_block(skip, blocks[k], torch::ones(pp[k].sizes(), skip.options()));
          at::Tensor w = params[k];
          const auto pen = train::penalty_only_sgd_steps(w, buf, ewc->precision()[k], ewc->anchor()[k], skip,
                                                         o.ewc_lambda, o.momentum, lrs);
          for (size_t j = 0; j < rest.size(); ++j) rest[j] += pen[j];
        } else if (buf.defined()) {
          params[k].add_(buf, -shift);
          buf.mul_(decay);
        } else if (part_buf.defined()) {
          buf = torch::zeros_like(params[k]);
          train::set_sgd_momentum(*opt, params[k], buf);
        }
        scatter_block(params[k], blocks[k], pp[k]);
        if (part_buf.defined()) scatter_block(buf, blocks[k], part_buf);
      }
      if (rest_penalty) {
        double weight = 0, sum = 0;
        for (size_t j = 0; j < rest.size(); ++j)
          weight += step_samples[j], sum += step_samples[j] * (rest[j] + 0.5 * o.ewc_lambda * ewc->offset());
        if (weight > 0) log.train_loss.back() += sum / weight;
      }
    }
    if (ewc) {
      auto gen = generator(o.seed, 1000 + static_cast<uint64_t>(i));
      const int64_t m = std::min(n, o.fisher_samples);
      const at::Tensor pick = torch::randperm(n, gen, torch::kLong).slice(0, 0, m);
      const at::Tensor x =
          task_batch(train, pick, tasks, task).transpose(0, 1).contiguous().to(inputs_for(net));  // [m, T, D]
      train::FisherOptions fo;
      fo.samples = m;
      fo.seed = o.seed * 31 + static_cast<uint64_t>(i);
      std::vector<at::Tensor> fisher;
      if (active) {
        // Outside the part every per-sample gradient is 0, and so is the Fisher.
        auto model = [&](const at::Tensor& xb) { return part->forward(xb.transpose(0, 1)).out; };
        const auto fp = train::fisher_diagonal(pp, model, x, {}, fo);
        for (size_t k = 0; k < pp.size(); ++k) {
          at::Tensor f = torch::zeros(params[k].sizes(), fp[k].options());
          scatter_block(f, blocks[k], fp[k]);
          fisher.push_back(f);
        }
      } else {
        auto model = [&](const at::Tensor& xb) { return net->forward(xb.transpose(0, 1), g).out; };
        fisher = train::fisher_diagonal(params, model, x, {}, fo);
      }
      ewc->consolidate(fisher);
    }
    if (si) si->consolidate();
    if ((i + 1) % o.eval_every == 0 || i + 1 == K) {
      std::vector<double> row;
      for (int64_t j = 0; j <= i; ++j)
        row.push_back(task_accuracy(net, test, tasks, sequence[static_cast<size_t>(j)],
                                    signals.defined() ? signals[j] : at::Tensor(), o.test_samples));
      log.evaluated_after.push_back(i);
      log.accuracy.push_back(row);
    }
    log.seconds.push_back(timer.seconds());
    if (!o.checkpoint.empty()) {
      train::CheckpointMeta meta;
      meta.config = checkpoint_config(net, method, log);
      meta.epoch = i + 1;
      train::save_checkpoint(o.checkpoint, *net, meta, opt.get());
      if (ewc || si) {
        const auto state = ewc ? ewc->state() : si->state();
        write_atomically(reg_path, [&](const std::string& tmp) { torch::save(state, tmp); });
      }
    }
    if (on_task) on_task(i, log);
  }
  return log;
}

}  // namespace hnn::models::hmn
