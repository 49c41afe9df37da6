#include "hnn/core/profiler.h"

#include <ATen/record_function.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::profile {
namespace {

using Clock = std::chrono::steady_clock;

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}
bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Scopes whose whole content counts towards their category, whatever the operators inside are.
bool sticky(Category c) {
  return c == Category::Data || c == Category::Optimizer || c == Category::Evaluation || c == Category::Neurons;
}

struct Frame {
  Category category;
  Clock::time_point start;
  double child_seconds;
};

// Shared by the callbacks (plain function pointers) and the one live Profiler.
struct State {
  std::mutex mu;
  std::unordered_map<std::string, OpTime> ops;
  double recorded_seconds = 0;
  std::thread::id owner;
  std::atomic<uint64_t> generation{0};
};
State& state() {
  static State s;
  return s;
}

struct ThreadStack {
  uint64_t generation = 0;
  std::vector<Frame> frames;
};
thread_local ThreadStack tl_stack;

std::vector<Frame>& frames() {
  auto& st = tl_stack;
  const uint64_t g = state().generation.load(std::memory_order_relaxed);
  if (st.generation != g) {  // frames left open by an earlier profiler
    st.frames.clear();
    st.generation = g;
  }
  return st.frames;
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  auto& f = frames();
  // Names repeat: classify each once per thread.
  thread_local std::unordered_map<std::string, Category> known;
  std::string name(fn.name());
  auto k = known.find(name);
  if (k == known.end()) k = known.emplace(name, classify(name)).first;
  Category c = k->second;
  if (!f.empty()) {
    const Category parent = f.back().category;
    if (sticky(parent))
      c = parent;
    else if (c == Category::Other && parent != Category::Autograd)
      c = parent;  // aten::t inside aten::linear is part of the linear layer
  }
  f.push_back(Frame{c, Clock::now(), 0.0});
  return nullptr;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext*) {
  auto& f = frames();
  if (f.empty()) return;  // started before this profiler
  const Frame fr = f.back();
  f.pop_back();
  const double elapsed = std::chrono::duration<double>(Clock::now() - fr.start).count();
  const double self = std::max(0.0, elapsed - fr.child_seconds);
  if (!f.empty()) f.back().child_seconds += elapsed;
  std::string key(fn.name());
  key += '\t';
  key += (char)('0' + (int)fr.category);
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (f.empty() && std::this_thread::get_id() == s.owner) s.recorded_seconds += elapsed;
  auto it = s.ops.find(key);
  if (it == s.ops.end()) it = s.ops.emplace(std::move(key), OpTime{fn.name(), fr.category, 0.0, 0}).first;
  it->second.seconds += self;
  it->second.calls += 1;
}

Profiler* g_current = nullptr;
std::string g_output;

std::string percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100 * part / whole) : "-";
}

}  // namespace

const char* category_name(Category c) {
  switch (c) {
    case Category::Matmul:
      return "convolution / matmul";
    case Category::Neurons:
      return "neurons";
    case Category::BatchNorm:
      return "BatchNorm";
    case Category::Loss:
      return "loss";
    case Category::Data:
      return "data";
    case Category::Optimizer:
      return "optimiser";
    case Category::Evaluation:
      return "evaluation";
    case Category::Other:
      return "other operators";
    case Category::Autograd:
      return "autograd engine";
    case Category::Outside:
      return "outside operators";
  }
  return "?";
}

Category classify(const std::string& name) {
  std::string n(name.size(), ' ');
  std::transform(name.begin(), name.end(), n.begin(), [](unsigned char ch) { return (char)std::tolower(ch); });
  if (starts_with(n, "hnn::data")) return Category::Data;
  if (starts_with(n, "hnn::optimizer")) return Category::Optimizer;
  if (starts_with(n, "hnn::evaluate")) return Category::Evaluation;
  if (starts_with(n, "hnn::backward")) return Category::Autograd;
  if (starts_with(n, "hnn::neuron") || contains(n, "neuronfn") || contains(n, "spikefn")) return Category::Neurons;
  if (contains(n, "batch_norm") || contains(n, "batchnorm")) return Category::BatchNorm;
  if (contains(n, "cross_entropy") || contains(n, "nll_loss") || contains(n, "nllloss") || contains(n, "log_softmax") ||
      contains(n, "logsoftmax") || contains(n, "mse_loss") || contains(n, "mseloss") || contains(n, "binary_cross") ||
      contains(n, "smooth_l1"))
    return Category::Loss;
  if (contains(n, "conv") || contains(n, "addmm") || contains(n, "::mm") || starts_with(n, "mmbackward") ||
      contains(n, "bmm") || contains(n, "matmul") || contains(n, "linear") || contains(n, "einsum") ||
      contains(n, "baddbmm") || contains(n, "addmv") || contains(n, "::mv") || contains(n, "::dot"))
    return Category::Matmul;
  return Category::Other;
}

