// hnn: command-line front end. Bad input of any kind ends in one line on stderr and exit code 2.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cli_util.h"
#include "commands.h"
#include "hnn/config.h"
#include "hnn/core/allocator.h"
#include "hnn/core/anomaly.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/log.h"
#include "hnn/core/profiler.h"
#include "hnn/core/progress.h"
#include "hnn/core/seed.h"
#include "hnn/train/distributed.h"

namespace hnn::cli {
namespace {
std::unique_ptr<profile::Profiler> g_profiler;

// The whole command's profile after the per-epoch ones the Trainer wrote.
void finish_profile() {
  if (!g_profiler) return;
  const profile::Report rep = g_profiler->report();
  g_profiler.reset();
  try {
    profile::append_to_output(rep.markdown("The whole command"));
    std::fprintf(stderr, "hnn: profile (%s) written to %s\n", rep.summary().c_str(), profile::output().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hnn: error: %s\n", e.what());
  }
}
}  // namespace

void apply_globals(const Globals& g) {
  set_log_level(g.log_level);
  // LibTorch's default can undercount cores on VMs it does not recognise; use them all.
  int threads = g.threads > 0 ? g.threads : (int)std::thread::hardware_concurrency();
  if (g.threads > 0 || !std::getenv("OMP_NUM_THREADS")) torch::set_num_threads(std::max(1, threads));
  Progress::set_enabled(!g.quiet);
  if (g.detect_anomaly) anomaly::set_enabled(true);
  seed_everything(g.seed);
  // Every rank runs the same command with the same seed (so generated data and tasks agree); the
  // Trainer shards the data. Ranks other than 0 stay quiet and write no checkpoints.
  if (!g.launcher && (g.distributed || train::dist::requested_by_environment()) && !train::dist::default_group()) {
    train::dist::GroupOptions o;
    o.backend = g.backend;
    o.timeout_s = g.dist_timeout;
    o.average_buffers = g.sync_bn;
    const auto env = train::dist::environment();
    auto group = train::dist::ProcessGroup::create(env, o);
    train::dist::set_default_group(group);
    if (group->rank() != 0) {
      // Rank 0 speaks for the job: the other ranks' results are the same, so their standard
      // output goes nowhere; warnings and errors still reach standard error.
      set_log_level("warn");
      Progress::set_enabled(false);
      std::fflush(stdout);
      const int null_fd = ::open("/dev/null", O_WRONLY);
      if (null_fd >= 0) {
        ::dup2(null_fd, STDOUT_FILENO);
        ::close(null_fd);
      }
    }
    spdlog::info("distributed: {} ranks ({}, rendezvous at {}:{}); the batch size is per rank", group->size(),
                 group->backend(), env.master_addr, env.master_port);
  }
  // Rank 0 profiles a distributed run (the ranks run the same code; one writes the file), and
  // `hnn launch` leaves it to its ranks.
  const auto group = train::dist::default_group();
  if (!g.profile.empty() && !g_profiler && !g.launcher && (!group || group->rank() == 0)) {
    profile::set_output(g.profile);
    write_file_atomically(g.profile, fmt::format("# Profile of `{}`\n\nSelf time of every operator, grouped "
                                                 "(docs/profiling.md).\n\n",
                                                 g.command_line));
    g_profiler = std::make_unique<profile::Profiler>();
  }
}

}  // namespace hnn::cli

int main(int argc, char** argv) {
  // Line-buffered stdout, so progress lines reach a log file (or a pipe) as they are printed.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  hnn::install_caching_allocator();
  CLI::App app{
      "hnn: hybrid neural networks (ANN + SNN joined by hybrid units) on LibTorch.\n"
      "Run 'hnn <command> --help' for the options of a command."};
  app.name("hnn");
  app.set_version_flag("--version", std::string("hnn ") + HNN_VERSION_STRING + " (LibTorch " + TORCH_VERSION + ")");
  app.fallthrough();
  hnn::cli::Globals g;
  app.add_option("--seed", g.seed, "Seed for every random number generator")->capture_default_str();
  app.add_option("--threads", g.threads, "CPU threads for LibTorch (0: its default)")->check(hnn::cli::non_negative());
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_flag("-q,--quiet", g.quiet, "No progress bars");
  app.add_flag("--detect-anomaly", g.detect_anomaly,
               "Check every neuron, layer, hybrid unit, backward pass and gradient for NaN or Inf and stop at the "
               "first with the module's name and the time step (slower; on by default in debug builds)");
  app.add_flag("--distributed", g.distributed,
               "Data-parallel training over the ranks of RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT (torchrun's "
               "variables; also on when WORLD_SIZE > 1). See 'hnn launch' and docs/distributed.md");
  app.add_option("--backend", g.backend, "Distributed backend: auto, gloo or nccl")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str();
  app.add_option("--dist-timeout", g.dist_timeout, "Seconds a rank waits for its peers before it fails")
      ->check(hnn::cli::positive())
      ->capture_default_str();
  app.add_flag("--sync-bn", g.sync_bn,
               "Distributed: average BatchNorm statistics over the ranks after each epoch (default: rank 0's)");
  app.add_option("--profile", g.profile,
                 "Write a Markdown profile to FILE: the time of every operator, grouped into convolution/matmul, "
                 "neurons, BatchNorm, loss, data, optimiser, evaluation and the rest; a table per training epoch "
                 "and one for the whole command (docs/profiling.md)")
      ->type_name("FILE");
  for (int i = 0; i < argc; ++i) g.command_line += (i ? " " : "") + std::string(argv[i]);

  hnn::cli::register_info(app, g);
  hnn::cli::register_launch(app, g);
  hnn::cli::register_bench(app, g);
  hnn::cli::register_demo(app, g);
  hnn::cli::register_hu(app, g);
  hnn::cli::register_events(app, g);
  hnn::cli::register_hrn(app, g);
  hnn::cli::register_hsn(app, g);
  hnn::cli::register_hp(app, g);
  hnn::cli::register_hmn(app, g);
  hnn::cli::register_dasbe(app, g);
  hnn::cli::register_nir(app, g);

  struct ProfileAtExit {
    ~ProfileAtExit() { hnn::cli::finish_profile(); }
  } profile_at_exit;
  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      std::fprintf(stderr, "hnn: a command is required (see 'hnn --help')\n");
      return 2;
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::fprintf(stderr, "hnn: %s (see 'hnn --help')\n", msg.c_str());
    return 2;
  } catch (const hnn::Error& e) {
    std::fprintf(stderr, "hnn: error: %s\n", e.what());
    return 2;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "hnn: error: %s\n", e.what_without_backtrace());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hnn: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
