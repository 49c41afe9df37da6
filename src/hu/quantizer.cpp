#include "hnn/hu/quantizer.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/random.h"
#include "hnn/core/shape.h"

namespace hnn::hu {
namespace {

// Forward value `hard`, gradient of `soft` (straight-through estimator).
at::Tensor straight_through(const at::Tensor& hard, const at::Tensor& soft) {
  return hard.detach() + (soft - soft.detach());
}

at::Tensor latency(const at::Tensor& x, double sigma) {
  HNN_CHECK(x.dim() >= 2, "quantiser 'latency': expected [T, B, ...], got shape {}", shape_str(x.sizes()));
  const int64_t T = x.size(0);
  auto v = torch::clamp(x, 0, 1);
  auto t_fire = (1 - v) * (T - 1);  // real-valued spike time
  std::vector<int64_t> view(x.dim(), 1);
  view[0] = T;
  auto t = torch::arange(T, x.options()).view(view);
  auto hard = ((t == torch::round(t_fire.detach())) & (v.detach() > 0)).to(x.scalar_type());
  auto soft = torch::exp(-0.5 * (t - t_fire).pow(2) / (sigma * sigma));
  return straight_through(hard, soft);
}

at::Tensor delta(const at::Tensor& x, double threshold) {
  HNN_CHECK(x.dim() >= 2, "quantiser 'delta': expected a sequence [T, B, ...], got shape {}", shape_str(x.sizes()));
  const int64_t T = x.size(0);
  auto xd = x.detach();
  auto ref = xd[0].clone();
  auto out = torch::zeros_like(xd);
  for (int64_t t = 1; t < T; ++t) {
    auto diff = xd[t] - ref;
    auto up = diff >= threshold, down = diff <= -threshold;
    out[t] = up.to(x.scalar_type()) - down.to(x.scalar_type());
    ref = torch::where(up | down, xd[t], ref);
  }
  // Gradient: as if each event reported the step change in units of the threshold.
  auto change = torch::cat({torch::zeros_like(x.narrow(0, 0, 1)), x.narrow(0, 1, T - 1) - x.narrow(0, 0, T - 1)});
  return straight_through(out, change / threshold);
}

}  // namespace

std::string to_string(QuantizerKind k) {
  switch (k) {
    case QuantizerKind::Identity:
      return "identity";
    case QuantizerKind::Threshold:
      return "threshold";
    case QuantizerKind::Bernoulli:
      return "bernoulli";
    case QuantizerKind::Latency:
      return "latency";
    case QuantizerKind::Round:
      return "round";
    case QuantizerKind::Delta:
      return "delta";
  }
  return "?";
}

QuantizerImpl::QuantizerImpl(QuantizerOptions o) : options(std::move(o)) {
  if (options.kind() == QuantizerKind::Round)
    HNN_CHECK(options.step() > 0, "quantiser 'round': step must be positive, got {}", options.step());
  if (options.kind() == QuantizerKind::Delta)
    HNN_CHECK(options.theta() > 0, "quantiser 'delta': threshold must be positive, got {}", options.theta());
  if (options.kind() == QuantizerKind::Latency)
    HNN_CHECK(options.sigma() > 0, "quantiser 'latency': sigma must be positive, got {}", options.sigma());
}

at::Tensor QuantizerImpl::forward(const at::Tensor& x) {
  switch (options.kind()) {
    case QuantizerKind::Identity:
      return x;
    case QuantizerKind::Threshold:
      return spike::spike(x - options.theta(), options.surrogate());
    case QuantizerKind::Bernoulli: {
      auto p = torch::clamp(x, 0, 1);
      return straight_through(hnn::bernoulli(p.detach()), p);
    }
    case QuantizerKind::Latency:
      return latency(x, options.sigma());
    case QuantizerKind::Round: {
      double q = options.step();
      return straight_through(torch::round(x / q) * q, x);
    }
    case QuantizerKind::Delta:
      return delta(x, options.theta());
  }
  return x;
}

void QuantizerImpl::pretty_print(std::ostream& os) const {
  os << "hnn::hu::Quantizer(" << to_string(options.kind());
  if (options.kind() == QuantizerKind::Threshold)
    os << ", theta=" << options.theta() << ", surrogate=" << options.surrogate().name();
  if (options.kind() == QuantizerKind::Round) os << ", step=" << options.step();
  if (options.kind() == QuantizerKind::Delta) os << ", threshold=" << options.theta();
  os << ")";
}

}  // namespace hnn::hu
