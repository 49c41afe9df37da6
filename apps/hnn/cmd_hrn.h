// Shared pieces of the `hnn hrn` subcommands (cmd_hrn.cpp, cmd_hrn_experiments.cpp).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "commands.h"
#include "hnn/data/clevrer.h"
#include "hnn/models/hrn/reasoner.h"

namespace hnn::cli {

struct HrnCommon {
  std::string scenes;
  bool no_clip = false;
  models::hrn::ReasonerOptions reasoner;
  std::string engine = "sparse";
};

// --scenes, and with clip = true --no-clip / --max-events / --max-unseen / --max-counterfactual.
void add_scene_options(CLI::App* cmd, HrnCommon& c, bool clip);
std::string scenes_path(const HrnCommon& c);
models::hrn::ReasonerOptions reasoner_options(const HrnCommon& c);
models::hrn::BatchOptions batch_options(const HrnCommon& c);
std::vector<data::ClevrerScene> load_scenes(const HrnCommon& c, int64_t first, int64_t limit);

void register_hrn_experiments(CLI::App* hrn, Globals& g);

}  // namespace hnn::cli
