// Data parallelism (distributed.h, launch.h): the sampler and the environment in process, and real
// jobs of 1 and 2 ranks on loopback (Gloo) through dist::launch running tests/train/dist_worker.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hnn/config.h"
#include "hnn/core/error.h"
#include "hnn/train/distributed.h"
#include "hnn/train/launch.h"
#if HNN_HAVE_DISTRIBUTED
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace fs = std::filesystem;
using namespace hnn::train;

TEST(DistSampler, ShardsCoverTheOrderAndPadEqually) {
  auto order = dist::permutation(10, 5);
  EXPECT_TRUE(std::get<0>(order.sort()).equal(torch::arange(10, torch::kLong)));
  EXPECT_TRUE(order.equal(dist::permutation(10, 5)));
  EXPECT_FALSE(order.equal(dist::permutation(10, 6)));
  // 10 samples over 3 ranks: 4 each, the first two repeated; rank r takes r, r + 3, ...
  std::vector<int64_t> seen;
  for (int r = 0; r < 3; ++r) {
    auto s = dist::shard(order, r, 3);
    ASSERT_EQ(s.numel(), 4);
    for (int64_t k = 0; k < 4; ++k) {
      EXPECT_EQ(s[k].item<int64_t>(), order[(3 * k + r) % 10].item<int64_t>());
      seen.push_back(s[k].item<int64_t>());
    }
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()) - seen.begin(), 10);
  // Fewer samples than ranks still gives every rank one.
  EXPECT_EQ(dist::shard(torch::arange(2, torch::kLong), 4, 5).numel(), 1);
  EXPECT_THROW(dist::shard(order, 3, 3), hnn::Error);
}

TEST(DistEnvironment, ReadsTorchrunThenSlurm) {
  auto clear = [] {
    for (const char* k : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                          "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"})
      unsetenv(k);
  };
  clear();
  EXPECT_EQ(dist::environment().source, "none");
  EXPECT_FALSE(dist::requested_by_environment());
  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "4", 1);
  setenv("LOCAL_RANK", "1", 1);
  setenv("MASTER_ADDR", "node7", 1);
  setenv("MASTER_PORT", "29511", 1);
  auto e = dist::environment();
  EXPECT_EQ(e.source, "torchrun");
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.master_addr, "node7");
  EXPECT_EQ(e.master_port, 29511);
  EXPECT_TRUE(dist::requested_by_environment());
  setenv("RANK", "4", 1);
  EXPECT_THROW(dist::environment(), hnn::Error);
  setenv("RANK", "x", 1);
  EXPECT_THROW(dist::environment(), hnn::Error);
  clear();
  setenv("SLURM_PROCID", "2", 1);
  setenv("SLURM_NTASKS", "3", 1);
  setenv("SLURM_NTASKS_PER_NODE", "3(x1)", 1);
  EXPECT_THROW(dist::environment(), hnn::Error);  // Slurm needs MASTER_ADDR
  setenv("MASTER_ADDR", "node1", 1);
  e = dist::environment();
  EXPECT_EQ(e.source, "slurm");
  EXPECT_EQ(e.rank, 2);
  EXPECT_EQ(e.world_size, 3);
  EXPECT_EQ(e.local_world_size, 3);
  clear();
}

