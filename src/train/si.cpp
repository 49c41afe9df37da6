#include "hnn/train/si.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::train {

SynapticIntelligence::SynapticIntelligence(std::vector<at::Tensor> params, double xi)
    : params_(std::move(params)), xi_(xi) {
  HNN_CHECK(!params_.empty(), "SynapticIntelligence: no parameters");
  HNN_CHECK(xi > 0, "SynapticIntelligence: xi must be positive, got {}", xi);
  torch::NoGradGuard no_grad;
  for (const auto& p : params_) {
    omega_.push_back(torch::zeros_like(p).detach());
    big_omega_.push_back(torch::zeros_like(p).detach());
    anchor_.push_back(p.detach().clone());
  }
  start_ = anchor_;
  reset_reference();
}

void SynapticIntelligence::reset_reference() {
  prev_.clear();
  for (const auto& p : params_) prev_.push_back(p.detach().clone());
}

void SynapticIntelligence::update() {
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < params_.size(); ++k) {
    const at::Tensor now = params_[k].detach();
    const at::Tensor& g = params_[k].grad();
    if (g.defined()) omega_[k].sub_(g * (now - prev_[k]));
    prev_[k].copy_(now);
  }
}

void SynapticIntelligence::consolidate() {
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < params_.size(); ++k) {
    const at::Tensor now = params_[k].detach();
    // Negative path integrals (momentum can take steps against the gradient) would make the penalty
    // unbounded below; they count as no importance.
    big_omega_[k].add_((omega_[k] / ((now - start_[k]).square() + xi_)).clamp_min(0));
    omega_[k].zero_();
    anchor_[k] = now.clone();
    start_[k] = now.clone();
    prev_[k].copy_(now);
  }
  ++tasks_;
}

at::Tensor SynapticIntelligence::penalty(double c) const {
  at::Tensor total = torch::zeros({}, params_[0].options().requires_grad(false));
  if (tasks_ == 0) return total;
  for (size_t k = 0; k < params_.size(); ++k)
    total = total + (big_omega_[k] * (params_[k] - anchor_[k]).square()).sum();
  return c * total;
}

std::vector<at::Tensor> SynapticIntelligence::state() const {
  std::vector<at::Tensor> s;
  for (const auto* v : {&omega_, &big_omega_, &anchor_, &start_, &prev_})
    for (const auto& t : *v) s.push_back(t.detach().clone());
  s.push_back(torch::tensor({static_cast<double>(tasks_)}, torch::kDouble));
  return s;
}

void SynapticIntelligence::load_state(const std::vector<at::Tensor>& s) {
  const size_t n = params_.size();
  HNN_CHECK(s.size() == 5 * n + 1, "SynapticIntelligence::load_state: {} tensors for {} parameters (expected {})",
            s.size(), n, 5 * n + 1);
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor>* parts[] = {&omega_, &big_omega_, &anchor_, &start_, &prev_};
  for (size_t j = 0; j < 5; ++j)
    for (size_t k = 0; k < n; ++k) {
      const at::Tensor& t = s[j * n + k];
      HNN_CHECK(t.sizes() == params_[k].sizes(),
                "SynapticIntelligence::load_state: tensor {} is {}, parameter {} is {}", j * n + k,
                shape_str(t.sizes()), k, shape_str(params_[k].sizes()));
      (*parts[j])[k] = t.to(params_[k].options().requires_grad(false)).clone();
    }
  tasks_ = static_cast<int64_t>(s.back().item<double>());
}

}  // namespace hnn::train
