#include "hnn/models/hp/multitask.h"

#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <random>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/core/timer.h"
#include "hnn/plasticity/meta.h"
#include "hnn/train/classify.h"
#include "hnn/train/distributed.h"
#include "hnn/train/ewc.h"
#include "hnn/train/trainer.h"
#include "models/hp/config_json.h"

namespace hnn::models::hp {

std::string to_string(MultitaskModel m) {
  switch (m) {
    case MultitaskModel::HP:
      return "hp";
    case MultitaskModel::GP:
      return "gp";
    case MultitaskModel::EWC:
      return "ewc";
  }
  return "?";
}

MultitaskModel parse_multitask_model(const std::string& s) {
  for (MultitaskModel m : {MultitaskModel::HP, MultitaskModel::GP, MultitaskModel::EWC})
    if (s == to_string(m)) return m;
  throw Error(fmt::format("unknown multitask model '{}' (hp, gp or ewc)", s));
}

std::string MultitaskConfig::to_json() const {
  return config_to_json(*this, "hp.multitask");
}

MultitaskConfig MultitaskConfig::from_json(const std::string& text) {
  return config_from_json(MultitaskConfig{}, text, "hp.multitask");
}

Task make_task(const MultitaskConfig& c, int64_t k, uint64_t seed) {
  HNN_CHECK(k >= 0, "multitask: task index {} is negative", k);
  HNN_CHECK(c.sparsity > 0 && c.sparsity <= 1, "multitask: mask density {} is not in (0, 1]", c.sparsity);
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(k),
                    static_cast<uint32_t>(k >> 32), 0x6d74u};
  std::mt19937_64 eng(seq);
  std::vector<int64_t> perm(static_cast<size_t>(c.inputs));
  std::iota(perm.begin(), perm.end(), 0);
  if (k > 0) std::shuffle(perm.begin(), perm.end(), eng);
  Task t;
  t.permutation = torch::tensor(perm, torch::kLong);
  auto gen = at::detail::createCPUGenerator(eng());
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {c.inputs, c.hidden}, {c.hidden, c.hidden}, {c.hidden, c.classes}};
  for (const auto& [in, out] : shapes) t.masks.push_back(torch::empty({in, out}).bernoulli_(c.sparsity, gen));
  return t;
}

MultitaskNetImpl::MultitaskNetImpl(MultitaskConfig c) : config(c) {
  HNN_CHECK(c.inputs > 0 && c.hidden > 0 && c.classes > 0 && c.steps > 0,
            "hp.multitask: sizes and steps must be positive (inputs {}, hidden {}, classes {}, steps {})", c.inputs,
            c.hidden, c.classes, c.steps);
  const bool hp = c.mode == MultitaskModel::HP;
  auto layer = [&](int64_t in, int64_t out) {
    plasticity::TraceOptions trace;
    trace.decay = c.trace_decay;
    trace.clamp = 0;  // no clamp; the trace starts at zero every forward
    return plasticity::PlasticLinearOptions(in, out)
        .bias(false)
        .rule(hp ? plasticity::Rule::TanhHebb : plasticity::Rule::None)
        .combine(c.mode == MultitaskModel::EWC ? plasticity::Combine::Additive : plasticity::Combine::Masked)
        .trace(trace)
        .persistent(false)
        .threshold(c.threshold)
        .decay(c.decay)
        .reset(spike::Reset::Soft)
        .alpha_init({0, 0.1})
        .beta_init({0, 1e-3})
        .eta_init({0, 0});
  };
  fc1 = register_module("fc1", plasticity::PlasticLinear(layer(c.inputs, c.hidden)));
  fc2 = register_module("fc2", plasticity::PlasticLinear(layer(c.hidden, c.hidden)));
  const double bound = 1 / std::sqrt(static_cast<double>(c.hidden));
  readout = register_parameter("readout", torch::empty({c.classes, c.hidden}).uniform_(-bound, bound));
}

