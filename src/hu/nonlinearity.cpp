#include "hnn/hu/nonlinearity.h"

#include <torch/torch.h>

#include "hnn/core/error.h"

namespace hnn::hu {

NonlinearityImpl::NonlinearityImpl() = default;

NonlinearityImpl::NonlinearityImpl(std::string name, std::function<at::Tensor(const at::Tensor&)> fn)
    : name_(std::move(name)), fn_(std::move(fn)) {}

NonlinearityImpl::NonlinearityImpl(std::string name, torch::nn::AnyModule module)
    : name_(std::move(name)), module_(std::move(module)) {
  register_module("module", module_.ptr());
}

void NonlinearityImpl::reset() {
  if (module_.is_empty()) return;
  module_ = module_.clone();
  register_module("module", module_.ptr());
}

at::Tensor NonlinearityImpl::forward(const at::Tensor& x) {
  if (fn_) return fn_(x);
  if (!module_.is_empty()) return module_.forward(x);
  return x;
}

void NonlinearityImpl::pretty_print(std::ostream& os) const {
  os << "hnn::hu::Nonlinearity(" << name_ << ")";
}

namespace nl {

Nonlinearity identity() {
  return Nonlinearity();
}

Nonlinearity sigmoid(double k) {
  return Nonlinearity(fmt::format("sigmoid(k={:g})", k), [k](const at::Tensor& x) { return torch::sigmoid(k * x); });
}
Nonlinearity relu() {
  return Nonlinearity("relu", [](const at::Tensor& x) { return torch::relu(x); });
}
Nonlinearity tanh() {
  return Nonlinearity("tanh", [](const at::Tensor& x) { return torch::tanh(x); });
}
Nonlinearity clamp01() {
  return Nonlinearity("clamp01", [](const at::Tensor& x) { return torch::clamp(x, 0, 1); });
}

Nonlinearity minmax(int batch_dims) {
  return Nonlinearity("minmax", [batch_dims](const at::Tensor& x) {
    HNN_CHECK(x.dim() > batch_dims, "minmax: input of rank {} has no feature dimensions", x.dim());
    auto flat = x.flatten(batch_dims);
    auto lo = std::get<0>(flat.min(-1, true)), hi = std::get<0>(flat.max(-1, true));
    auto y = (flat - lo) / (hi - lo).clamp_min(1e-12);
    return y.view(x.sizes());
  });
}

Nonlinearity gaussian_fields(int64_t P, double lo, double hi, double sigma) {
  HNN_CHECK(P >= 1 && hi > lo, "gaussian_fields: need at least one neuron and hi > lo, got {} on [{}, {}]", P, lo, hi);
  double s = sigma > 0 ? sigma : (P > 1 ? (hi - lo) / (P - 1) : (hi - lo));
  return Nonlinearity(fmt::format("gaussian_fields(P={}, sigma={:g})", P, s), [=](const at::Tensor& x) {
    auto centres = P > 1 ? torch::linspace(lo, hi, P, x.options()) : torch::full({1}, (lo + hi) / 2, x.options());
    auto d = x.unsqueeze(-1) - centres;
    return torch::exp(-0.5 * d * d / (s * s));
  });
}

namespace {
// Linear layers with ReLU between them (Sequential cannot be stored in an AnyModule).
struct MlpImpl : torch::nn::Cloneable<MlpImpl> {
  explicit MlpImpl(std::vector<int64_t> s) : sizes(std::move(s)) { reset(); }
  void reset() override {
    layers.clear();
    for (size_t i = 0; i + 1 < sizes.size(); ++i)
      layers.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(sizes[i], sizes[i + 1])));
  }
  at::Tensor forward(const at::Tensor& x) {
    auto y = x;
    for (size_t i = 0; i < layers.size(); ++i) {
      y = layers[i](y);
      if (i + 1 < layers.size()) y = torch::relu(y);
    }
    return y;
  }
  std::vector<int64_t> sizes;
  std::vector<torch::nn::Linear> layers;
};
TORCH_MODULE(Mlp);
}  // namespace

Nonlinearity mlp(const std::vector<int64_t>& sizes) {
  HNN_CHECK(sizes.size() >= 2, "mlp: need at least input and output sizes, got {}", sizes.size());
  std::string name = "mlp(";
  for (size_t i = 0; i < sizes.size(); ++i) name += (i ? "-" : "") + std::to_string(sizes[i]);
  return Nonlinearity(name + ")", torch::nn::AnyModule(Mlp(sizes)));
}

}  // namespace nl

}  // namespace hnn::hu
