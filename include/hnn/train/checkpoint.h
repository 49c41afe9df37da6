// The one checkpoint format of hnn: a LibTorch archive holding the model's weights and buffers,
// the optimiser state, the epoch, the RNG state (LibTorch's CPU generator and hnn::rng()), the
// training history, and the model's JSON config, which is also written beside it as
// "<path>.json" for people and tools. Files are written to a temporary name and renamed.
//
//   train::CheckpointMeta meta;
//   meta.config = R"({"model": "my-net", "hidden": 128})";
//   train::save_checkpoint("model.pt", *model, meta, &optimizer);
//   auto cfg = train::read_checkpoint_config("model.pt");  // rebuild the model from it, then
//   train::load_checkpoint("model.pt", *model);
#pragma once
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <string>

namespace hnn::train {

// Identifies the format inside the archive.
constexpr const char* kCheckpointFormat = "hnn.checkpoint.v1";

struct CheckpointMeta {
  std::string config = "{}";   // the model's JSON config (an object; "model" names its kind)
  int64_t epoch = 0;           // epochs completed
  std::string history = "[]";  // JSON array of per-epoch metrics (the trainer's)
  bool save_rng = true;        // store the RNG state
};

// Writes model (+ optimiser when given) and meta to `path`, and the config to "<path>.json".
void save_checkpoint(const std::string& path, const torch::nn::Module& model, const CheckpointMeta& meta,
                     torch::optim::Optimizer* optimizer = nullptr);

struct LoadOptions {
  bool optimizer = true;  // load the optimiser state when an optimiser is given and stored
  bool rng = false;       // restore the RNG state (resume)
  bool strict = true;     // every parameter and buffer of the model must be in the file
};

// Reads `path` into model (and optimiser). The model must have the stored shapes: rebuild it
// from read_checkpoint_config first. hnn::Error naming the file and the first mismatch.
CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer = nullptr, const LoadOptions& options = {});

// The stored config and epoch only (no weights loaded). hnn::Error when `path` is not an hnn
// checkpoint.
CheckpointMeta read_checkpoint_meta(const std::string& path);
std::string read_checkpoint_config(const std::string& path);

}  // namespace hnn::train