at::Tensor MultitaskNetImpl::forward(const at::Tensor& images, const Task& task) {
  const auto& c = config;
  HNN_CHECK(images.dim() >= 2 && images[0].numel() == c.inputs,
            "hp.multitask: expected images [B, ...] with {} values each, got {}", c.inputs, shape_str(images.sizes()));
  HNN_CHECK(task.permutation.defined() && task.permutation.numel() == c.inputs && task.masks.size() == 3,
            "hp.multitask: the task does not fit the network (make_task with this config)");
  at::Tensor x = images.reshape({images.size(0), c.inputs}).index_select(1, task.permutation);
  const bool dense = c.mode == MultitaskModel::EWC;
  const std::vector<double> scale =
      dense ? std::vector<double>(static_cast<size_t>(c.steps), 1.0) : plasticity::attenuations(c.steps, c.tau_w);
  const at::Tensor no_mask;
  auto h = fc1->forward_scaled(x, scale, dense ? no_mask : task.masks[0]);
  at::Tensor p = h.spikes;
  if (!dense) p = p * torch::tensor(scale, x.options()).reshape({-1, 1, 1});
  auto out = fc2->forward(p, dense ? no_mask : task.masks[1]);
  const at::Tensor u = out.membrane[c.steps - 1];
  return u.mm(dense ? readout.t() : readout.t() * task.masks[2]);
}

double multitask_accuracy(MultitaskNet& net, const Task& task, const at::Tensor& images, const at::Tensor& labels,
                          int64_t batch) {
  HNN_CHECK(images.size(0) == labels.size(0) && images.size(0) > 0 && batch > 0,
            "multitask: {} test images for {} labels (batch {})", images.size(0), labels.size(0), batch);
  torch::NoGradGuard no_grad;
  const bool training = net->is_training();
  net->eval();
  int64_t correct = 0;
  for (int64_t i = 0; i < images.size(0); i += batch) {
    const int64_t e = std::min(images.size(0), i + batch);
    correct += net->forward(images.slice(0, i, e), task).argmax(1).eq(labels.slice(0, i, e)).sum().item<int64_t>();
  }
  net->train(training);
  return static_cast<double>(correct) / static_cast<double>(images.size(0));
}

