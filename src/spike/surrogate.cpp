#include "hnn/spike/surrogate.h"

#include <torch/torch.h>

#include "hnn/core/error.h"

namespace hnn::spike {
namespace {

const std::vector<std::pair<std::string, SurrogateKind>>& table() {
  static const std::vector<std::pair<std::string, SurrogateKind>> t = {{"rect", SurrogateKind::Rectangular},
                                                                       {"sigmoid", SurrogateKind::Sigmoid},
                                                                       {"arctan", SurrogateKind::Arctan},
                                                                       {"fast_sigmoid", SurrogateKind::FastSigmoid},
                                                                       {"triangle", SurrogateKind::Triangle}};
  return t;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct SpikeFn : torch::autograd::Function<SpikeFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, int64_t kind, double alpha, bool inclusive) {
    ctx->save_for_backward({x});
    ctx->saved_data["kind"] = kind;
    ctx->saved_data["alpha"] = alpha;
    return (inclusive ? x.ge(0) : x.gt(0)).to(x.scalar_type());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    auto x = ctx->get_saved_variables()[0];
    Surrogate sg{(SurrogateKind)ctx->saved_data["kind"].toInt(), ctx->saved_data["alpha"].toDouble()};
    return {grad[0] * surrogate_grad(x, sg), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

double default_alpha(SurrogateKind kind) {
  switch (kind) {
    case SurrogateKind::Rectangular:
      return 1.0;
    case SurrogateKind::Sigmoid:
      return 4.0;
    case SurrogateKind::Arctan:
      return 2.0;
    case SurrogateKind::FastSigmoid:
      return 25.0;
    case SurrogateKind::Triangle:
      return 1.0;
  }
  return 1.0;
}

Surrogate Surrogate::make(SurrogateKind kind) {
  return {kind, default_alpha(kind)};
}

std::vector<std::string> Surrogate::names() {
  std::vector<std::string> n;
  for (auto& [name, kind] : table()) n.push_back(name);
  return n;
}

Surrogate Surrogate::parse(const std::string& spec) {
  std::string name = spec, arg;
  if (auto pos = spec.find(':'); pos != std::string::npos) {
    name = spec.substr(0, pos);
    arg = spec.substr(pos + 1);
  }
  if (name == "superspike") name = "fast_sigmoid";
  if (name == "rectangular") name = "rect";
  for (auto& [n, kind] : table()) {
    if (n != name) continue;
    Surrogate s = make(kind);
    if (!arg.empty()) {
      size_t used = 0;
      try {
        s.alpha = std::stod(arg, &used);
      } catch (...) {
        used = 0;
      }
      HNN_CHECK(used == arg.size() && s.alpha > 0, "surrogate '{}': expected a positive number after ':', got '{}'",
                spec, arg);
    }
    return s;
  }
  fail(
      "unknown surrogate '{}' (expected one of rect, sigmoid, arctan, fast_sigmoid, triangle, optionally "
      "with :alpha)",
      spec);
}

std::string Surrogate::name() const {
  for (auto& [n, k] : table())
    if (k == kind) return fmt::format("{}:{:g}", n, alpha);
  return "?";
}

at::Tensor spike(const at::Tensor& x, const Surrogate& sg, bool inclusive) {
  return SpikeFn::apply(x, (int64_t)sg.kind, sg.alpha, inclusive);
}

at::Tensor surrogate_grad(const at::Tensor& x, const Surrogate& sg) {
  const double a = sg.alpha;
  switch (sg.kind) {
    case SurrogateKind::Rectangular:
      return (x.abs() < a / 2).to(x.scalar_type()) / a;
    case SurrogateKind::Sigmoid: {
      auto s = torch::sigmoid(a * x);
      return a * s * (1 - s);
    }
    case SurrogateKind::Arctan: {
      auto z = (M_PI / 2 * a) * x;
      return (a / 2) / (1 + z * z);
    }
    case SurrogateKind::FastSigmoid: {
      auto d = 1 + a * x.abs();
      return 1 / (d * d);
    }
    case SurrogateKind::Triangle:
      return torch::clamp_min(1 - x.abs() / a, 0) / a;
  }
  return torch::zeros_like(x);
}

}  // namespace hnn::spike
