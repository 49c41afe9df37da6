#include "hnn/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <caffe2/serialize/versions.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/seed.h"
#include "hnn/core/shape.h"
#include "hnn/core/zip.h"

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

std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

// The lines LibTorch's writer emits in a checkpoint's code/ files: class definitions that only
// declare attributes (an empty line too). TYPE: a dotted name with an optional bracketed list.
bool code_line_ok(const std::string& line) {
  static const std::regex ok(R"(|class Module\(Module\):|)"
                             R"(  __(?:parameters|buffers)__ = \[(?:"[^"\\]*", )*\]|)"
                             R"(  __annotations__ = \[\]|)"
                             R"(  (?:__annotations__\["[^"\\]*"\] =|[A-Za-z_][A-Za-z0-9_]* :) )"
                             R"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\[[A-Za-z0-9_., \[\]]*\])?)");
  return line.size() <= 1024 && std::regex_match(line, ok);
}

// Hostile input. LibTorch's archive reader allocates each record at the size its ZIP central
// directory claims before reading it; it does not check CRCs (a flipped bit in the weights would
// load silently); its constructor leaks its ZIP state (about 2 KB) when it throws after opening
// the archive (a first entry outside a folder, a bad version record); and its TorchScript parser,
// which reads the archive's code/ files, crashed on a malformed class definition (fuzz_checkpoint).
// So before LibTorch sees a file, every entry is checked here: what it claims against its stored
// bytes, its data against its CRC, that it is no folder, the folder and version record as LibTorch reads them (entry 0
// names the folder; names match without regard to case; "<folder>/.data/version", else
// "<folder>/version", holds the format version as decimal text), and each code file line by line.
void vet_archive(const std::string& path) {
  ZipArchive zip(path);
  zip.check_claims();
  const auto& entries = zip.entries();
  HNN_CHECK(!entries.empty(), "checkpoint '{}' is damaged or incomplete: an empty ZIP archive", path);
  const auto slash = entries[0].name.find('/');
  HNN_CHECK(slash != std::string::npos, "checkpoint '{}' is damaged: its first ZIP entry '{}' is not in a folder", path,
            entries[0].name);
  const std::string folder = entries[0].name.substr(0, slash + 1);
  std::set<std::string> names;
  for (const auto& e : entries) {
    HNN_CHECK(names.insert(lower(e.name)).second, "checkpoint '{}' is damaged: two ZIP entries are named '{}'", path,
              e.name);
    // LibTorch writes no folder entries; its miniz "reads" one (by name or by the MS-DOS folder
    // attribute) as nothing at all, leaving the record it should fill unwritten.
    HNN_CHECK(!(e.attributes & 0x10) && (e.name.empty() || e.name.back() != '/'),
              "checkpoint '{}' is damaged: its ZIP entry '{}' is marked as a folder", path, e.name);
  }
  const ZipArchive::Entry* version = nullptr;
  for (const char* record : {".data/version", "version"}) {
    for (const auto& e : entries)
      if (lower(e.name) == lower(folder + record)) version = &e;
    if (version) break;
  }
  HNN_CHECK(version, "checkpoint '{}' is damaged or incomplete: no version record in its ZIP archive", path);
  HNN_CHECK(version->size <= 32, "checkpoint '{}' is damaged: its version record has {} bytes", path, version->size);
  std::string text = zip.read(*version);
  while (!text.empty() && std::isspace((unsigned char)text.back())) text.pop_back();
  const bool digits = !text.empty() && text.size() <= 18 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const uint64_t v = digits ? std::stoull(text) : 0;
  HNN_CHECK(
      v >= caffe2::serialize::kMinSupportedFileFormatVersion && v <= caffe2::serialize::kMaxSupportedFileFormatVersion,
      "checkpoint '{}': archive format version '{}' is not one this LibTorch reads ({} to {})", path,
      digits ? text : "(not a number)", caffe2::serialize::kMinSupportedFileFormatVersion,
      caffe2::serialize::kMaxSupportedFileFormatVersion);
  const std::string code = lower(folder + "code/");
  for (const auto& e : entries) {
    const std::string bytes = zip.read(e);  // the CRC and the inflated size checked
    const std::string name = lower(e.name);
    if (name.compare(0, code.size(), code) != 0 || name.size() < 3 || name.substr(name.size() - 3) != ".py") continue;
    size_t start = 0;
    for (int line = 1; start < bytes.size(); ++line) {
      size_t end = bytes.find('\n', start);
      if (end == std::string::npos) end = bytes.size();
      const std::string text_line = bytes.substr(start, end - start);
      HNN_CHECK(code_line_ok(text_line),
                "checkpoint '{}' is damaged: line {} of '{}' is not what LibTorch writes in a checkpoint: '{}'", path,
                line, e.name, text_line.substr(0, 80));
      start = end + 1;
    }
  }
}

void open_archive(torch::serialize::InputArchive& archive, const std::string& path, CheckpointMeta& meta) {
  HNN_CHECK(file_exists(path), "cannot open checkpoint '{}'", path);
  vet_archive(path);
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
