// The `hnn` command: each subcommand registers itself on the app; main() only wires them up.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace hnn::cli {

// Options shared by every subcommand (given before or after the subcommand name).
struct Globals {
  uint64_t seed = 42;
  int threads = 0;  // 0: LibTorch's default
  std::string log_level = "info";
  bool quiet = false;
  bool detect_anomaly = false;  // hnn/core/anomaly.h
  // Data parallelism (docs/distributed.md): on with --distributed, or when WORLD_SIZE > 1.
  bool distributed = false;
  std::string backend = "auto";
  double dist_timeout = 300;
  bool sync_bn = false;
  std::string profile;       // hnn/core/profiler.h: a Markdown file of where the time went
  std::string command_line;  // for the profile's heading
  bool launcher = false;     // `hnn launch` itself never joins a group: its ranks do
};

// Applies Globals: seeding, threads, log level, progress bars. Each subcommand calls it first.
void apply_globals(const Globals& g);

void register_info(CLI::App& app, Globals& g);
void register_launch(CLI::App& app, Globals& g);
void register_bench(CLI::App& app, Globals& g);
void register_demo(CLI::App& app, Globals& g);
void register_hu(CLI::App& app, Globals& g);
void register_events(CLI::App& app, Globals& g);
void register_hrn(CLI::App& app, Globals& g);
void register_hsn(CLI::App& app, Globals& g);
void register_hp(CLI::App& app, Globals& g);
void register_hmn(CLI::App& app, Globals& g);
void register_dasbe(CLI::App& app, Globals& g);
void register_nir(CLI::App& app, Globals& g);

}  // namespace hnn::cli
