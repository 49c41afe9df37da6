// ProcessGroup on c10d: a TCPStore rendezvous (rank 0 hosts it) and ProcessGroupGloo (CPU) or
// ProcessGroupNCCL (CUDA). Compiled only when the DISTRIBUTED component is on (the c10d and Gloo
// headers were found); process_group_unavailable.cpp stands in otherwise.
// LibTorch's c10d headers hide the Gloo backend unless this is defined (its own build defines it).
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/cuda.h>

#include <chrono>
#include <cstdlib>
#include <functional>

#include "hnn/core/error.h"
#include "hnn/train/distributed.h"

namespace hnn::train::dist {
namespace {

using WorkPtr = c10::intrusive_ptr<c10d::Work>;

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// Waits for a collective and turns c10d's and Gloo's errors (a peer that closed its connection, a
// timeout) into one hnn::Error that says what happened and where.
void wait_for(const WorkPtr& work, const std::string& what, int rank, int size) {
  try {
    work->wait();
  } catch (const c10::Error& e) {
    fail("distributed: {} failed on rank {} of {}: a peer stopped or the timeout passed ({})", what, rank, size,
         e.what_without_backtrace());
  } catch (const std::exception& e) {
    fail("distributed: {} failed on rank {} of {}: a peer stopped or the timeout passed ({})", what, rank, size,
         e.what());
  }
}

}  // namespace

bool available() {
  return true;
}

// The backend's collectives as functions, so that Gloo and NCCL (ProcessGroups in LibTorch 1.13,
// Backends in 2.x, with the same methods) share one code path.
struct ProcessGroup::Impl {
  int rank = 0, size = 1;
  std::string backend;
  GroupOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  std::function<WorkPtr(std::vector<at::Tensor>&)> all_reduce;
  std::function<WorkPtr(std::vector<at::Tensor>&, int)> broadcast;
  std::function<WorkPtr()> barrier;
  std::shared_ptr<void> keep;  // the backend object

