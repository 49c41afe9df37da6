// The parts of data parallelism that need no c10d types: the environment, the default group, the
// sampler, module broadcast and buffer sync, and the bucketed gradient reducer (on the group's
// collectives, so they build the same with or without c10d).
#include "hnn/train/distributed.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cstdlib>
#include <mutex>

#include "hnn/core/error.h"

namespace hnn::train::dist {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// An integer environment variable, or `fallback` when unset; hnn::Error when malformed.
int env_int(const char* name, int fallback) {
  const char* v = env(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    long x = std::stol(v, &used);
    // Slurm writes per-node task counts as "2(x3)": the leading number is the count.
    if (used == 0) throw std::invalid_argument(v);
    return (int)x;
  } catch (const std::exception&) {
    fail("distributed: the environment variable {}='{}' is not an integer", name, v);
  }
}

std::shared_ptr<ProcessGroup>& default_slot() {
  static std::shared_ptr<ProcessGroup> g;
  return g;
}

}  // namespace

Environment environment() {
  Environment e;
  if (env("WORLD_SIZE") || env("RANK")) {
    e.source = "torchrun";
    e.world_size = env_int("WORLD_SIZE", 1);
    e.rank = env_int("RANK", 0);
    e.local_rank = env_int("LOCAL_RANK", e.rank);
    e.local_world_size = env_int("LOCAL_WORLD_SIZE", e.world_size);
  } else if (env("SLURM_PROCID") && env("SLURM_NTASKS")) {
    e.source = "slurm";
    e.world_size = env_int("SLURM_NTASKS", 1);
    e.rank = env_int("SLURM_PROCID", 0);
    e.local_rank = env_int("SLURM_LOCALID", 0);
    e.local_world_size = env_int("SLURM_NTASKS_PER_NODE", e.world_size);
    HNN_CHECK(e.world_size == 1 || env("MASTER_ADDR"),
              "distributed: under Slurm, set MASTER_ADDR to the first node of the job, e.g. export "
              "MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)");
  }
  if (const char* a = env("MASTER_ADDR")) e.master_addr = a;
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && std::string(agent) == "True";
  e.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0);
  e.master_port = env_int("MASTER_PORT", e.master_port);
  HNN_CHECK(e.world_size >= 1, "distributed: the world size must be at least 1, got {}", e.world_size);
  HNN_CHECK(e.rank >= 0 && e.rank < e.world_size,
            "distributed: rank {} is not in a world of {} processes (RANK, "
            "WORLD_SIZE)",
            e.rank, e.world_size);
  HNN_CHECK(e.local_rank >= 0, "distributed: LOCAL_RANK must be >= 0, got {}", e.local_rank);
  HNN_CHECK(e.master_port > 0 && e.master_port < 65536, "distributed: MASTER_PORT={} is not a port", e.master_port);
  return e;
}

bool requested_by_environment() {
  return env_int("WORLD_SIZE", 1) > 1;
}

void set_default_group(std::shared_ptr<ProcessGroup> group) {
  default_slot() = std::move(group);
}

std::shared_ptr<ProcessGroup> default_group() {
  return default_slot();
}

std::shared_ptr<ProcessGroup> init(const GroupOptions& options) {
  auto g = ProcessGroup::create(environment(), options);
  set_default_group(g);
  return g;
}

bool is_primary() {
  auto g = default_group();
  return !g || g->rank() == 0;
}

at::Tensor shard(const at::Tensor& order, int rank, int world) {
  HNN_CHECK(order.dim() == 1 && order.numel() > 0, "distributed sampler: the order must be a non-empty 1-d tensor");
  HNN_CHECK(world >= 1 && rank >= 0 && rank < world, "distributed sampler: rank {} is not in a world of {}", rank,
            world);
  const int64_t n = order.numel();
  const int64_t per_rank = (n + world - 1) / world;
  at::Tensor padded = order;
  if (per_rank * world > n) {
    // Repeat the start (several times when n < world) so every rank has as many samples.
    const int64_t reps = (per_rank * world + n - 1) / n;
    padded = order.repeat({reps}).slice(0, 0, per_rank * world);
  }
  return padded.slice(0, rank, per_rank * world, world).contiguous();
}

at::Tensor permutation(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randperm(n, gen, at::TensorOptions().dtype(at::kLong));
}

void broadcast_module(ProcessGroup& group, torch::nn::Module& module, int root) {
  if (group.size() == 1) return;
  torch::NoGradGuard ng;
  std::vector<at::Tensor> all;
  for (auto& p : module.parameters()) all.push_back(p.detach());
  for (auto& b : module.buffers()) all.push_back(b.detach());
  group.broadcast(all, root);
}

void sync_buffers(ProcessGroup& group, torch::nn::Module& module, bool average) {
  if (group.size() == 1) return;
  torch::NoGradGuard ng;
  std::vector<at::Tensor> mean, take;
  for (auto& b : module.buffers()) (average && b.is_floating_point() ? mean : take).push_back(b.detach());
  group.all_reduce_sum(mean);
  for (auto& b : mean) b.div_(group.size());
  group.broadcast(take, 0);
}

