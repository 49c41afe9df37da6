#include "hnn/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/seed.h"
#include "hnn/core/shape.h"

namespace hnn::train {
namespace {

// Parameters and buffers by their dotted names ("snn.l0.conv.weight").
std::vector<std::pair<std::string, at::Tensor>> named_state(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (auto& p : model.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (auto& b : model.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

nlohmann::json parse_config(const std::string& text, const std::string& where) {
  try {
    auto j = nlohmann::json::parse(text);
    HNN_CHECK(j.is_object(), "{}: the model config must be a JSON object", where);
    return j;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: bad model config ({})", where, e.what());
  }
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// Runs f; any exception that is not already an hnn::Error (LibTorch's archive and unpickler meet
// a damaged or cut file in many ways: c10::Error, JIT parse errors, std::runtime_error) becomes
// one that names the file.
template <typename F>
auto reading(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const hnn::Error&) {
    throw;
  } catch (const c10::Error& e) {
    fail("checkpoint '{}' is damaged or incomplete: {}", path, first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    fail("checkpoint '{}' is damaged or incomplete: {}", path, first_line(e.what()));
  }
}

void open_archive(torch::serialize::InputArchive& archive, const std::string& path, CheckpointMeta& meta) {
  HNN_CHECK(file_exists(path), "cannot open checkpoint '{}'", path);
  archive.load_from(path);  // its errors become hnn::Error in reading(), around every caller
  c10::IValue v;
  HNN_CHECK(archive.try_read("format", v) && v.isString() && v.toStringRef() == kCheckpointFormat,
            "'{}' is not an hnn checkpoint (expected format {})", path, kCheckpointFormat);
  HNN_CHECK(archive.try_read("config", v) && v.isString(), "checkpoint '{}' has no model config", path);
  meta.config = v.toStringRef();
  parse_config(meta.config, path);
  if (archive.try_read("epoch", v) && v.isInt()) meta.epoch = v.toInt();
  if (archive.try_read("history", v) && v.isString()) meta.history = v.toStringRef();
}

}  // namespace

void save_checkpoint(const std::string& path, const torch::nn::Module& model, const CheckpointMeta& meta,
                     torch::optim::Optimizer* optimizer) {
  auto cfg = parse_config(meta.config, path);
  c10::Dict<std::string, at::Tensor> weights;
  for (auto& [name, t] : named_state(model)) weights.insert(name, t.detach().cpu());
  write_atomically(path, [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string(kCheckpointFormat)));
    archive.write("config", c10::IValue(cfg.dump()));
    archive.write("epoch", c10::IValue(meta.epoch));
    archive.write("history", c10::IValue(meta.history));
    archive.write("weights", c10::IValue(weights));
    if (optimizer) {
      torch::serialize::OutputArchive state;
      optimizer->save(state);
      archive.write("optimizer", state);
    }
    if (meta.save_rng) {
      auto gen = at::detail::getDefaultCPUGenerator();
      at::Tensor state;
      {
        std::lock_guard<std::mutex> lock(gen.mutex());
        state = gen.get_state();
      }
      std::ostringstream engine;
      engine << rng();
      archive.write("rng_torch", state);
      archive.write("rng_hnn", c10::IValue(engine.str()));
    }
    try {
      archive.save_to(tmp);
    } catch (const c10::Error& e) {
      fail("cannot write checkpoint '{}': {}", path, e.what_without_backtrace());
    }
  });
  write_file_atomically(path + ".json", cfg.dump(2) + "\n");
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  return reading(path, [&] {
    torch::serialize::InputArchive archive;
    CheckpointMeta meta;
    open_archive(archive, path, meta);
    return meta;
  });
}

std::string read_checkpoint_config(const std::string& path) {
  return read_checkpoint_meta(path).config;
}

namespace {

CheckpointMeta load_checkpoint_unchecked(const std::string& path, torch::nn::Module& model,
                                         torch::optim::Optimizer* optimizer, const LoadOptions& o) {
  torch::serialize::InputArchive archive;
  CheckpointMeta meta;
  open_archive(archive, path, meta);
  c10::IValue v;
  HNN_CHECK(archive.try_read("weights", v) && v.isGenericDict(), "checkpoint '{}' has no weights", path);
  auto dict = v.toGenericDict();
  {
    torch::NoGradGuard ng;
    for (auto& [name, t] : named_state(model)) {
      auto it = dict.find(name);
      if (it == dict.end()) {
        HNN_CHECK(!o.strict, "checkpoint '{}' has no '{}' (a model of another configuration?)", path, name);
        continue;
      }
      at::Tensor src = it->value().toTensor();
      HNN_CHECK(src.sizes() == t.sizes(), "checkpoint '{}': '{}' has shape {}, the model expects {}", path, name,
                shape_str(src.sizes()), shape_str(t.sizes()));
      t.copy_(src);
    }
  }
  if (optimizer && o.optimizer) {
    torch::serialize::InputArchive state;
    try {
      if (archive.try_read("optimizer", state)) optimizer->load(state);
    } catch (const c10::Error& e) {
      fail("checkpoint '{}': the optimiser state does not fit this optimiser: {}", path, e.what_without_backtrace());
    }
  }
  if (o.rng) {
    at::Tensor state;
    if (archive.try_read("rng_torch", state)) {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state);
    }
    if (archive.try_read("rng_hnn", v) && v.isString()) {
      std::istringstream engine(v.toStringRef());
      engine >> rng();
    }
  }
  return meta;
}

}  // namespace

CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                               const LoadOptions& o) {
  return reading(path, [&] { return load_checkpoint_unchecked(path, model, optimizer, o); });
}

}  // namespace hnn::train
