#include "hnn/plasticity/meta.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "hnn/core/error.h"

namespace hnn::plasticity {
namespace {

std::vector<at::Tensor> grads_of(const at::Tensor& loss, const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> g = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/true,
                                                    /*create_graph=*/false, /*allow_unused=*/true);
  for (size_t i = 0; i < g.size(); ++i)
    if (!g[i].defined()) g[i] = torch::zeros_like(params[i]);
  return g;
}

}  // namespace

std::unique_ptr<torch::optim::Adam> joint_optimizer(const ParameterSplit& split, double global_lr, double local_lr,
                                                    double eps) {
  HNN_CHECK(global_lr > 0 && local_lr > 0, "joint_optimizer: learning rates must be positive, got {} and {}", global_lr,
            local_lr);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!split.global.empty())
    groups.emplace_back(split.global,
                        std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(global_lr).eps(eps)));
  if (!split.local.empty())
    groups.emplace_back(split.local,
                        std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(local_lr).eps(eps)));
  HNN_CHECK(!groups.empty(), "joint_optimizer: the model has no trainable parameters");
  return std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(global_lr).eps(eps));
}

std::vector<at::Tensor> bilevel_meta_gradient(const std::vector<at::Tensor>& global,
                                              const std::vector<at::Tensor>& local,
                                              const std::function<at::Tensor()>& val_loss,
                                              const std::function<at::Tensor()>& train_loss, const BilevelOptions& o) {
  HNN_CHECK(!local.empty(), "bilevel_meta_gradient: no local parameters");
  std::vector<at::Tensor> all = global;
  all.insert(all.end(), local.begin(), local.end());
  std::vector<at::Tensor> g = grads_of(val_loss(), all);
  std::vector<at::Tensor> g_w(g.begin(), g.begin() + (std::ptrdiff_t)global.size());
  std::vector<at::Tensor> g_m(g.begin() + (std::ptrdiff_t)global.size(), g.end());

  double norm2 = 0;
  for (const auto& t : g_w) norm2 += t.pow(2).sum().item<double>();
  const double norm = std::sqrt(norm2);
  if (global.empty() || norm == 0 || o.xi == 0) return g_m;  // no second-order information
  const double eps = std::min(o.fd_scale / norm, o.fd_scale);

  std::vector<at::Tensor> saved;
  for (const auto& w : global) saved.push_back(w.detach().clone());
  auto shift = [&](double s) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < global.size(); ++i) global[i].copy_(saved[i] + s * g_w[i]);
  };
  shift(eps);
  std::vector<at::Tensor> plus = grads_of(train_loss(), local);
  shift(-eps);
  std::vector<at::Tensor> minus = grads_of(train_loss(), local);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < global.size(); ++i) global[i].copy_(saved[i]);
  }
  std::vector<at::Tensor> out;
  double out_norm2 = 0;
  for (size_t i = 0; i < local.size(); ++i) {
    at::Tensor h = (plus[i] - minus[i]) / (2 * eps);
    if (o.clamp > 0) h = h.clamp(-o.clamp, o.clamp);
    out.push_back(g_m[i] - o.xi * h);
    out_norm2 += out.back().pow(2).sum().item<double>();
  }
  const double out_norm = std::sqrt(out_norm2);
  if (o.clip_grad_norm > 0 && out_norm > o.clip_grad_norm)
    for (auto& t : out) t.mul_(o.clip_grad_norm / (out_norm + 1e-6));
  return out;
}

double meta_phase(torch::optim::Optimizer& local_optimizer, const std::vector<at::Tensor>& global, int64_t steps,
                  const std::function<at::Tensor(int64_t)>& replay_loss) {
  HNN_CHECK(steps >= 0, "meta_phase: steps must be non-negative, got {}", steps);
  double sum = 0;
  for (int64_t i = 0; i < steps; ++i) {
    local_optimizer.zero_grad();
    at::Tensor loss = replay_loss(i);
    const double v = loss.item<double>();
    HNN_CHECK(std::isfinite(v), "meta_phase: non-finite loss {} at step {}", v, i);
    loss.backward();
    for (const auto& w : global) {
      auto g = w.grad();
      if (g.defined()) g.zero_();
    }
    local_optimizer.step();
    sum += v;
  }
  return steps > 0 ? sum / static_cast<double>(steps) : 0.0;
}

void assign_gradients(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads) {
  HNN_CHECK(params.size() == grads.size(), "assign_gradients: {} parameters but {} gradients", params.size(),
            grads.size());
  for (size_t i = 0; i < params.size(); ++i) {
    auto p = params[i];
    p.mutable_grad() = grads[i].detach().clone();
  }
}

}  // namespace hnn::plasticity
