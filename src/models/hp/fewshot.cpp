#include "hnn/models/hp/fewshot.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/plasticity/meta.h"
#include "hnn/train/distributed.h"
#include "hnn/train/trainer.h"
#include "models/hp/config_json.h"

namespace hnn::models::hp {

std::string FewShotConfig::to_json() const {
  return config_to_json(*this, "hp.fewshot");
}

FewShotNetImpl::FewShotNetImpl(FewShotConfig c) : config(c) {
  HNN_CHECK(c.mode != Mode::LP, "hp.fewshot: mode must be hp or gp");
  HNN_CHECK(c.way >= 2 && c.shots >= 1 && c.channels > 0, "hp.fewshot: need way >= 2, shots >= 1 (got {}, {})", c.way,
            c.shots);
  auto conv = [&](int64_t in) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c.channels, 3).stride(2).padding(1));
  };
  conv1 = register_module("conv1", conv(1));
  conv2 = register_module("conv2", conv(c.channels));
  conv3 = register_module("conv3", conv(c.channels));
  conv4 = register_module("conv4", conv(c.channels));
  int64_t side = c.image;
  for (int i = 0; i < 4; ++i) side = (side + 1) / 2;
  const bool hp = c.mode == Mode::HP;
  out = register_module("out",
                        plasticity::PlasticLinear(plasticity::PlasticLinearOptions(c.channels * side * side, c.way)
                                                      .bias(false)
                                                      .rule(hp ? plasticity::Rule::SoftmaxHebb : plasticity::Rule::None)
                                                      .combine(plasticity::Combine::Convex)
                                                      .trace(plasticity::TraceOptions{c.trace_decay, 0, false, 0.1})
                                                      .threshold(c.threshold)
                                                      .decay(c.decay)
                                                      .reset(spike::Reset::Hard)
                                                      .alpha_init({0, 0.1})
                                                      .beta_init({0, 0.1})
                                                      .eta_init({0.1, 0.1})));
}

at::Tensor FewShotNetImpl::forward(const at::Tensor& images, const at::Tensor& labels) {
  const auto& c = config;
  HNN_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(2) == c.image && images.size(3) == c.image,
            "hp.fewshot: expected images [S, 1, {0}, {0}], got {1}", c.image, shape_str(images.sizes()));
  HNN_CHECK(labels.dim() == 2 && labels.size(0) == images.size(0) && labels.size(1) == c.way,
            "hp.fewshot: expected labels [{}, {}], got {}", images.size(0), c.way, shape_str(labels.sizes()));
  // The CNN is stateless: all steps' images in one batch.
  auto f = (images - c.mean) / c.stddev;
  for (auto* conv : {&conv1, &conv2, &conv3, &conv4}) f = torch::tanh((*conv)->forward(f));
  f = f.flatten(1);  // [S, 512]
  auto st = out->initial_state();
  at::Tensor u;
  for (int64_t t = 0; t < f.size(0); ++t) {
    auto r = out->step(f.narrow(0, t, 1), st, labels.narrow(0, t, 1) * c.label_current);
    st = std::move(r.state);
    u = r.membrane;
  }
  return torch::softmax(u, 1);
}

EpisodeSampler::EpisodeSampler(at::Tensor images, std::vector<int64_t> classes, uint64_t seed)
    : images_(std::move(images)), classes_(std::move(classes)), rng_(seed) {
  HNN_CHECK(images_.dim() == 5, "episodes: expected a character set [C, K, 1, H, W], got {}",
            shape_str(images_.sizes()));
  for (int64_t c : classes_)
    HNN_CHECK(c >= 0 && c < images_.size(0), "episodes: class {} outside the set of {}", c, images_.size(0));
}

