#include "hnn/train/ewc.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::train {

std::string to_string(FisherLabel l) {
  switch (l) {
    case FisherLabel::Sampled:
      return "sampled";
    case FisherLabel::Predicted:
      return "predicted";
    case FisherLabel::True:
      return "true";
  }
  return "?";
}

FisherLabel parse_fisher_label(const std::string& s) {
  for (FisherLabel l : {FisherLabel::Sampled, FisherLabel::Predicted, FisherLabel::True})
    if (s == to_string(l)) return l;
  throw Error(fmt::format("unknown Fisher label '{}' (sampled, predicted, true)", s));
}

std::vector<at::Tensor> fisher_diagonal(const std::vector<at::Tensor>& params,
                                        const std::function<at::Tensor(const at::Tensor&)>& model,
                                        const at::Tensor& inputs, const at::Tensor& labels, const FisherOptions& o) {
  HNN_CHECK(inputs.defined() && inputs.dim() >= 1 && inputs.size(0) > 0, "fisher_diagonal: no inputs");
  HNN_CHECK(o.label != FisherLabel::True || (labels.defined() && labels.size(0) == inputs.size(0)),
            "fisher_diagonal: the true-label Fisher needs labels [{}], got {}", inputs.size(0),
            labels.defined() ? shape_str(labels.sizes()) : std::string("none"));
  const int64_t n = o.samples > 0 ? std::min(o.samples, inputs.size(0)) : inputs.size(0);
  std::vector<at::Tensor> fisher;
  for (const auto& p : params) fisher.push_back(torch::zeros_like(p));
  auto gen = at::detail::createCPUGenerator(o.seed);
  for (int64_t i = 0; i < n; ++i) {
    const at::Tensor logp = torch::log_softmax(model(inputs.slice(0, i, i + 1)), 1);
    HNN_CHECK(logp.dim() == 2 && logp.size(0) == 1, "fisher_diagonal: the model must give scores [B, C], got {}",
              shape_str(logp.sizes()));
    int64_t y = 0;
    switch (o.label) {
      case FisherLabel::Sampled:
        y = torch::multinomial(logp.detach().exp().to(torch::kDouble), 1, false, gen).item<int64_t>();
        break;
      case FisherLabel::Predicted:
        y = logp.detach().argmax(1).item<int64_t>();
        break;
      case FisherLabel::True:
        y = labels[i].item<int64_t>();
        break;
    }
    auto grads = torch::autograd::grad({logp[0][y]}, params, {}, false, false, /*allow_unused=*/true);
    for (size_t k = 0; k < params.size(); ++k)
      if (grads[k].defined()) fisher[k].add_(grads[k].detach().square());
  }
  for (auto& f : fisher) f.div_(static_cast<double>(n));
  return fisher;
}

Ewc::Ewc(std::vector<at::Tensor> params) : params_(std::move(params)) {
  for (const auto& p : params_) {
    precision_.push_back(torch::zeros_like(p).detach());
    anchor_.push_back(p.detach().clone());
  }
}

void Ewc::consolidate(const std::vector<at::Tensor>& fisher) {
  HNN_CHECK(fisher.size() == params_.size(), "Ewc::consolidate: {} Fisher tensors for {} parameters", fisher.size(),
            params_.size());
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < params_.size(); ++k) {
    HNN_CHECK(fisher[k].sizes() == params_[k].sizes(), "Ewc::consolidate: Fisher {} does not fit parameter {}",
              shape_str(fisher[k].sizes()), shape_str(params_[k].sizes()));
    const at::Tensor a = params_[k].detach();
    const at::Tensor f = fisher[k].to(a.dtype());
    const at::Tensor& A = precision_[k];
    const at::Tensor& m = anchor_[k];
    const at::Tensor sum = A + f;
    const at::Tensor safe = torch::where(sum > 0, sum, torch::ones_like(sum));
    // A (t - m)^2 + f (t - a)^2 = (A + f) (t - m')^2 + A f / (A + f) (m - a)^2.
    offset_ += torch::where(sum > 0, A * f / safe * (m - a).square(), torch::zeros_like(sum)).sum().item<double>();
    anchor_[k] = torch::where(sum > 0, (A * m + f * a) / safe, a.clone());
    precision_[k] = sum;
  }
  ++tasks_;
}

at::Tensor Ewc::penalty(double lambda) const {
  HNN_CHECK(!params_.empty(), "Ewc::penalty: no parameters");
  at::Tensor total = torch::zeros({}, params_[0].options().requires_grad(false));
  if (tasks_ == 0) return total;
  for (size_t k = 0; k < params_.size(); ++k)
    total = total + (precision_[k] * (params_[k] - anchor_[k]).square()).sum();
  return 0.5 * lambda * (total + offset_);
}

std::vector<at::Tensor> Ewc::state() const {
  std::vector<at::Tensor> s;
  for (const auto& t : precision_) s.push_back(t.clone());
  for (const auto& t : anchor_) s.push_back(t.clone());
  s.push_back(torch::tensor({offset_, static_cast<double>(tasks_)}, torch::kDouble));
  return s;
}

void Ewc::load_state(const std::vector<at::Tensor>& s) {
  const size_t n = params_.size();
  HNN_CHECK(s.size() == 2 * n + 1 && s.back().numel() == 2,
            "Ewc::load_state: {} tensors for {} parameters (expected {})", s.size(), n, 2 * n + 1);
  for (size_t k = 0; k < 2 * n; ++k) {
    const at::Tensor& p = params_[k % n];
    HNN_CHECK(s[k].sizes() == p.sizes(), "Ewc::load_state: tensor {} is {}, parameter {} is {}", k,
              shape_str(s[k].sizes()), k % n, shape_str(p.sizes()));
    (k < n ? precision_[k] : anchor_[k - n]) = s[k].to(p.options().requires_grad(false)).clone();
  }
  const at::Tensor tail = s.back().to(torch::kDouble);
  offset_ = tail[0].item<double>();
  tasks_ = static_cast<int64_t>(tail[1].item<double>());
}

}  // namespace hnn::train
