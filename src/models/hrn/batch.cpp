#include "hnn/models/hrn/batch.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "hnn/core/error.h"
#include "hnn/spike/neuron.h"

namespace hnn::models::hrn {
namespace {

// A view of the first numel elements of a reusable buffer (grown when too small), so that the
// batch loop touches fresh memory only when the batch gets bigger.
at::Tensor take(at::Tensor& buf, at::IntArrayRef sizes) {
  int64_t numel = 1;
  for (auto s : sizes) numel *= s;
  if (!buf.defined() || buf.numel() < numel) buf = torch::empty({std::max<int64_t>(numel, 1)}, torch::kFloat);
  return buf.narrow(0, 0, numel).view(sizes);
}

}  // namespace

// Up to max_columns jobs of one network, longest stimulus first.
struct BatchRunner::Slot {
  const Network* net;
  std::vector<int> jobs;
  int steps = 0;  // longest stimulus of the slot
};

BatchRunner::BatchRunner(const BatchOptions& opt) : opt_(opt) {
  HNN_CHECK(opt.max_networks > 0 && opt.max_columns > 0, "BatchRunner: max_networks and max_columns must be > 0");
}

std::vector<std::vector<float>> BatchRunner::run(const std::vector<Job>& jobs) {
  std::vector<std::vector<float>> out(jobs.size());
  std::unordered_map<const Network*, std::vector<int>> by_net;
  std::vector<const Network*> order;
  for (int j = 0; j < (int)jobs.size(); ++j) {
    HNN_CHECK(jobs[j].net && jobs[j].stim, "BatchRunner: job {} has no network or stimulus", j);
    auto& v = by_net[jobs[j].net];
    if (v.empty()) order.push_back(jobs[j].net);
    v.push_back(j);
  }
  std::vector<Slot> slots;
  for (const Network* net : order) {
    auto& v = by_net[net];
    // Jobs of similar length side by side: less left padding.
    std::stable_sort(v.begin(), v.end(), [&](int a, int b) { return jobs[a].stim->steps > jobs[b].stim->steps; });
    for (size_t i = 0; i < v.size(); i += opt_.max_columns) {
      Slot s{net, {}, 0};
      s.jobs.assign(v.begin() + i, v.begin() + std::min(v.size(), i + (size_t)opt_.max_columns));
      for (int j : s.jobs) s.steps = std::max(s.steps, jobs[j].stim->steps);
      slots.push_back(std::move(s));
    }
  }
  if (opt_.engine == Engine::Sparse)
    run_sparse(jobs, slots, out);
  else
    run_dense(jobs, slots, out);
  return out;
}

void BatchRunner::run_sparse(const std::vector<Job>& jobs, const std::vector<Slot>& slots,
                             std::vector<std::vector<float>>& out) {
  for (const Slot& sl : slots) {
    const Network& net = *sl.net;
    const int64_t n = net.size(), Q = (int64_t)sl.jobs.size(), T = sl.steps;
    at::Tensor M = take(m_buf_, {n, Q}), St = take(s_buf_, {n, Q});
    float* m = M.data_ptr<float>();
    float* sp = St.data_ptr<float>();
    // Stimuli grouped by step (counting sort), each job right-aligned on step T - 1.
    stim_begin_.assign(T + 1, 0);
    for (int64_t q = 0; q < Q; ++q) {
      const Stimulus& st = *jobs[sl.jobs[q]].stim;
      for (const auto& e : st.entries) ++stim_begin_[T - st.steps + e.step + 1];
    }
    for (int64_t t = 0; t < T; ++t) stim_begin_[t + 1] += stim_begin_[t];
    stim_.resize(stim_begin_[T]);
    fill_.assign(stim_begin_.begin(), stim_begin_.end() - 1);
    for (int64_t q = 0; q < Q; ++q) {
      const Stimulus& st = *jobs[sl.jobs[q]].stim;
      for (const auto& e : st.entries) {
        const int idx = net.layout[e.neuron];
        stim_[fill_[T - st.steps + e.step]++] = {idx < n ? (int64_t)idx * Q + q : -1, e.value};
      }
    }
    // Only the rows that receive input can be non-zero: m and s are cleared once per slot, then
    // per step only the rows touched at the previous step, so the work follows the activity.
    std::memset(m, 0, sizeof(float) * n * Q);
    std::memset(sp, 0, sizeof(float) * n * Q);
    mark_.assign(n, 0);
    rows_.clear();     // neurons with a spike in some column at the previous step
    touched_.clear();  // rows of m that may be non-zero
    auto touch = [&](int r) {
      if (!mark_[r]) mark_[r] = 1, touched_.push_back(r);
    };
    for (int64_t t = 0; t < T; ++t) {
      for (int r : touched_) std::memset(m + (int64_t)r * Q, 0, sizeof(float) * Q), mark_[r] = 0;
      touched_.clear();
      for (int src : rows_) {
        const float* srow = sp + (int64_t)src * Q;
        for (int k = net.src_begin[src]; k < net.src_begin[src + 1]; ++k) {
          const Synapse& syn = net.synapses[k];
          touch(syn.dst);
          float* mrow = m + (int64_t)syn.dst * Q;
          const float w = syn.w;
          for (int64_t q = 0; q < Q; ++q) mrow[q] += w * srow[q];
        }
      }
      for (int64_t i = stim_begin_[t]; i < stim_begin_[t + 1]; ++i)
        if (stim_[i].first >= 0) touch((int)(stim_[i].first / Q)), m[stim_[i].first] += stim_[i].second;
      for (int r : rows_) std::memset(sp + (int64_t)r * Q, 0, sizeof(float) * Q);
      rows_.clear();
      for (int r : touched_) {
        const float* mr = m + (int64_t)r * Q;
        float* sr = sp + (int64_t)r * Q;
        bool any = false;
        for (int64_t q = 0; q < Q; ++q) {
          const bool f = mr[q] >= kThreshold;
          sr[q] = f ? 1.f : 0.f;
          any |= f;
        }
        if (any) rows_.push_back(r);
      }
      ++steps_;
    }
    for (int64_t q = 0; q < Q; ++q) {
      auto& o = out[sl.jobs[q]];
      o.resize(n);
      for (int64_t r = 0; r < n; ++r) o[r] = m[r * Q + q];
    }
  }
}

void BatchRunner::run_dense(const std::vector<Job>& jobs, const std::vector<Slot>& all,
                            std::vector<std::vector<float>>& out) {
  // Similar sizes side by side keep the padding small.
  std::vector<const Slot*> slots;
  for (const auto& s : all) slots.push_back(&s);
  std::stable_sort(slots.begin(), slots.end(), [](const Slot* a, const Slot* b) {
    return a->net->size() != b->net->size() ? a->net->size() < b->net->size() : a->jobs.size() < b->jobs.size();
  });
  for (size_t c0 = 0; c0 < slots.size(); c0 += opt_.max_networks) {
    const size_t c1 = std::min(slots.size(), c0 + opt_.max_networks);
    // Longest first: at step t the slots that have started are a prefix of the chunk.
    std::vector<const Slot*> chunk(slots.begin() + c0, slots.begin() + c1);
    std::stable_sort(chunk.begin(), chunk.end(), [](const Slot* a, const Slot* b) { return a->steps > b->steps; });
    const int64_t S = (int64_t)chunk.size();
    int64_t n = 0, Q = 0;
    for (const Slot* s : chunk) n = std::max<int64_t>(n, s->net->size()), Q = std::max<int64_t>(Q, s->jobs.size());
    const int64_t T = chunk[0]->steps;
    at::Tensor W = take(w_buf_, {S, n, n}), St = take(s_buf_, {S, n, Q}), M = take(m_buf_, {S, n, Q});
    W.zero_();
    St.zero_();
    M.zero_();
    float* w = W.data_ptr<float>();
    for (int64_t s = 0; s < S; ++s)
      for (const auto& syn : chunk[s]->net->synapses) w[(s * n + syn.dst) * n + syn.src] = syn.w;
    stim_begin_.assign(T + 1, 0);
    for (int64_t s = 0; s < S; ++s)
      for (int j : chunk[s]->jobs)
        for (const auto& e : jobs[j].stim->entries) ++stim_begin_[T - jobs[j].stim->steps + e.step + 1];
    for (int64_t t = 0; t < T; ++t) stim_begin_[t + 1] += stim_begin_[t];
    stim_.resize(stim_begin_[T]);
    std::vector<int64_t> fill(stim_begin_.begin(), stim_begin_.end() - 1);
    for (int64_t s = 0; s < S; ++s) {
      const Layout& L = chunk[s]->net->layout;
      for (int64_t q = 0; q < (int64_t)chunk[s]->jobs.size(); ++q) {
        const Stimulus& st = *jobs[chunk[s]->jobs[q]].stim;
        for (const auto& e : st.entries) {
          const int idx = L[e.neuron];
          stim_[fill[T - st.steps + e.step]++] = {idx < L.size() ? (s * n + idx) * Q + q : -1, e.value};
        }
      }
    }
    float* m = M.data_ptr<float>();
    float* sp = St.data_ptr<float>();
    int64_t active = 0;
    bool spiked = false;
    for (int64_t t = 0; t < T; ++t) {
      while (active < S && chunk[active]->steps >= T - t) ++active;
      if (spiked) {
        at::Tensor out = M.narrow(0, 0, active);
        at::bmm_out(out, W.narrow(0, 0, active), St.narrow(0, 0, active));
      } else
        M.narrow(0, 0, active).zero_();  // s = 0 so far: W s = 0
      for (int64_t i = stim_begin_[t]; i < stim_begin_[t + 1]; ++i)
        if (stim_[i].first >= 0) m[stim_[i].first] += stim_[i].second;
      const int64_t total = active * n * Q;
      for (int64_t i = 0; i < total; ++i) {
        const bool f = m[i] >= kThreshold;
        sp[i] = f ? 1.f : 0.f;
        spiked |= f;
      }
      ++steps_;
    }
    for (int64_t s = 0; s < S; ++s) {
      const int64_t k = chunk[s]->net->size();
      for (int64_t q = 0; q < (int64_t)chunk[s]->jobs.size(); ++q) {
        auto& o = out[chunk[s]->jobs[q]];
        o.resize(k);
        for (int64_t r = 0; r < k; ++r) o[r] = m[(s * n + r) * Q + q];
      }
    }
  }
}

std::vector<float> simulate(const Network& net, const Stimulus& stim, std::vector<std::vector<float>>* spikes) {
  // The HRN neuron is the library's neuron without memory between steps: m_t = x_t + W s_{t-1}
  // (decay form with d = 0), s_t = [m_t >= Thr] (inclusive firing), no reset; the membrane
  // after the last step is the read-out.
  spike::NeuronSpec spec;
  spec.charge = spike::Charge::LifDecay;
  spec.reset = spike::Reset::None;
  spec.inclusive = true;
  spike::NeuronParams params;
  params.threshold = torch::scalar_tensor(kThreshold, torch::kFloat);
  params.decay = torch::zeros({}, torch::kFloat);
  const int n = net.size();
  auto x = dense_stimuli(stim, net.layout);
  auto dense = net.dense();
  auto W = torch::from_blob(dense.data(), {n, n}, torch::kFloat);
  auto s = torch::zeros({1, n}, torch::kFloat), m = torch::zeros({1, n}, torch::kFloat);
  spike::NeuronState state;
  if (spikes) spikes->clear();
  torch::NoGradGuard no_grad;
  for (int t = 0; t < stim.steps; ++t) {
    auto input = torch::from_blob(x[t].data(), {1, n}, torch::kFloat) + torch::mv(W, s[0]).unsqueeze(0);
    auto r = spike::step(input, state, params, spec);
    s = r.spikes;
    m = r.membrane;
    state = r.state;
    if (spikes) spikes->emplace_back(s.data_ptr<float>(), s.data_ptr<float>() + n);
  }
  m = m.contiguous();
  return std::vector<float>(m.data_ptr<float>(), m.data_ptr<float>() + n);
}

}  // namespace hnn::models::hrn