namespace {

// Runs dist_worker as `nproc` ranks with the given arguments in a fresh folder; returns the
// launch result and the folder (rank<r>.pt and the logs).
struct Job {
  dist::LaunchResult result;
  fs::path dir;
  std::vector<at::Tensor> state(int rank) const {
    std::vector<at::Tensor> s;
    torch::load(s, (dir / ("rank" + std::to_string(rank) + ".pt")).string());
    return s;
  }
  std::string log(int rank) const {
    std::ifstream in(dir / ("rank" + std::to_string(rank) + ".log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

Job run(const std::string& name, int nproc, std::vector<std::string> args, double grace = 30,
        const std::vector<std::pair<std::string, std::string>>& env = {}, int port = 0) {
  Job j;
  j.dir = fs::temp_directory_path() / ("hnn_dist_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(j.dir);
  fs::create_directories(j.dir);
  std::vector<std::string> argv{HNN_DIST_WORKER, "--out", j.dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  dist::LaunchOptions o;
  o.nproc = nproc;
  o.grace_s = grace;
  o.log_dir = j.dir.string();
  o.env = {{"OMP_NUM_THREADS", "1"}};
  o.env.insert(o.env.end(), env.begin(), env.end());
  o.master_port = port;
  j.result = dist::launch(argv, o);
  return j;
}

void expect_same(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LT((a[i] - b[i]).abs().max().item<double>(), tol) << "tensor " << i;
}

#define SKIP_WITHOUT_C10D() \
  if (!HNN_HAVE_DISTRIBUTED) GTEST_SKIP() << "built without c10d (libgloo-dev)"

}  // namespace

// The defining property of data parallelism: 2 ranks with batch b take the same steps as 1 rank
// with batch 2b (the same samples, the mean of the two halves' gradients).
TEST(Distributed, TwoRanksMatchOneRankWithTwiceTheBatch) {
  SKIP_WITHOUT_C10D();
  for (std::string opt : {"sgd", "adam"}) {
    // Tiny buckets: many all-reduces in flight at once, started in bucket order.
    auto one = run("one_" + opt, 1, {"--batch", "16", "--optimizer", opt, "--bucket-mb", "0.0002"});
    auto two = run("two_" + opt, 2, {"--batch", "8", "--optimizer", opt, "--bucket-mb", "0.0002"});
    ASSERT_EQ(one.result.exit_code, 0) << one.log(0);
    ASSERT_EQ(two.result.exit_code, 0) << two.log(0) << two.log(1);
    expect_same(two.state(0), two.state(1), 1e-7);  // the ranks agree
    expect_same(one.state(0), two.state(0), 2e-5);
    // Without overlap (every bucket after the backward pass) the result is the same.
    auto late = run("late_" + opt, 2, {"--batch", "8", "--optimizer", opt, "--overlap", "0"});
    ASSERT_EQ(late.result.exit_code, 0) << late.log(0);
    expect_same(late.state(0), two.state(0), 2e-5);
    for (auto* j : {&one, &two, &late}) fs::remove_all(j->dir);
  }
}

TEST(Distributed, BatchNormBuffersAgreeAcrossRanks) {
  SKIP_WITHOUT_C10D();
  for (std::string average : {"0", "1"}) {
    auto j = run("bn" + average, 2, {"--bn", "1", "--average", average, "--batch", "8"});
    ASSERT_EQ(j.result.exit_code, 0) << j.log(0) << j.log(1);
    expect_same(j.state(0), j.state(1), 1e-7);
    fs::remove_all(j.dir);
  }
}

TEST(Distributed, ResumeContinuesAsIfNeverStopped) {
  SKIP_WITHOUT_C10D();
  auto whole = run("whole", 2, {"--epochs", "4"});
  ASSERT_EQ(whole.result.exit_code, 0) << whole.log(0);
  const auto ckpt = (fs::temp_directory_path() / ("hnn_dist_ckpt_" + std::to_string(::getpid()) + ".pt")).string();
  auto first = run("first", 2, {"--epochs", "2", "--checkpoint", ckpt});
  ASSERT_EQ(first.result.exit_code, 0) << first.log(0);
  ASSERT_TRUE(fs::exists(ckpt));  // written by rank 0 only
  auto rest = run("rest", 2, {"--epochs", "4", "--resume", ckpt});
  ASSERT_EQ(rest.result.exit_code, 0) << rest.log(0) << rest.log(1);
  expect_same(rest.state(0), whole.state(0), 1e-6);
  expect_same(rest.state(1), whole.state(1), 1e-6);
  for (auto* j : {&whole, &first, &rest}) fs::remove_all(j->dir);
  fs::remove(ckpt);
  fs::remove(ckpt + ".json");
}

// A rank that dies makes the others fail with an error naming the collective, not hang: the
// grace period is longer than the test would ever wait.
TEST(Distributed, ALostRankMakesTheOthersFailClearly) {
  SKIP_WITHOUT_C10D();
  auto j = run("lost", 2, {"--epochs", "50", "--die-at", "3"}, 120);
  EXPECT_EQ(j.result.failed_rank, 1);
  EXPECT_EQ(j.result.codes[1], 3);
  EXPECT_EQ(j.result.codes[0], 2) << j.log(0);
  EXPECT_NE(j.log(0).find("distributed:"), std::string::npos) << j.log(0);
  EXPECT_NE(j.log(0).find("failed on rank 0 of 2"), std::string::npos) << j.log(0);
  EXPECT_LT(j.result.seconds, 60);
  fs::remove_all(j.dir);
}

// torchrun's static rendezvous: its agent already serves the store at MASTER_ADDR:MASTER_PORT and
// says so with TORCHELASTIC_USE_AGENT_STORE=True; rank 0 must join it as a client. The agent is
// played here by a TCPStore in this process. (Debian's torchrun 1.13 itself cannot start programs
// under Python 3.11: its Std enum parsing fails before any worker starts.)
TEST(Distributed, JoinsTheStoreOfTorchrunsAgent) {
  SKIP_WITHOUT_C10D();
#if HNN_HAVE_DISTRIBUTED
  const int port = dist::free_port();
  c10d::TCPStoreOptions so;
  so.port = (uint16_t)port;
  so.isServer = true;
  so.waitWorkers = false;
  auto agent = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  auto j = run("agent", 2, {"--epochs", "1"}, 30,
               {{"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RESTART_COUNT", "2"}}, port);
  ASSERT_EQ(j.result.exit_code, 0) << j.log(0) << j.log(1);
  expect_same(j.state(0), j.state(1), 1e-7);
  // hnn's keys live under the restart's prefix in the agent's store.
  EXPECT_GT(agent->getNumKeys(), 0);
  fs::remove_all(j.dir);
#endif
}

// Crash-safe training: a run killed with SIGKILL in the middle of an epoch resumes from its last
// checkpoint (written atomically, so whole) and ends with the same weights, bit for bit, as a run
// that was never stopped.
TEST(CrashSafe, KilledMidEpochResumesBitIdentical) {
  SKIP_WITHOUT_C10D();
  auto whole = run("uncut", 1, {"--epochs", "4", "--batch", "16"});
  ASSERT_EQ(whole.result.exit_code, 0) << whole.log(0);
  const auto ckpt = (fs::temp_directory_path() / ("hnn_kill_" + std::to_string(::getpid()) + ".pt")).string();
  // 4 steps an epoch: step 10 is in the middle of epoch 3, after the epoch-2 checkpoint.
  auto killed =
      run("killed", 1,
          {"--epochs", "4", "--batch", "16", "--checkpoint", ckpt, "--checkpoint-every", "1", "--kill-at", "10"});
  EXPECT_EQ(killed.result.codes[0], 128 + SIGKILL);
  ASSERT_TRUE(fs::exists(ckpt + "-epoch2"));
  EXPECT_FALSE(fs::exists(ckpt + "-epoch3"));
  auto resumed = run("resumed", 1, {"--epochs", "4", "--batch", "16", "--resume", ckpt + "-epoch2"});
  ASSERT_EQ(resumed.result.exit_code, 0) << resumed.log(0);
  const auto a = resumed.state(0), b = whole.state(0);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "tensor " << i;  // bit for bit
  for (auto* j : {&whole, &killed, &resumed}) fs::remove_all(j->dir);
  for (const char* suffix : {"-epoch1", "-epoch1.json", "-epoch2", "-epoch2.json"}) fs::remove(ckpt + suffix);
}

TEST(Distributed, LaunchReportsWhatItCannotStart) {
  dist::LaunchOptions o;
  o.nproc = 2;
  EXPECT_THROW(dist::launch({"/nonexistent/program"}, o), hnn::Error);
  o.nproc = 0;
  EXPECT_THROW(dist::launch({"true"}, o), hnn::Error);
  EXPECT_GT(dist::free_port(), 0);
}