  template <typename Backend>
  void bind(const c10::intrusive_ptr<Backend>& pg) {
    all_reduce = [pg](std::vector<at::Tensor>& t) { return WorkPtr(pg->allreduce(t)); };
    broadcast = [pg](std::vector<at::Tensor>& t, int root) {
      c10d::BroadcastOptions o;
      o.rootRank = root;
      return WorkPtr(pg->broadcast(t, o));
    };
    barrier = [pg]() { return WorkPtr(pg->barrier()); };
    // A reference to the backend for as long as the group lives.
    keep = std::make_shared<c10::intrusive_ptr<Backend>>(pg);
  }
};

struct ProcessGroup::Pending::Impl {
  WorkPtr work;
  int rank = 0, size = 1;
};

ProcessGroup::Pending::Pending() = default;
ProcessGroup::Pending::Pending(Pending&&) noexcept = default;
ProcessGroup::Pending& ProcessGroup::Pending::operator=(Pending&&) noexcept = default;
ProcessGroup::Pending::~Pending() = default;

void ProcessGroup::Pending::wait() {
  if (!impl_ || !impl_->work) return;
  auto work = std::move(impl_->work);
  wait_for(work, "an all-reduce of gradients", impl_->rank, impl_->size);
}

std::shared_ptr<ProcessGroup> ProcessGroup::create(const Environment& env, const GroupOptions& options) {
  HNN_CHECK(env.world_size >= 1 && env.rank >= 0 && env.rank < env.world_size,
            "distributed: rank {} is not in a world of {} processes", env.rank, env.world_size);
  HNN_CHECK(env.master_port > 0 && env.master_port < 65536, "distributed: MASTER_PORT {} is not a port",
            env.master_port);
  HNN_CHECK(options.timeout_s > 0, "distributed: the timeout must be positive, got {} s", options.timeout_s);
  HNN_CHECK(options.bucket_mb > 0, "distributed: the bucket size must be positive, got {} MiB", options.bucket_mb);
  std::string backend = options.backend;
  HNN_CHECK(backend == "auto" || backend == "gloo" || backend == "nccl",
            "distributed: unknown backend '{}' (expected auto, gloo or nccl)", backend);
  bool have_nccl = false;
#ifdef USE_C10D_NCCL
  have_nccl = true;
#endif
  if (backend == "auto") backend = have_nccl && torch::cuda::is_available() ? "nccl" : "gloo";
  HNN_CHECK(backend != "nccl" || have_nccl, "distributed: this LibTorch has no NCCL backend (use --backend gloo)");

  auto impl = std::make_unique<Impl>();
  impl->rank = env.rank;
  impl->size = env.world_size;
  impl->backend = backend;
  impl->options = options;
  const auto timeout = std::chrono::milliseconds((int64_t)(options.timeout_s * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = (uint16_t)env.master_port;
    so.isServer = env.rank == 0 && !env.agent_store;
    so.numWorkers = (size_t)env.world_size;
    so.waitWorkers = true;
    so.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    impl->store = c10::make_intrusive<c10d::PrefixStore>(fmt::format("hnn/attempt_{}", env.restart_count), tcp);
  } catch (const std::exception& e) {
    fail(
        "distributed: rank {} of {} could not meet the others at {}:{} within {} s ({}). Is rank 0 running, and "
        "are MASTER_ADDR and MASTER_PORT the same on every rank?",
        env.rank, env.world_size, env.master_addr, env.master_port, options.timeout_s, e.what());
  }
  try {
    if (backend == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(timeout);
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (is_loopback(env.master_addr)) {
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      o->threads = 2;
      impl->bind(c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world_size, o));
    } else {
#ifdef USE_C10D_NCCL
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      impl->bind(c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, env.rank, env.world_size, o));
#endif
    }
  } catch (const hnn::Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("distributed: rank {} of {} could not connect to its peers with {} ({})", env.rank, env.world_size, backend,
         e.what());
  }
  return std::shared_ptr<ProcessGroup>(new ProcessGroup(std::move(impl)));
}

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const {
  return impl_->rank;
}
int ProcessGroup::size() const {
  return impl_->size;
}
const std::string& ProcessGroup::backend() const {
  return impl_->backend;
}
const GroupOptions& ProcessGroup::options() const {
  return impl_->options;
}

// c10d's collectives take one tensor per device, all of one shape: tensors of several shapes go
// through one flat tensor per dtype (and device), which is also one message instead of many.
static void flat_collective(std::vector<at::Tensor>& tensors, const std::function<void(at::Tensor&)>& run) {
  std::vector<bool> done(tensors.size(), false);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (done[i]) continue;
    std::vector<size_t> group;
    for (size_t j = i; j < tensors.size(); ++j)
      if (!done[j] && tensors[j].scalar_type() == tensors[i].scalar_type() &&
          tensors[j].device() == tensors[i].device()) {
        group.push_back(j);
        done[j] = true;
      }
    std::vector<at::Tensor> flat;
    for (auto j : group) flat.push_back(tensors[j].reshape(-1));
    at::Tensor buf = at::cat(flat);
    run(buf);
    int64_t off = 0;
    for (auto j : group) {
      const int64_t n = tensors[j].numel();
      tensors[j].copy_(buf.narrow(0, off, n).view_as(tensors[j]));
      off += n;
    }
  }
}

void ProcessGroup::all_reduce_sum(std::vector<at::Tensor>& tensors) {
  flat_collective(tensors, [&](at::Tensor& buf) {
    std::vector<at::Tensor> v{buf};
    wait_for(impl_->all_reduce(v), "an all-reduce", impl_->rank, impl_->size);
  });
}

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
  HNN_CHECK(root >= 0 && root < impl_->size, "distributed: broadcast from rank {} in a world of {}", root, impl_->size);
  flat_collective(tensors, [&](at::Tensor& buf) {
    std::vector<at::Tensor> v{buf};
    wait_for(impl_->broadcast(v, root), "a broadcast", impl_->rank, impl_->size);
  });
}

void ProcessGroup::barrier() {
  wait_for(impl_->barrier(), "a barrier", impl_->rank, impl_->size);
}

ProcessGroup::Pending ProcessGroup::all_reduce_sum_async(at::Tensor tensor) {
  std::vector<at::Tensor> v{std::move(tensor)};
  Pending p;
  p.impl_ = std::make_unique<Pending::Impl>();
  p.impl_->rank = impl_->rank;
  p.impl_->size = impl_->size;
  try {
    p.impl_->work = impl_->all_reduce(v);
  } catch (const std::exception& e) {
    fail("distributed: an all-reduce failed to start on rank {} of {} ({})", impl_->rank, impl_->size, e.what());
  }
  return p;
}

}  // namespace hnn::train::dist
