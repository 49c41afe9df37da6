#include "hnn/spike/surrogate.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "hnn/core/error.h"

namespace hnn::spike {

// The tensor form of the surrogate formulas (surrogate_math.h): the same text over at::Tensor.
template <>
struct SurrogateOps<at::Tensor> {
  static at::Tensor exp(const at::Tensor& x) { return x.exp(); }
  static at::Tensor abs(const at::Tensor& x) { return x.abs(); }
  static at::Tensor relu(const at::Tensor& x) { return x.clamp_min(0); }
  static at::Tensor lt(const at::Tensor& x, double c) { return x.lt(c).to(x.scalar_type()); }
  static at::Tensor gt(const at::Tensor& x, double c) { return x.gt(c).to(x.scalar_type()); }
};

namespace {

struct Entry {
  const char* name;
  SurrogateKind kind;
  double alpha;
};
#define HNN_SURROGATE_ENTRY(k, name, alpha) Entry{name, SurrogateKind::k, alpha},
constexpr Entry kTable[] = {HNN_SURROGATES(HNN_SURROGATE_ENTRY)};
#undef HNN_SURROGATE_ENTRY

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct SpikeFn : torch::autograd::Function<SpikeFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, int64_t kind, double alpha, bool inclusive) {
    ctx->save_for_backward({x});
    ctx->saved_data["kind"] = kind;
    ctx->saved_data["alpha"] = alpha;
    // One pass: the comparison writes 0/1 straight into a tensor of x's type.
    at::Tensor s = at::empty_like(x);
    return inclusive ? at::ge_out(s, x, 0) : at::gt_out(s, x, 0);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    auto x = ctx->get_saved_variables()[0];
    Surrogate sg{(SurrogateKind)ctx->saved_data["kind"].toInt(), ctx->saved_data["alpha"].toDouble()};
    return {grad[0] * surrogate_grad(x, sg), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

double default_alpha(SurrogateKind kind) {
  for (const Entry& e : kTable)
    if (e.kind == kind) return e.alpha;
  fail("unknown surrogate kind {}", (int)kind);
}

Surrogate Surrogate::make(SurrogateKind kind) {
  return {kind, default_alpha(kind)};
}

std::vector<std::string> Surrogate::names() {
  std::vector<std::string> n;
  for (const Entry& e : kTable) n.push_back(e.name);
  return n;
}

std::vector<SurrogateKind> Surrogate::kinds() {
  std::vector<SurrogateKind> k;
  for (const Entry& e : kTable) k.push_back(e.kind);
  return k;
}

Surrogate Surrogate::parse(const std::string& spec) {
  std::string name = spec, arg;
  if (auto pos = spec.find(':'); pos != std::string::npos) {
    name = spec.substr(0, pos);
    arg = spec.substr(pos + 1);
  }
  if (name == "superspike") name = "fast_sigmoid";
  if (name == "rectangular") name = "rect";
  for (const Entry& e : kTable) {
    if (e.name != name) continue;
    Surrogate s = make(e.kind);
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
  fail("unknown surrogate '{}' (expected one of {}, optionally with :alpha)", spec, fmt::join(names(), ", "));
}

std::string Surrogate::name() const {
  for (const Entry& e : kTable)
    if (e.kind == kind) return fmt::format("{}:{:g}", e.name, alpha);
  return "?";
}

at::Tensor spike(const at::Tensor& x, const Surrogate& sg, bool inclusive) {
  return SpikeFn::apply(x, (int64_t)sg.kind, sg.alpha, inclusive);
}

at::Tensor surrogate_grad(const at::Tensor& x, const Surrogate& sg) {
  return dispatch_surrogate(sg.kind, [&](auto k) -> at::Tensor {
    return SurrogateFormula<decltype(k)::value>::template derivative<at::Tensor, double>(sg.alpha, x);
  });
}

}  // namespace hnn::spike
