#include "hnn/models/hrn/collision_hu.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"
#include "hnn/core/seed.h"
#include "hnn/train/checkpoint.h"
#include "hnn/train/trainer.h"

namespace hnn::models::hrn {
namespace {

constexpr double kWidth = 480, kHeight = 320;  // CLEVRER frames

torch::nn::Sequential conv_block(int in, int out) {
  return torch::nn::Sequential(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, 3).padding(1)),
                               torch::nn::BatchNorm1d(out), torch::nn::ReLU(),
                               torch::nn::Conv1d(torch::nn::Conv1dOptions(out, out, 3).padding(1)),
                               torch::nn::BatchNorm1d(out), torch::nn::ReLU());
}

float clampf(double v) {
  return (float)std::max(-5.0, std::min(5.0, v));
}

}  // namespace

std::string CollisionHuConfig::to_json() const {
  nlohmann::ordered_json j = {{"model", "hrn-collision-hu"},
                              {"features", kHuFeatures},
                              {"channels", channels},
                              {"levels", levels},
                              {"hidden", hidden},
                              {"steps", steps},
                              {"frame_scale", frame_scale},
                              {"frame_step", frame_step}};
  return j.dump(2);
}

CollisionHuConfig CollisionHuConfig::from_json(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail("{}: invalid JSON at byte {}: {}", where, e.byte, e.what());
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for any type
    fail("{}: invalid JSON: {}", where, e.what());
  }
  // Hostile input: fields of another type than expected are errors, not JSON type errors.
  HNN_CHECK(j.is_object() && j.contains("model") && j["model"] == "hrn-collision-hu",
            "{}: not a collision-HU config (expected \"model\": \"hrn-collision-hu\")", where);
  HNN_CHECK(j.contains("features") && j["features"] == kHuFeatures,
            "{}: feature count {} does not match this build ({})", where,
            j.contains("features") ? j["features"].dump() : "none", kHuFeatures);
  CollisionHuConfig c;
  auto get = [&](const char* k, int& v) {
    if (!j.contains(k)) return;
    HNN_CHECK(j[k].is_number_integer(), "{}: '{}' must be a positive integer", where, k);
    v = json_integer<int>(j[k], fmt::format("{}: '{}'", where, k));
    HNN_CHECK(v > 0, "{}: '{}' must be a positive integer", where, k);
  };
  get("channels", c.channels);
  get("levels", c.levels);
  get("hidden", c.hidden);
  get("steps", c.steps);
  get("frame_scale", c.frame_scale);
  get("frame_step", c.frame_step);
  HNN_CHECK(c.levels < 31 && c.steps % (1 << c.levels) == 0, "{}: steps {} must be divisible by 2^levels", where,
            c.steps);
  return c;
}

at::Tensor pair_features(const data::ClevrerScene& s, int a, int b, int steps) {
  auto x = torch::zeros({kHuFeatures, steps}, torch::kFloat);
  auto acc = x.accessor<float, 2>();
  const int T = std::min<int>(steps, (int)s.trajectory.size());
  struct P {
    bool vis = false;
    double x = 0, y = 0;
  };
  auto find = [&](int t, int id) {
    P p;
    for (const auto& o : s.trajectory[t].objects)
      if (o.id == id && std::isfinite(o.x) && std::isfinite(o.y) && std::fabs(o.x) < 1e4 && std::fabs(o.y) < 1e4) {
        p.vis = true, p.x = o.x / kWidth, p.y = o.y / kHeight;
      }
    return p;
  };
  P prev_a, prev_b;
  for (int t = 0; t < T; ++t) {
    P pa = find(t, a), pb = find(t, b);
    auto put = [&](int c0, const P& p, const P& prev) {
      acc[c0][t] = p.vis;
      if (!p.vis) return;
      acc[c0 + 1][t] = clampf(p.x);
      acc[c0 + 2][t] = clampf(p.y);
      if (prev.vis) acc[c0 + 3][t] = clampf(10 * (p.x - prev.x)), acc[c0 + 4][t] = clampf(10 * (p.y - prev.y));
    };
    put(0, pa, prev_a);
    put(5, pb, prev_b);
    if (pa.vis && pb.vis) {
      double dx = pa.x - pb.x, dy = pa.y - pb.y;
      acc[10][t] = clampf(dx), acc[11][t] = clampf(dy), acc[12][t] = clampf(std::sqrt(dx * dx + dy * dy));
      acc[13][t] = 1;
    }
    prev_a = pa, prev_b = pb;
  }
  return x;
}

