#include "hnn/hu/kernel.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::hu {

std::string to_string(KernelKind k) {
  switch (k) {
    case KernelKind::Identity:
      return "identity";
    case KernelKind::Sum:
      return "sum";
    case KernelKind::Mean:
      return "mean";
    case KernelKind::Exponential:
      return "exponential";
    case KernelKind::Alpha:
      return "alpha";
    case KernelKind::Fixed:
      return "fixed";
    case KernelKind::Learnable:
      return "learnable";
    case KernelKind::FirstSpike:
      return "first_spike";
  }
  return "?";
}

KernelImpl::KernelImpl(KernelOptions o) : options(std::move(o)) {
  auto k = options.kind();
  if (k == KernelKind::Exponential || k == KernelKind::Alpha)
    HNN_CHECK(options.tau() > 0, "kernel '{}': tau must be positive, got {}", to_string(k), options.tau());
  if (k == KernelKind::Fixed) HNN_CHECK(!options.weights().empty(), "kernel 'fixed': no weights given");
  if (k == KernelKind::Learnable)
    HNN_CHECK(options.length() > 0, "kernel 'learnable': length must be positive, got {}", options.length());
  reset();
}

void KernelImpl::reset() {
  if (options.kind() == KernelKind::Learnable) {
    std::vector<int64_t> shape{options.length()};
    if (options.channels() > 0) shape.insert(shape.begin(), options.channels());
    weight = register_parameter("weight", torch::full(shape, 1.0 / options.length()));
  }
}

at::Tensor KernelImpl::weights_for(int64_t L, const at::TensorOptions& opts) const {
  auto age = torch::arange(L - 1, -1, -1, opts);  // steps before the window's end
  switch (options.kind()) {
    case KernelKind::Sum:
      return torch::ones({L}, opts);
    case KernelKind::Mean:
      return torch::full({L}, 1.0 / L, opts);
    case KernelKind::Exponential: {
      auto w = torch::exp(-age / options.tau());
      return options.normalize() ? w / w.sum() : w;
    }
    case KernelKind::Alpha: {
      auto r = age / options.tau();
      auto w = r * torch::exp(1 - r);
      return options.normalize() ? w / w.sum() : w;
    }
    case KernelKind::Fixed: {
      HNN_CHECK((int64_t)options.weights().size() == L, "kernel 'fixed': {} weights for windows of length {}",
                options.weights().size(), L);
      return torch::tensor(options.weights(), opts);
    }
    case KernelKind::Learnable:
      return weight.to(opts.dtype());
    default:
      fail("kernel '{}' has no weights", to_string(options.kind()));
  }
}

at::Tensor KernelImpl::forward(const at::Tensor& w) {
  const auto k = options.kind();
  if (k == KernelKind::Identity) return w;
  HNN_CHECK(w.dim() >= 3,
            "kernel '{}': expected windows [K, L, B, ...], got shape {} (put a Fixed, Sliding or Whole "
            "window before it)",
            to_string(k), shape_str(w.sizes()));
  const int64_t L = w.size(1);
  if (k == KernelKind::FirstSpike) {
    // Exclusive cumulative product of (1 - s): 1 until the first spike, 0 after it.
    auto none_before = torch::cumprod(1 - w, 1);
    none_before = torch::cat({torch::ones_like(w.narrow(1, 0, 1)), none_before.narrow(1, 0, L - 1)}, 1);
    std::vector<int64_t> view(w.dim(), 1);
    view[1] = L;
    auto value = ((L - torch::arange(L, w.options())) / L).view(view);
    return (w * none_before * value).sum(1);
  }
  auto weights = weights_for(L, w.options());
  if (weights.dim() == 2) {  // per channel: [C, L] against the first feature dimension (dim 3)
    HNN_CHECK(w.dim() >= 4 && w.size(3) == weights.size(0),
              "kernel 'learnable': {} channel kernels for windows of shape {} (channel is "
              "dimension 3 of [K, L, "
              "B, C, ...])",
              weights.size(0), shape_str(w.sizes()));
    std::vector<int64_t> view(w.dim(), 1);
    view[1] = L;
    view[3] = weights.size(0);
    return (w * weights.t().reshape(view)).sum(1);
  }
  HNN_CHECK(weights.size(0) == L, "kernel '{}': {} weights for windows of length {}", to_string(k), weights.size(0), L);
  std::vector<int64_t> view(w.dim(), 1);
  view[1] = L;
  return (w * weights.view(view)).sum(1);
}

void KernelImpl::pretty_print(std::ostream& os) const {
  os << "hnn::hu::Kernel(" << to_string(options.kind());
  if (options.kind() == KernelKind::Exponential || options.kind() == KernelKind::Alpha) os << ", tau=" << options.tau();
  if (weight.defined()) os << ", weight=" << shape_str(weight.sizes());
  os << ")";
}

}  // namespace hnn::hu