std::vector<MultitaskProgress> train_multitask(MultitaskNet& net, const at::Tensor& train_images,
                                               const at::Tensor& train_labels, const at::Tensor& test_images,
                                               const at::Tensor& test_labels, const MultitaskOptions& o,
                                               const std::function<void()>& on_batch,
                                               const std::function<void(const MultitaskProgress&)>& on_task) {
  const int64_t n = train_images.size(0);
  HNN_CHECK(train_labels.size(0) == n, "multitask: {} training images for {} labels", n, train_labels.size(0));
  HNN_CHECK(o.tasks > 0 && o.epochs > 0 && o.batch > 0 && n >= o.batch,
            "multitask: need tasks, epochs and a batch >= 1 and at least one batch of data (tasks {}, epochs {}, "
            "batch {}, {} images)",
            o.tasks, o.epochs, o.batch, n);
  const MultitaskConfig& c = net->config;
  const at::Tensor x_train = train_images.reshape({n, -1}).to(torch::kFloat);
  auto split = plasticity::split_parameters(*net);
  torch::optim::Adam opt(split.global, torch::optim::AdamOptions(o.lr));
  // The meta phases train alpha, beta, eta on replayed batches of earlier tasks (HP only; the
  // reference's GP ran them with nothing to train).
  std::unique_ptr<torch::optim::Adam> meta;
  if (c.mode == MultitaskModel::HP && !split.local.empty())
    meta = std::make_unique<torch::optim::Adam>(split.local, torch::optim::AdamOptions(o.meta_lr));
  std::unique_ptr<train::Ewc> ewc;
  if (c.mode == MultitaskModel::EWC) ewc = std::make_unique<train::Ewc>(split.global);

  std::mt19937_64 rng(o.seed * 7919 + 17);
  auto gen = at::detail::createCPUGenerator(rng());
  auto batch_loss = [&](const at::Tensor& idx, const Task& task) {
    return train::class_loss(net->forward(x_train.index_select(0, idx), task), train_labels.index_select(0, idx),
                             train::ClassLoss::MseOneHot);
  };
  std::vector<Task> tasks;
  std::vector<MultitaskProgress> log;
  // Data parallelism (train/distributed.h), as in the Trainer: each rank takes its shard of every
  // epoch's order (drawn alike on every rank from the seeded generator), and the global weights'
  // gradients are averaged. The meta phases and the Fisher estimates draw the same batches on
  // every rank, so the local parameters stay equal without communication.
  auto group = train::dist::default_group();
  const int world = group ? group->size() : 1;
  std::unique_ptr<train::dist::GradientReducer> reducer;
  if (group) {
    train::dist::broadcast_module(*group, *net);
    reducer = std::make_unique<train::dist::GradientReducer>(group, split.global);
  }
  const int64_t batches = (n + world - 1) / world / o.batch;  // a partial last batch is dropped
  HNN_CHECK(batches > 0, "multitask: {} images over {} ranks make no batch of {}", n, world, o.batch);
  net->train();
  for (int64_t k = 0; k < o.tasks; ++k) {
    Timer timer;
    tasks.push_back(make_task(c, k, o.seed));
    const Task& task = tasks.back();
    MultitaskProgress p;
    p.task = k;
    for (int64_t ep = 0; ep < o.epochs; ++ep) {
      at::Tensor order = torch::randperm(n, gen, torch::kLong);
      if (group) order = train::dist::shard(order, group->rank(), world);
      double sum = 0;
      for (int64_t b = 0; b < batches; ++b) {
        at::Tensor loss = batch_loss(order.slice(0, b * o.batch, (b + 1) * o.batch), task);
        if (ewc) loss = loss + ewc->penalty(o.ewc_lambda);
        opt.zero_grad();
        const std::string where = fmt::format("task {}, epoch {}, batch {}", k, ep + 1, b + 1);
        const double v = train::check_loss(loss, where);
        if (reducer) reducer->arm();
        train::backward(*net, loss, where);
        if (reducer) reducer->finish();
        opt.step();
        sum += v;
        if (on_batch) on_batch();
      }
      if (group && world > 1) {
        std::vector<at::Tensor> t{torch::tensor({sum}, torch::kDouble)};
        group->all_reduce_sum(t);
        sum = t[0].item<double>() / world;
      }
      p.train_loss = sum / static_cast<double>(batches);
    }
    if (meta && k < o.meta_tasks && o.meta_batches > 0) {
      std::uniform_int_distribution<int64_t> pick_task(0, std::max<int64_t>(0, k - 1));
      p.meta_loss = plasticity::meta_phase(*meta, split.global, o.meta_batches, [&](int64_t) {
        const Task& old = tasks[static_cast<size_t>(k == 0 ? 0 : pick_task(rng))];
        at::Tensor loss = batch_loss(torch::randint(n, {o.batch}, gen, torch::kLong), old);
        if (on_batch) on_batch();
        return loss;
      });
    }
    if (ewc) {
      const int64_t m = std::min(n, o.fisher_samples);
      const at::Tensor pick = torch::randperm(n, gen, torch::kLong).slice(0, 0, m);
      train::FisherOptions fo;
      fo.samples = m;
      fo.seed = rng();
      auto model = [&](const at::Tensor& x) { return net->forward(x, task); };
      ewc->consolidate(train::fisher_diagonal(split.global, model, x_train.index_select(0, pick), {}, fo));
    }
    double total = 0;
    for (const auto& t : tasks) {
      p.accuracies.push_back(multitask_accuracy(net, t, test_images, test_labels));
      total += p.accuracies.back();
    }
    p.mean_accuracy = total / static_cast<double>(tasks.size());
    p.seconds = timer.seconds();
    log.push_back(p);
    if (on_task) on_task(p);
  }
  return log;
}

}  // namespace hnn::models::hp
