// Shared pieces of the `hnn events` subcommands (cmd_events.cpp: info, convert, render;
// cmd_events_gen.cpp: simulate, saccades).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "hnn/events/saccades.h"

namespace hnn::cli {

// "WxH" -> {W, H}; hnn::Error naming the option otherwise.
std::pair<int, int> parse_size(const std::string& s, const char* option);
// Event files (.aedat4, .aedat, .aedat2, .bin) in a folder, sorted by name (numbers numerically).
std::vector<std::string> event_files(const std::string& dir);
bool is_directory(const std::string& path);

// Statistics of a set of recordings, one entry per file.
struct SetStats {
  std::vector<std::string> names;  // file names without folder
  std::vector<events::StreamStats> stats;
};
SetStats set_stats(const std::vector<std::string>& files, const std::string& label);
// Prints the summary rows (events per file, ON fraction, duration) of one or two sets.
void print_set_table(const std::vector<std::pair<std::string, const SetStats*>>& sets);

void register_events_simulate(CLI::App& events, Globals& g);
void register_events_saccades(CLI::App& events, Globals& g);

}  // namespace hnn::cli
