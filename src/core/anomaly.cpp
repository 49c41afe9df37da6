#include "hnn/core/anomaly.h"

#include <torch/csrc/autograd/anomaly_mode.h>
#include <torch/torch.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "hnn/core/shape.h"

namespace hnn::anomaly {
namespace {

#ifdef NDEBUG
constexpr bool kDefault = false;
#else
constexpr bool kDefault = true;
#endif

std::atomic<bool>& flag() {
  static std::atomic<bool> on{kDefault};
  return on;
}

struct Names {
  std::mutex mu;
  std::unordered_map<const torch::nn::Module*, std::string> paths;
};
Names& names() {
  static Names n;
  return n;
}

// The first non-finite element of t: its index (row-major) and value.
bool first_bad(const at::Tensor& t, std::vector<int64_t>& index, double& value) {
  if (!t.defined() || !at::isFloatingType(t.scalar_type()) || t.numel() == 0) return false;
  at::NoGradGuard ng;
  auto d = t.detach();
  auto bad = d.isfinite().logical_not_();
  if (!bad.any().item<bool>()) return false;
  auto flat = bad.reshape({-1}).nonzero();
  int64_t linear = flat[0][0].item<int64_t>();
  value = d.reshape({-1})[linear].item<double>();
  index.assign((size_t)d.dim(), 0);
  for (int64_t i = d.dim() - 1; i >= 0; --i) {
    index[(size_t)i] = linear % d.size(i);
    linear /= d.size(i);
  }
  return true;
}

std::string value_str(double v) {
  return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

}  // namespace

bool enabled() {
  return flag().load(std::memory_order_relaxed);
}

void set_enabled(bool on) {
  flag().store(on);
  torch::autograd::AnomalyMode::set_enabled(on);
}

Guard::Guard(bool on) : previous_(enabled()) {
  set_enabled(on);
}

Guard::~Guard() {
  set_enabled(previous_);
}

void name_modules(const torch::nn::Module& root, const std::string& prefix) {
  auto& n = names();
  std::lock_guard<std::mutex> lock(n.mu);
  // (include_self would need the root held by a shared_ptr)
  n.paths.clear();
  n.paths[&root] = prefix;
  for (auto& item : root.named_modules(prefix, /*include_self=*/false)) n.paths[item.value().get()] = item.key();
}

std::string module_name(const torch::nn::Module& m) {
  std::string type = m.name();
  auto colon = type.rfind("::");
  if (colon != std::string::npos) type = type.substr(colon + 2);
  if (type.size() > 4 && type.compare(type.size() - 4, 4, "Impl") == 0) type.resize(type.size() - 4);
  auto& n = names();
  std::lock_guard<std::mutex> lock(n.mu);
  auto it = n.paths.find(&m);
  return it == n.paths.end() ? type : fmt::format("{} ({})", it->second, type);
}

void check(const torch::nn::Module& m, const char* what, const at::Tensor& t, bool time_major, int64_t step) {
  std::vector<int64_t> at;
  double v = 0;
  if (!first_bad(t, at, v)) return;
  std::string where;
  if (time_major && at.size() >= 2) {
    where = step >= 0 ? fmt::format(" at time step {}, sample {}", step + at[0], at[1])
                      : fmt::format(" at time step {} of {}, sample {}", at[0], t.size(0), at[1]);
  } else if (!at.empty()) {
    where = step >= 0 ? fmt::format(" at time step {}, sample {}", step, at[0]) : fmt::format(", sample {}", at[0]);
  }
  throw NonFinite(fmt::format("{}: the {} is {}{} (element [{}] of shape {}){}", module_name(m), what, value_str(v),
                              where, fmt::join(at, ", "), shape_str(t.sizes()),
                              std::string(what) == "input" ? "; it came from the module before" : ""));
}

void check(const std::string& what, const at::Tensor& t) {
  std::vector<int64_t> at;
  double v = 0;
  if (!first_bad(t, at, v)) return;
  throw NonFinite(fmt::format("{} is {} (element [{}] of shape {})", what, value_str(v), fmt::join(at, ", "),
                              shape_str(t.sizes())));
}

}  // namespace hnn::anomaly
