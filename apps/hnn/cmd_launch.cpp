// hnn launch: N local ranks of an hnn command, as torchrun starts them (docs/distributed.md).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "cli_util.h"
#include "commands.h"
#include "hnn/core/error.h"
#include "hnn/train/distributed.h"
#include "hnn/train/launch.h"

namespace hnn::cli {
namespace {

std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  HNN_CHECK(n > 0, "launch: cannot find the hnn program (/proc/self/exe)");
  return std::string(buf, (size_t)n);
}

}  // namespace

void register_launch(CLI::App& app, Globals& g) {
  struct Opts {
    train::dist::LaunchOptions launch;
    std::vector<std::string> command;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "launch",
      "Run an hnn command as N data-parallel ranks on this machine, as torchrun does: each rank gets RANK, "
      "LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, and its training runs on its shard of the data with "
      "gradients averaged over the ranks (c10d, Gloo on CPU). When a rank fails the others stop too.\n"
      "  hnn launch --nproc 2 -- hp demo --modes hp --epochs 1\n"
      "Global options of the ranks go after '--' (e.g. -- --seed 3 hp train ...). Each rank gets "
      "OMP_NUM_THREADS = cores / N unless it is set. Several machines: see docs/distributed.md.");
  sub->add_option("--nproc", o->launch.nproc, "Number of ranks")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--master-addr", o->launch.master_addr, "Address of rank 0's rendezvous")->capture_default_str();
  sub->add_option("--master-port", o->launch.master_port, "Port of the rendezvous (0: a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--grace", o->launch.grace_s, "Seconds the other ranks get to stop after one fails")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--log-dir", o->launch.log_dir, "Write rank r's output to DIR/rank<r>.log instead of the terminal");
  // After '--' every word is the command's, options included; without it a command name would be
  // taken as a command of this hnn.
  sub->add_option("command", o->command, "The hnn command of the ranks, after '--'");
  sub->callback([o, &g] {
    HNN_CHECK(!o->command.empty(),
              "launch: give the ranks' command after '--' (e.g. hnn launch --nproc 2 -- hp demo --epochs 1)");
    g.launcher = true;
    apply_globals(g);
    HNN_CHECK(train::dist::available(),
              "launch: this build of hnn has no c10d (install libgloo-dev and rebuild; see docs/distributed.md)");
    std::vector<std::string> argv{self_path()};
    argv.insert(argv.end(), o->command.begin(), o->command.end());
    if (!std::getenv("OMP_NUM_THREADS")) {
      const int cores = (int)std::max(1u, std::thread::hardware_concurrency());
      o->launch.env.emplace_back("OMP_NUM_THREADS", std::to_string(std::max(1, cores / o->launch.nproc)));
    }
    spdlog::info("launch: {} ranks of 'hnn{}'", o->launch.nproc, [&] {
      std::string s;
      for (auto& a : o->command) s += " " + a;
      return s;
    }());
    const auto r = train::dist::launch(argv, o->launch);
    if (r.exit_code != 0) {
      std::fprintf(stderr, "hnn: error: launch: rank %d failed with exit code %d after %.1f s%s\n", r.failed_rank,
                   r.exit_code, r.seconds,
                   o->launch.log_dir.empty() ? "" : (" (see " + o->launch.log_dir + "/rank*.log)").c_str());
      std::exit(r.exit_code);
    }
    spdlog::info("launch: all {} ranks finished in {:.1f} s", o->launch.nproc, r.seconds);
  });
}

}  // namespace hnn::cli