Episode EpisodeSampler::make(const std::vector<int64_t>& cls, const std::vector<int64_t>& order, int64_t target,
                             int64_t shots, double flip_p) {
  const int64_t way = static_cast<int64_t>(cls.size()), k = images_.size(1);
  HNN_CHECK(k > shots, "episodes: {} drawings per character, need more than {} shots", k, shots);
  // Distinct drawings per class within a sequence (the query's differs from its support).
  std::vector<std::vector<int64_t>> drawings(way);
  for (auto& d : drawings) {
    d.resize(k);
    std::iota(d.begin(), d.end(), 0);
    std::shuffle(d.begin(), d.end(), rng_);
  }
  std::vector<int64_t> used(way, 0);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<at::Tensor> imgs;
  auto pick = [&](int64_t slot) {
    auto img = images_[cls[slot]][drawings[slot][used[slot]++]];
    imgs.push_back(flip_p > 0 && coin(rng_) < flip_p ? img.flip({-1}) : img);
  };
  for (int64_t slot : order) pick(slot);
  pick(target);
  Episode e;
  e.images = torch::stack(imgs);
  e.labels = torch::zeros({static_cast<int64_t>(imgs.size()), way});
  for (size_t p = 0; p < order.size(); ++p) e.labels[static_cast<int64_t>(p)][order[p]] = 1;
  e.target = target;
  return e;
}

std::pair<Episode, Episode> EpisodeSampler::task(int64_t way, int64_t shots, double flip_p) {
  HNN_CHECK(way >= 2 && static_cast<size_t>(way) <= classes_.size(), "episodes: {}-way needs {} classes, have {}", way,
            way, classes_.size());
  std::vector<int64_t> pool = classes_;
  std::shuffle(pool.begin(), pool.end(), rng_);
  std::vector<int64_t> cls(pool.begin(), pool.begin() + way);  // class of label slot j: cls[j]
  std::vector<int64_t> order;
  for (int64_t s = 0; s < shots; ++s)
    for (int64_t j = 0; j < way; ++j) order.push_back(j);
  std::shuffle(order.begin(), order.end(), rng_);
  const int64_t target = std::uniform_int_distribution<int64_t>(0, way - 1)(rng_);
  Episode support = make(cls, order, target, shots, flip_p);
  Episode query = make(cls, order, target, shots, flip_p);
  return {std::move(support), std::move(query)};
}

at::Tensor episode_loss(const at::Tensor& output, int64_t target) {
  auto y = torch::zeros_like(output);
  y[0][target] = 1;
  return torch::binary_cross_entropy(output, y);
}

double evaluate_few_shot(FewShotNet& net, EpisodeSampler& sampler, int64_t n) {
  torch::NoGradGuard no_grad;
  net->eval();
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto q = sampler.task(net->config.way, net->config.shots).second;
    correct += net->forward(q.images, q.labels).argmax(1).item<int64_t>() == q.target;
  }
  net->train();
  return static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, n));
}

