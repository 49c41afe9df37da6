// Data parallelism on PyTorch's own engine, c10d: a process group (Gloo on CPU, NCCL on CUDA when
// LibTorch has it) set up from the environment torchrun, Slurm and Kubernetes' PyTorchJob give
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), the distributed sampler, and the
// bucketed gradient all-reduce the Trainer runs during the backward pass. No communication code of
// our own: every byte goes through c10d. See docs/distributed.md.
//
//   auto group = train::dist::init();          // from the environment; the Trainer's default
//   train::Trainer trainer(*model, options);   // each rank now trains on its shard of the data
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hnn::train::dist {

// Whether this build has c10d with Gloo (CMake component DISTRIBUTED). Without it, init() and
// ProcessGroup::create throw hnn::Error saying so; everything else works in one process.
bool available();

// Where this process sits in the job, from the environment: torchrun's RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, or else Slurm's SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID (with MASTER_ADDR/MASTER_PORT still needed for more than one node).
struct Environment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "none";  // "torchrun", "slurm" or "none"
  // torchrun with its static rendezvous already hosts the store at MASTER_ADDR:MASTER_PORT
  // (TORCHELASTIC_USE_AGENT_STORE=True): every rank joins it as a client. Keys are prefixed with
  // the restart count (TORCHELASTIC_RESTART_COUNT), so a restarted job never reads stale ones.
  bool agent_store = false;
  int restart_count = 0;
};
// hnn::Error naming the variable when one is malformed or inconsistent (e.g. RANK >= WORLD_SIZE).
Environment environment();
// True when the environment describes a job of more than one process.
bool requested_by_environment();

struct GroupOptions {
  // "gloo", "nccl" or "auto" (NCCL when LibTorch has it and CUDA is in use, else Gloo).
  std::string backend = "auto";
  // Rendezvous and collective timeout: a rank that waits longer for a peer fails with hnn::Error.
  double timeout_s = 300;
  // BatchNorm and other floating-point buffers at the end of each epoch: averaged over the ranks
  // (true) or taken from rank 0 (false, what DDP does by default). Either way every rank ends the
  // epoch with the same buffers, so validation and checkpoints agree.
  bool average_buffers = false;
  // Gradient buckets: size in MiB, and whether a full bucket's all-reduce starts during the
  // backward pass (overlap) or every bucket waits for the end of the backward pass.
  double bucket_mb = 25;
  bool overlap = true;
};

class ProcessGroup {
 public:
  // Joins the job described by `env` (rank 0 hosts the TCPStore rendezvous at
  // master_addr:master_port). hnn::Error when the rendezvous fails or times out.
  static std::shared_ptr<ProcessGroup> create(const Environment& env, const GroupOptions& options = {});
  ~ProcessGroup();

  int rank() const;
  int size() const;
  const std::string& backend() const;
  const GroupOptions& options() const;

  // Blocking collectives, in place. Every rank must call them in the same order with tensors of
  // the same shapes. hnn::Error when a peer fails or the timeout passes.
  void all_reduce_sum(std::vector<at::Tensor>& tensors);
  void broadcast(std::vector<at::Tensor>& tensors, int root = 0);
  void barrier();

  // An all-reduce (sum) that runs in the background until wait() returns.
  class Pending {
   public:
    Pending();
    Pending(Pending&&) noexcept;
    Pending& operator=(Pending&&) noexcept;
    ~Pending();
    void wait();

   private:
    friend class ProcessGroup;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  Pending all_reduce_sum_async(at::Tensor tensor);

 private:
  struct Impl;
  explicit ProcessGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The process-wide group the Trainer uses unless given another (Trainer::set_process_group).
void set_default_group(std::shared_ptr<ProcessGroup> group);
std::shared_ptr<ProcessGroup> default_group();
// Creates the group from environment() and makes it the default.
std::shared_ptr<ProcessGroup> init(const GroupOptions& options = {});
// Rank 0 of the default group, or no group: the process that writes checkpoints and logs.
bool is_primary();

// The distributed sampler. `order` (int64 [n], the epoch's order of all samples, the same on every
// rank) is padded by repeating its start to a multiple of `world` samples, as PyTorch's
// DistributedSampler does, and rank r takes positions r, r + world, r + 2 world, ...: the ranks'
// k-th batches together are the k-th batch of one process with a world-times larger batch.
at::Tensor shard(const at::Tensor& order, int rank, int world);
// A permutation of 0..n-1 that depends only on `seed`.
at::Tensor permutation(int64_t n, uint64_t seed);

// Copies every parameter and buffer of `module` from rank `root` to all ranks.
void broadcast_module(ProcessGroup& group, torch::nn::Module& module, int root = 0);
// Makes the buffers agree: floating-point ones averaged (average = true) or rank 0's; integer
// ones (e.g. BatchNorm's num_batches_tracked) always rank 0's.
void sync_buffers(ProcessGroup& group, torch::nn::Module& module, bool average);

// Averages the gradients of `params` over the ranks. The parameters are grouped in buckets (in
// reverse order, as the backward pass produces them); with overlap, a hook on each parameter
// copies its gradient into the bucket and the bucket's all-reduce starts as soon as it is full,
// in bucket order on every rank, while the backward pass goes on. Only backward passes between
// arm() and finish() are reduced, so other backward passes (a Fisher estimate) stay local.
class GradientReducer {
 public:
  GradientReducer(std::shared_ptr<ProcessGroup> group, std::vector<at::Tensor> params);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void arm();
  // After backward(): reduces what is left, waits, and writes the averages into the .grad() of
  // the parameters. A parameter no rank used keeps no gradient.
  void finish();
  size_t buckets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hnn::train::dist