CollisionNetImpl::CollisionNetImpl(const CollisionHuConfig& c) : cfg(c) {
  int ch = c.channels;
  down = register_module("down", torch::nn::ModuleList());
  up = register_module("up", torch::nn::ModuleList());
  merge = register_module("merge", torch::nn::ModuleList());
  down->push_back(conv_block(kHuFeatures, ch));
  for (int l = 1; l <= c.levels; ++l) down->push_back(conv_block(ch << (l - 1), ch << l));
  for (int l = c.levels; l >= 1; --l) {
    up->push_back(torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(ch << l, ch << (l - 1), 2).stride(2)));
    merge->push_back(conv_block(ch << l, ch << (l - 1)));
  }
  const int flat = ch * c.steps;
  collide_head = register_module(
      "collide_head",
      torch::nn::Sequential(torch::nn::Linear(flat, c.hidden), torch::nn::ReLU(), torch::nn::Linear(c.hidden, 2)));
  when_head = register_module("when_head", torch::nn::Sequential(torch::nn::Linear(flat, c.hidden), torch::nn::ReLU(),
                                                                 torch::nn::Linear(c.hidden, 1)));
}

std::pair<at::Tensor, at::Tensor> CollisionNetImpl::forward(const at::Tensor& x) {
  std::vector<at::Tensor> skips;
  at::Tensor h = x;
  for (int l = 0; l <= cfg.levels; ++l) {
    if (l > 0) h = torch::max_pool1d(h, 2);
    h = down[l]->as<torch::nn::Sequential>()->forward(h);
    if (l < cfg.levels) skips.push_back(h);
  }
  for (int l = 0; l < cfg.levels; ++l) {
    h = up[l]->as<torch::nn::ConvTranspose1d>()->forward(h);
    h = torch::cat({h, skips[cfg.levels - 1 - l]}, 1);
    h = merge[l]->as<torch::nn::Sequential>()->forward(h);
  }
  auto f = h.flatten(1);
  return {collide_head->forward(f), torch::sigmoid(when_head->forward(f)).squeeze(1)};
}

PairSet make_pair_set(const std::vector<data::ClevrerScene>& scenes, const CollisionHuConfig& cfg) {
  PairSet set;
  std::vector<std::array<int, 3>> ids;
  for (const auto& s : scenes)
    for (int a = 0; a < (int)s.objects.size(); ++a)
      for (int b = a + 1; b < (int)s.objects.size(); ++b) ids.push_back({s.video, a, b});
  const int64_t n = (int64_t)ids.size();
  set.x = torch::zeros({n, kHuFeatures, cfg.steps}, torch::kFloat);
  set.collide = torch::zeros({n}, torch::kLong);
  set.when = torch::zeros({n}, torch::kFloat);
  set.count = torch::zeros({n}, torch::kLong);
  std::vector<int64_t> first(scenes.size() + 1, 0);
  for (size_t i = 0; i < scenes.size(); ++i) {
    int k = (int)scenes[i].objects.size();
    first[i + 1] = first[i] + k * (k - 1) / 2;
  }
  auto col = set.collide.accessor<int64_t, 1>();
  auto when = set.when.accessor<float, 1>();
  auto count = set.count.accessor<int64_t, 1>();
  at::parallel_for(0, (int64_t)scenes.size(), 16, [&](int64_t b0, int64_t e0) {
    for (int64_t i = b0; i < e0; ++i) {
      const auto& s = scenes[i];
      int64_t r = first[i];
      for (int a = 0; a < (int)s.objects.size(); ++a)
        for (int b = a + 1; b < (int)s.objects.size(); ++b, ++r) {
          set.x[r].copy_(pair_features(s, a, b, cfg.steps));
          int frame = -1;
          for (const auto& c : s.collisions)
            if ((c.a == a && c.b == b) || (c.a == b && c.b == a)) {
              frame = frame < 0 ? c.frame : std::min(frame, c.frame);
              ++count[r];
            }
          col[r] = frame >= 0;
          when[r] = frame >= 0 ? (float)frame / cfg.frame_scale : 0.f;
        }
    }
  });
  set.ids = std::move(ids);
  return set;
}

CollisionHu::CollisionHu(const CollisionHuConfig& cfg) : cfg_(cfg), net_(cfg) {
  HNN_CHECK(cfg.steps % (1 << cfg.levels) == 0, "collision HU: steps {} must be divisible by 2^levels ({})", cfg.steps,
            1 << cfg.levels);
}

CollisionHu CollisionHu::load(const std::string& path) {
  CollisionHu hu(CollisionHuConfig::from_json(train::read_checkpoint_config(path), path));
  train::load_checkpoint(path, *hu.net_);
  hu.net_->eval();
  return hu;
}

void CollisionHu::save(const std::string& path) const {
  train::CheckpointMeta meta;
  meta.config = cfg_.to_json();
  train::save_checkpoint(path, *net_, meta);
}

std::pair<at::Tensor, at::Tensor> CollisionHu::predict(const PairSet& set, int batch) {
  torch::NoGradGuard ng;
  net_->eval();
  std::vector<at::Tensor> ps, ws;
  for (int64_t i = 0; i < set.size(); i += batch) {
    auto [logits, when] = net_->forward(set.x.narrow(0, i, std::min<int64_t>(batch, set.size() - i)));
    ps.push_back(torch::softmax(logits, 1).select(1, 1));
    ws.push_back(when * cfg_.frame_scale);
  }
  if (ps.empty()) return {torch::zeros({0}), torch::zeros({0})};
  return {torch::cat(ps), torch::cat(ws)};
}