std::vector<FewShotProgress> train_few_shot(FewShotNet& net, EpisodeSampler& train, EpisodeSampler& test,
                                            const FewShotTrainOptions& o,
                                            const std::function<void(const FewShotProgress&)>& progress) {
  HNN_CHECK(o.iterations > 0 && o.tasks > 0, "few-shot training: iterations and tasks must be positive");
  const auto& c = net->config;
  const bool hp = c.mode == Mode::HP;
  auto split = plasticity::split_parameters(*net);
  torch::optim::Adam global(split.global, torch::optim::AdamOptions(o.global_lr).eps(o.eps));
  torch::optim::Adam meta(split.local, torch::optim::AdamOptions(o.meta_lr).eps(o.eps));
  plasticity::BilevelOptions bo;
  bo.xi = o.xi;
  std::vector<FewShotProgress> log;
  double loss_sum = 0;
  int64_t loss_n = 0;
  net->train();
  // An episode's inner steps adapt the weights one episode after another; there is no batch to
  // share out, so under a process group every rank runs the whole loop (the same, by the seed).
  if (auto group = train::dist::default_group(); group && group->size() > 1 && group->rank() == 0)
    spdlog::warn("few-shot training is episodic and not data-parallel: each of the {} ranks runs all of it",
                 group->size());
  for (int64_t it = 1; it <= o.iterations; ++it) {
    std::vector<std::pair<Episode, Episode>> tasks;
    for (int64_t k = 0; k < o.tasks; ++k) tasks.push_back(train.task(c.way, c.shots, o.flip_p));
    // Inner steps: the global weights on each task's support sequence.
    for (const auto& [support, query] : tasks) {
      global.zero_grad();
      auto loss = episode_loss(net->forward(support.images, support.labels), support.target);
      const std::string where = fmt::format("iteration {}", it);
      loss_sum += train::check_loss(loss, where);
      train::backward(*net, loss, where);
      global.step();
      ++loss_n;
    }
    // Outer step (HP): the local parameters by the second-order meta gradient of task 0.
    if (hp) {
      const Episode& support = tasks.front().first;  // (clang captures no structured binding before C++20)
      const Episode& query = tasks.front().second;
      auto val = [&] { return episode_loss(net->forward(query.images, query.labels), query.target); };
      auto tr = [&] { return episode_loss(net->forward(support.images, support.labels), support.target); };
      auto g = plasticity::bilevel_meta_gradient(split.global, split.local, val, tr, bo);
      global.zero_grad();
      meta.zero_grad();
      plasticity::assign_gradients(split.local, g);
      meta.step();
    }
    if (o.lr_step > 0 && it % o.lr_step == 0) {
      for (auto* opt : {&global, &meta})
        for (auto& group : opt->param_groups()) group.options().set_lr(group.options().get_lr() * o.lr_gamma);
    }
    FewShotProgress p;
    p.iteration = it;
    if (it % o.eval_every == 0 || it == o.iterations) {
      p.train_loss = loss_sum / static_cast<double>(std::max<int64_t>(1, loss_n));
      p.test_accuracy = evaluate_few_shot(net, test, o.eval_episodes);
      loss_sum = 0;
      loss_n = 0;
      log.push_back(p);
    }
    if (progress) progress(p);
  }
  return log;
}

std::vector<double> evaluate_one_shot_runs(FewShotNet& net, const std::vector<at::Tensor>& run_train,
                                           const std::vector<at::Tensor>& run_test,
                                           const std::vector<std::vector<int64_t>>& answers, uint64_t seed) {
  const int64_t way = net->config.way;
  HNN_CHECK(net->config.shots == 1, "one-shot runs: the model must be 1-shot (has {})", net->config.shots);
  HNN_CHECK(run_train.size() == run_test.size() && run_train.size() == answers.size(),
            "one-shot runs: {} training sets, {} test sets, {} answer lists", run_train.size(), run_test.size(),
            answers.size());
  torch::NoGradGuard no_grad;
  net->eval();
  std::mt19937_64 rng(seed);
  std::vector<double> acc;
  for (size_t r = 0; r < run_train.size(); ++r) {
    HNN_CHECK(run_train[r].size(0) == way, "one-shot runs: run {} has {} classes, the model is {}-way", r + 1,
              run_train[r].size(0), way);
    int64_t correct = 0;
    for (int64_t i = 0; i < run_test[r].size(0); ++i) {
      std::vector<int64_t> order(way);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      auto idx = torch::tensor(order, torch::kLong);
      auto images = torch::cat({run_train[r].index_select(0, idx), run_test[r].narrow(0, i, 1)});
      auto labels = torch::zeros({way + 1, way});
      for (int64_t p = 0; p < way; ++p) labels[p][order[p]] = 1;
      correct += net->forward(images, labels).argmax(1).item<int64_t>() == answers[r][i];
    }
    acc.push_back(static_cast<double>(correct) / static_cast<double>(run_test[r].size(0)));
  }
  net->train();
  return acc;
}

}  // namespace hnn::models::hp