// GradientReducer -------------------------------------------------------------------------------

struct GradientReducer::Impl {
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> params;
    size_t waiting = 0;  // parameters whose gradient has not arrived in this backward pass
    ProcessGroup::Pending work;
  };
  std::shared_ptr<ProcessGroup> group;
  std::vector<at::Tensor> params;
  std::vector<size_t> bucket_of;
  std::vector<int64_t> offset_of;
  std::vector<bool> arrived;
  std::vector<Bucket> buckets;
  std::vector<unsigned> hook_ids;
  size_t next_launch = 0;
  bool armed = false;
  std::mutex mu;

  at::Tensor slice(size_t i) {
    const auto& b = buckets[bucket_of[i]];
    return b.flat.narrow(0, offset_of[i], params[i].numel()).view_as(params[i]);
  }
  // Buckets start in index order on every rank, whatever order they fill in: c10d matches
  // collectives by the order they are issued.
  void launch_ready() {
    for (; next_launch < buckets.size() && buckets[next_launch].waiting == 0; ++next_launch)
      buckets[next_launch].work = group->all_reduce_sum_async(buckets[next_launch].flat);
  }
  void on_grad(size_t i, const at::Tensor& grad) {
    std::lock_guard<std::mutex> lock(mu);
    if (!armed) return;
    auto dst = slice(i);
    if (arrived[i]) {
      dst.add_(grad.to(dst.dtype()));
      return;
    }
    dst.copy_(grad);
    arrived[i] = true;
    if (--buckets[bucket_of[i]].waiting == 0 && group->options().overlap) launch_ready();
  }
};

GradientReducer::GradientReducer(std::shared_ptr<ProcessGroup> group, std::vector<at::Tensor> params)
    : impl_(std::make_unique<Impl>()) {
  HNN_CHECK(group != nullptr, "distributed: the gradient reducer needs a process group");
  auto& m = *impl_;
  m.group = std::move(group);
  m.params = std::move(params);
  const int64_t cap = std::max<int64_t>(1, (int64_t)(m.group->options().bucket_mb * 1024 * 1024));
  const size_t n = m.params.size();
  m.bucket_of.assign(n, 0);
  m.offset_of.assign(n, 0);
  m.arrived.assign(n, false);
  // Reverse order: the backward pass produces the last layer's gradients first.
  std::vector<std::vector<size_t>> groups;
  int64_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    const auto& p = m.params[k];
    const bool fits = !groups.empty() && bytes + (int64_t)(p.numel() * p.element_size()) <= cap &&
                      m.params[groups.back().front()].scalar_type() == p.scalar_type() &&
                      m.params[groups.back().front()].device() == p.device();
    if (!fits) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(k);
    bytes += p.numel() * p.element_size();
  }
  for (auto& g : groups) {
    Impl::Bucket b;
    int64_t off = 0;
    for (auto k : g) {
      m.bucket_of[k] = m.buckets.size();
      m.offset_of[k] = off;
      off += m.params[k].numel();
    }
    b.flat = at::zeros({off}, m.params[g.front()].options().requires_grad(false));
    b.params = g;
    m.buckets.push_back(std::move(b));
  }
  for (size_t k = 0; k < n; ++k) {
    Impl* raw = impl_.get();
    m.hook_ids.push_back(m.params[k].register_hook([raw, k](const at::Tensor& grad) { raw->on_grad(k, grad); }));
  }
}

GradientReducer::~GradientReducer() {
  auto& m = *impl_;
  for (size_t k = 0; k < m.params.size(); ++k) {
    try {
      m.params[k].remove_hook(m.hook_ids[k]);
    } catch (...) {
    }
  }
}

size_t GradientReducer::buckets() const {
  return impl_->buckets.size();
}

void GradientReducer::arm() {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  std::fill(m.arrived.begin(), m.arrived.end(), false);
  for (auto& b : m.buckets) b.waiting = b.params.size();
  m.next_launch = 0;
  m.armed = true;
}

void GradientReducer::finish() {
  auto& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    HNN_CHECK(m.armed, "distributed: GradientReducer::finish without arm()");
    m.armed = false;
    // Parameters this rank did not use contribute zeros; the rest of the buckets start now.
    for (size_t i = 0; i < m.params.size(); ++i)
      if (!m.arrived[i]) m.slice(i).zero_();
    for (auto& b : m.buckets) b.waiting = 0;
    m.launch_ready();
  }
  const double world = m.group->size();
  for (auto& b : m.buckets) {
    b.work.wait();
    b.flat.div_(world);
  }
  torch::NoGradGuard ng;
  for (size_t i = 0; i < m.params.size(); ++i) {
    auto avg = m.slice(i);
    auto& p = m.params[i];
    if (p.grad().defined()) {
      p.mutable_grad().copy_(avg);
    } else if (m.arrived[i] || avg.ne(0).any().item<bool>()) {
      p.mutable_grad() = avg.clone();
    }
  }
}

}  // namespace hnn::train::dist