HuMetrics CollisionHu::evaluate(const PairSet& set, double threshold, int batch) {
  HuMetrics m;
  auto [prob, frame] = predict(set, batch);
  auto pred = prob >= threshold;
  auto truth = set.collide.to(torch::kBool);
  m.tp = (pred & truth).sum().item<int64_t>();
  m.fp = (pred & ~truth).sum().item<int64_t>();
  m.fn = (~pred & truth).sum().item<int64_t>();
  m.tn = (~pred & ~truth).sum().item<int64_t>();
  m.precision = m.tp + m.fp ? (double)m.tp / (m.tp + m.fp) : 0;
  m.recall = m.tp + m.fn ? (double)m.tp / (m.tp + m.fn) : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  const int64_t events = set.count.sum().item<int64_t>();
  m.event_recall = events ? (double)set.count.masked_select(pred).sum().item<int64_t>() / events : 0;
  auto both = pred & truth;
  if (m.tp > 0)
    m.frame_error =
        (frame.masked_select(both) - (set.when * cfg_.frame_scale).masked_select(both)).abs().mean().item<double>();
  return m;
}

std::vector<std::pair<HuMetrics, HuMetrics>> CollisionHu::train(const PairSet& tr, const PairSet& val,
                                                                const HuTrainOptions& opt) {
  HNN_CHECK(tr.size() > 0, "collision HU: empty training set");
  // Cosine decay of the learning rate over the run; the weights of the epoch with the best
  // validation F1 are kept.
  train::Trainer trainer(*net_, train::TrainerOptions()
                                    .epochs(opt.epochs)
                                    .batch_size(opt.batch)
                                    .lr(opt.lr)
                                    .schedule("cosine")
                                    .monitor("f1")
                                    .maximize(true)
                                    .restore_best(val.size() > 0)
                                    .model_config(cfg_.to_json()));
  for (auto& cb : opt.callbacks) trainer.add_callback(cb);
  std::vector<std::pair<HuMetrics, HuMetrics>> history;
  auto step = [&](const at::Tensor& idx) {
    auto x = tr.x.index_select(0, idx), y = tr.collide.index_select(0, idx), w = tr.when.index_select(0, idx);
    auto [logits, when] = net_->forward(x);
    auto ce = torch::nn::functional::cross_entropy(logits, y);
    auto pos = y.to(torch::kBool);
    auto mse = pos.any().item<bool>() ? torch::mse_loss(when.masked_select(pos), w.masked_select(pos))
                                      : torch::zeros({}, torch::kFloat);
    return train::StepResult{5 * ce + mse};
  };
  train::ValidateFn validate;
  if (val.size() > 0)
    validate = [&] {
      HuMetrics mv = evaluate(val);
      history.push_back({HuMetrics{}, mv});
      return train::Metrics{
          {"precision", mv.precision}, {"recall", mv.recall}, {"f1", mv.f1}, {"frame_error", mv.frame_error}};
    };
  auto result = trainer.fit(tr.size(), step, validate);
  history.resize(result.history.size());
  for (size_t e = 0; e < result.history.size(); ++e)
    history[e].first.loss = train::metric(result.history[e].train, "loss");
  net_->eval();
  return history;
}

std::vector<std::vector<PairPrediction>> CollisionHu::predict_scenes(const std::vector<data::ClevrerScene>& scenes) {
  PairSet set = make_pair_set(scenes, cfg_);
  auto [prob, frame] = predict(set);
  std::vector<std::vector<PairPrediction>> out(scenes.size());
  auto pa = prob.accessor<float, 1>(), fa = frame.accessor<float, 1>();
  const int step = std::max(1, cfg_.frame_step);
  int64_t r = 0;  // rows are the pairs a < b of each scene, in scene order
  for (size_t si = 0; si < scenes.size(); ++si) {
    const int k = (int)scenes[si].objects.size();
    for (int a = 0; a < k; ++a)
      for (int b = a + 1; b < k; ++b, ++r) {
        PairPrediction p;
        p.a = a, p.b = b;
        p.prob = pa[r];
        p.frame = (int)std::lround(fa[r] / step) * step;
        out[si].push_back(p);
      }
  }
  return out;
}

data::ClevrerScene CollisionHu::with_collisions(const data::ClevrerScene& s, const std::vector<PairPrediction>& preds,
                                                double threshold) {
  data::ClevrerScene out = s;
  out.collisions.clear();
  const int last = s.trajectory.empty() ? 0 : s.trajectory.back().frame;
  for (const auto& p : preds)
    if (p.prob >= threshold) out.collisions.push_back({std::max(0, std::min(last, p.frame)), p.a, p.b});
  return out;
}

Split split_of(int video) {
  int r = ((video % 10) + 10) % 10;
  return r < 8 ? Split::Train : r == 8 ? Split::Val : Split::Test;
}

}  // namespace hnn::models::hrn
