// Where the time goes: self time of every ATen operator, autograd backward function and hnn
// scope while a Profiler is alive, grouped into categories (convolution/matmul, neurons,
// BatchNorm, loss, data, optimiser, evaluation, other operators, the autograd engine, and the
// time outside any operator). Built on LibTorch's RecordFunction callbacks, so it needs neither
// Kineto nor a profiler build of LibTorch, and uses only the API LibTorch 1.13 and 2.x share.
//
//   hnn::profile::Profiler prof;        // starts recording
//   ... train ...
//   fmt::print("{}", prof.markdown("one epoch"));
//
// `hnn --profile FILE <command>` runs a command under a profiler: the Trainer writes a table per
// epoch, and the whole command's table follows at the end. hnn's own scopes are named "hnn::..."
// (RECORD_USER_SCOPE in the .cpp files): "hnn::data" (batch assembly), "hnn::optimizer",
// "hnn::evaluate", "hnn::backward", "hnn::neuron*" (the neuron kernels and loops); everything an
// operator calls inside those scopes counts towards that scope's category.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hnn::profile {

enum class Category {
  Matmul,      // convolutions, linear layers, matrix products and their backward
  Neurons,     // spiking neuron kernels, per-step loops and their backward
  BatchNorm,   // batch normalisation forward and backward
  Loss,        // cross-entropy, MSE and the like
  Data,        // assembling batches (inside "hnn::data")
  Optimizer,   // zero_grad, gradient clipping, the optimiser step
  Evaluation,  // the validation pass (inside "hnn::evaluate")
  Other,       // every other operator (element-wise, copies, reductions, ...)
  Autograd,    // the autograd engine's own time between backward functions
  Outside,     // wall time outside any recorded operator (host code, progress, I/O)
};
constexpr int kNumCategories = 10;
const char* category_name(Category c);
// The category an operator or scope name belongs to on its own (Other when none matches).
Category classify(const std::string& name);

struct OpTime {
  std::string name;
  Category category = Category::Other;
  double seconds = 0;  // self time: excluding the operators it called
  int64_t calls = 0;
};

// A copy of the totals at one moment; two snapshots give the profile of the time between them.
struct Snapshot {
  double wall_seconds = 0;
  double recorded_seconds = 0;        // top-level operator time on the profiler's thread
  std::map<std::string, OpTime> ops;  // keyed by category and name
};

// One profile: categories in seconds (Outside = wall minus recorded) and ops by self time.
struct Report {
  double wall_seconds = 0;
  double category_seconds[kNumCategories] = {};
  std::vector<OpTime> ops;  // descending self time
  // A Markdown section: a category table (seconds and % of wall) and the top operators.
  std::string markdown(const std::string& title, int top = 15) const;
  // One line: the categories above 1% of the wall time, largest first.
  std::string summary() const;
};

class Profiler {
 public:
  // Starts recording on every thread. Only one Profiler may be alive at a time.
  Profiler();
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  Snapshot snapshot() const;
  // The profile from `since` (a snapshot) to now; from the start when since is empty.
  Report report(const Snapshot& since = {}) const;

  // The live profiler, or nullptr.
  static Profiler* current();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The file `hnn --profile` writes to ("" when not profiling); the Trainer appends its per-epoch
// sections to it and the CLI the whole command's section at the end.
void set_output(const std::string& path);
const std::string& output();
// Appends a Markdown section to output() (rewriting the file atomically with what it held).
void append_to_output(const std::string& markdown);

}  // namespace hnn::profile