struct Profiler::Impl {
  at::CallbackHandle handle = 0;
  Clock::time_point start;
};

Profiler::Profiler() : impl_(std::make_unique<Impl>()) {
  HNN_CHECK(g_current == nullptr, "profiler: another profiler is already recording");
  auto& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.ops.clear();
    s.recorded_seconds = 0;
    s.owner = std::this_thread::get_id();
    s.generation.fetch_add(1);
  }
  impl_->start = Clock::now();
  impl_->handle = at::addGlobalCallback(at::RecordFunctionCallback(&on_start, &on_end));
  g_current = this;
}

Profiler::~Profiler() {
  at::removeCallback(impl_->handle);
  g_current = nullptr;
}

Profiler* Profiler::current() {
  return g_current;
}

Snapshot Profiler::snapshot() const {
  auto& s = state();
  Snapshot snap;
  snap.wall_seconds = std::chrono::duration<double>(Clock::now() - impl_->start).count();
  std::lock_guard<std::mutex> lock(s.mu);
  snap.recorded_seconds = s.recorded_seconds;
  snap.ops.insert(s.ops.begin(), s.ops.end());
  return snap;
}

Report Profiler::report(const Snapshot& since) const {
  const Snapshot now = snapshot();
  Report r;
  r.wall_seconds = now.wall_seconds - since.wall_seconds;
  for (const auto& [key, op] : now.ops) {
    OpTime d = op;
    auto it = since.ops.find(key);
    if (it != since.ops.end()) {
      d.seconds -= it->second.seconds;
      d.calls -= it->second.calls;
    }
    if (d.calls <= 0) continue;
    r.category_seconds[(int)d.category] += d.seconds;
    r.ops.push_back(std::move(d));
  }
  const double recorded = now.recorded_seconds - since.recorded_seconds;
  r.category_seconds[(int)Category::Outside] = std::max(0.0, r.wall_seconds - recorded);
  std::sort(r.ops.begin(), r.ops.end(), [](const OpTime& a, const OpTime& b) { return a.seconds > b.seconds; });
  return r;
}

std::string Report::markdown(const std::string& title, int top) const {
  std::ostringstream o;
  o << fmt::format("## {}\n\nWall time {:.2f} s.\n\n| category | seconds | share of wall |\n|---|---:|---:|\n", title,
                   wall_seconds);
  std::vector<int> order(kNumCategories);
  for (int i = 0; i < kNumCategories; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return category_seconds[a] > category_seconds[b]; });
  for (int i : order)
    if (category_seconds[i] > 0)
      o << fmt::format("| {} | {:.3f} | {} |\n", category_name((Category)i), category_seconds[i],
                       percent(category_seconds[i], wall_seconds));
  o << "\n| operator (self time) | category | calls | seconds | share of wall |\n|---|---|---:|---:|---:|\n";
  for (int i = 0; i < top && i < (int)ops.size(); ++i) {
    std::string name = ops[i].name;
    std::replace(name.begin(), name.end(), '|', '/');
    o << fmt::format("| `{}` | {} | {} | {:.3f} | {} |\n", name, category_name(ops[i].category), ops[i].calls,
                     ops[i].seconds, percent(ops[i].seconds, wall_seconds));
  }
  o << "\n";
  return o.str();
}

std::string Report::summary() const {
  std::vector<int> order;
  for (int i = 0; i < kNumCategories; ++i)
    if (wall_seconds > 0 && category_seconds[i] >= 0.01 * wall_seconds) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return category_seconds[a] > category_seconds[b]; });
  std::string s = fmt::format("{:.1f} s:", wall_seconds);
  for (size_t k = 0; k < order.size(); ++k)
    s += fmt::format("{} {} {}", k ? "," : "", category_name((Category)order[k]),
                     percent(category_seconds[order[k]], wall_seconds));
  return s;
}

void set_output(const std::string& path) {
  g_output = path;
}
const std::string& output() {
  return g_output;
}

void append_to_output(const std::string& markdown) {
  HNN_CHECK(!g_output.empty(), "profiler: no output file was set");
  const std::string old = file_exists(g_output) ? read_file(g_output) : std::string();
  write_file_atomically(g_output, old + markdown);
}

}  // namespace hnn::profile
