// Batched HRN dynamics: many (network, stimulus) jobs at once, m_t = x_t + W s_{t-1},
// s_t = [m_t >= 100], float32 (exact for these magnitudes). Jobs that share a network share its
// weights and form the columns of one state tensor s [n, Q]. Two engines compute W s:
//   sparse: the synapses of the neurons that fired, added to m [n, Q] (W has a few percent
//           non-zeros and few neurons fire per step), one network at a time;
//   dense:  padded batched matmul over networks, W [S, n, n] x s [S, n, Q] -> m [S, n, Q].
// Shorter stimuli are left-padded with empty steps (a silent network stays silent), so every job
// of a batch ends on the same step and its final membrane is the read-out.
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

#include "hnn/models/hrn/network.h"
#include "hnn/models/hrn/stimuli.h"

namespace hnn::models::hrn {

struct Job {
  const Network* net = nullptr;
  const Stimulus* stim = nullptr;
};

enum class Engine { Sparse, Dense };

struct BatchOptions {
  Engine engine = Engine::Sparse;
  int max_networks = 64;  // dense: S, networks per batched matmul
  int max_columns = 256;  // Q: jobs of one network per slot
};

class BatchRunner {
 public:
  explicit BatchRunner(const BatchOptions& opt = {});
  // Final membrane potentials of every job (out[j] has jobs[j].net->size() values).
  std::vector<std::vector<float>> run(const std::vector<Job>& jobs);
  int64_t steps_run() const { return steps_; }  // batched steps so far (for statistics)

 private:
  struct Slot;
  void run_sparse(const std::vector<Job>& jobs, const std::vector<Slot>& slots, std::vector<std::vector<float>>& out);
  void run_dense(const std::vector<Job>& jobs, const std::vector<Slot>& slots, std::vector<std::vector<float>>& out);

  BatchOptions opt_;
  at::Tensor w_buf_, s_buf_, m_buf_;
  std::vector<std::pair<int64_t, float>> stim_;  // (flat index, value), grouped by step
  std::vector<int64_t> stim_begin_, fill_;
  std::vector<int> rows_, touched_;
  std::vector<char> mark_;
  int64_t steps_ = 0;
};

// Reference: one job, step by step through the library's neuron (spike::step), optionally
// recording the spikes [T][n] (for rasters and tests); the batched engines above are tested
// equal to it. Returns the final membrane.
std::vector<float> simulate(const Network& net, const Stimulus& stim,
                            std::vector<std::vector<float>>* spikes = nullptr);

}  // namespace hnn::models::hrn
