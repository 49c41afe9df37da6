#include "hnn/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <caffe2/serialize/versions.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <set>
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

// Hostile input: LibTorch's archive reader allocates each record at the size its ZIP central
// directory claims before it reads the record. Before we hand a file to it, every entry's sizes
// and offset are checked against the file's size (ZIP64 fields included): a stored entry (what
// LibTorch writes) at most the file, a deflated one at most kMaxDeflateRatio times its stored bytes.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[at + (size_t)i]);
  return v;
}

std::string read_range(std::ifstream& in, uint64_t at, uint64_t n, const std::string& path) {
  std::string b((size_t)n, '\0');
  in.seekg((std::streamoff)at);
  in.read(b.data(), (std::streamsize)n);
  HNN_CHECK(in.gcount() == (std::streamsize)n, "checkpoint '{}': cannot read {} bytes at offset {}", path, n, at);
  return b;
}

struct ZipEntry {
  std::string name;
  uint64_t method, compressed, uncompressed, offset;
  uint32_t crc;
};

std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

// LibTorch 1.13's archive reader leaks its ZIP state (about 2 KB) when its constructor throws after
// opening the archive: when the first entry is not in a folder, or the version record is missing,
// damaged or out of range. Those are checked here first, as LibTorch reads them: entry 0 names the
// folder, names match without regard to case, and "<folder>/.data/version" (else
// "<folder>/version") holds the format version as decimal text, stored, with a valid CRC.
void check_archive_version(std::ifstream& in, uint64_t size, const std::vector<ZipEntry>& entries,
                           const std::string& path) {
  HNN_CHECK(!entries.empty(), "checkpoint '{}' is damaged or incomplete: an empty ZIP archive", path);
  const auto slash = entries[0].name.find('/');
  HNN_CHECK(slash != std::string::npos, "checkpoint '{}' is damaged: its first ZIP entry '{}' is not in a folder", path,
            entries[0].name);
  const std::string folder = entries[0].name.substr(0, slash + 1);
  std::set<std::string> names;
  for (const auto& e : entries)
    HNN_CHECK(names.insert(lower(e.name)).second, "checkpoint '{}' is damaged: two ZIP entries are named '{}'", path,
              e.name);
  const ZipEntry* version = nullptr;
  for (const char* record : {".data/version", "version"}) {
    for (const auto& e : entries)
      if (lower(e.name) == lower(folder + record)) version = &e;
    if (version) break;
  }
  HNN_CHECK(version, "checkpoint '{}' is damaged or incomplete: no version record in its ZIP archive", path);
  HNN_CHECK(version->method == 0 && version->compressed == version->uncompressed && version->compressed <= 32,
            "checkpoint '{}' is damaged: its version record is not a short stored ZIP entry", path);
  HNN_CHECK(version->offset <= size - 30, "checkpoint '{}' is damaged: its version record lies outside the file", path);
  const std::string local = read_range(in, version->offset, 30, path);
  const uint64_t data_at = version->offset + 30 + le(local, 26, 2) + le(local, 28, 2);
  HNN_CHECK(le(local, 0, 4) == 0x04034b50u && data_at <= size && version->compressed <= size - data_at,
            "checkpoint '{}' is damaged: bad ZIP local header for its version record", path);
  std::string text = read_range(in, data_at, version->compressed, path);
  HNN_CHECK(crc32_of(text) == version->crc, "checkpoint '{}' is damaged: CRC mismatch in its version record", path);
  while (!text.empty() && std::isspace((unsigned char)text.back())) text.pop_back();
  const bool digits = !text.empty() && text.size() <= 18 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const uint64_t v = digits ? std::stoull(text) : 0;
  HNN_CHECK(
      v >= caffe2::serialize::kMinSupportedFileFormatVersion && v <= caffe2::serialize::kMaxSupportedFileFormatVersion,
      "checkpoint '{}': archive format version '{}' is not one this LibTorch reads ({} to {})", path,
      digits ? text : "(not a number)", caffe2::serialize::kMinSupportedFileFormatVersion,
      caffe2::serialize::kMaxSupportedFileFormatVersion);
}

void check_zip_directory(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  HNN_CHECK(in, "cannot open checkpoint '{}'", path);
  const uint64_t size = (uint64_t)in.tellg();
  HNN_CHECK(size >= 22, "checkpoint '{}' is damaged or incomplete: {} bytes is not a ZIP archive", path, size);
  const uint64_t tail_at = size > 22 + 65535 + 20 ? size - 22 - 65535 - 20 : 0;
  const std::string tail = read_range(in, tail_at, size - tail_at, path);
  size_t eocd = std::string::npos;
  for (size_t at = tail.size() - 22 + 1; at-- > 0;)
    if (le(tail, at, 4) == 0x06054b50u) {
      eocd = at;
      break;
    }
  HNN_CHECK(eocd != std::string::npos, "checkpoint '{}' is damaged or incomplete: no ZIP end of central directory",
            path);
  uint64_t count = le(tail, eocd + 10, 2), cd_size = le(tail, eocd + 12, 4), cd_offset = le(tail, eocd + 16, 4);
  if (eocd >= 20 && le(tail, eocd - 20, 4) == 0x07064b50u) {  // the ZIP64 end of central directory locator
    const uint64_t at64 = le(tail, eocd - 20 + 8, 8);
    HNN_CHECK(at64 <= size - 56, "checkpoint '{}': ZIP64 end of central directory at {} lies outside the file", path,
              at64);
    const std::string e64 = read_range(in, at64, 56, path);
    HNN_CHECK(le(e64, 0, 4) == 0x06064b50u, "checkpoint '{}': no ZIP64 end of central directory at offset {}", path,
              at64);
    count = le(e64, 32, 8);
    cd_size = le(e64, 40, 8);
    cd_offset = le(e64, 48, 8);
  }
  HNN_CHECK(
      cd_offset <= size && cd_size <= size - cd_offset && count <= cd_size / 46,
      "checkpoint '{}': ZIP central directory ({} entries, {} bytes at offset {}) does not fit the file's {} bytes",
      path, count, cd_size, cd_offset, size);
  const std::string cd = read_range(in, cd_offset, cd_size, path);
  std::vector<ZipEntry> entries;
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    HNN_CHECK(at + 46 <= cd.size() && le(cd, at, 4) == 0x02014b50u,
              "checkpoint '{}': corrupt ZIP central directory entry {} at offset {}", path, i, cd_offset + at);
    const uint64_t method = le(cd, at + 10, 2), n = le(cd, at + 28, 2), extra = le(cd, at + 30, 2),
                   comment = le(cd, at + 32, 2);
    uint64_t compressed = le(cd, at + 20, 4), uncompressed = le(cd, at + 24, 4), offset = le(cd, at + 42, 4);
    HNN_CHECK(at + 46 + n + extra + comment <= cd.size(), "checkpoint '{}': ZIP entry {} runs past the directory", path,
              i);
    const std::string name = cd.substr(at + 46, n);
    // The ZIP64 extra field holds the 64-bit values of the fields set to 0xffffffff, in this order.
    for (size_t x = at + 46 + n; x + 4 <= at + 46 + n + extra;) {
      const uint64_t id = le(cd, x, 2), len = le(cd, x + 2, 2);
      if (x + 4 + len > at + 46 + n + extra) break;
      if (id == 1) {
        size_t f = x + 4;
        for (uint64_t* v : {&uncompressed, &compressed, &offset}) {
          if (*v != 0xffffffffu) continue;
          if (f + 8 > x + 4 + len) break;
          *v = le(cd, f, 8);
          f += 8;
        }
      }
      x += 4 + len;
    }
    HNN_CHECK(offset <= size && compressed <= size - offset,
              "checkpoint '{}': ZIP entry '{}' ({} bytes at offset {}) lies outside the file's {} bytes", path, name,
              compressed, offset, size);
    const uint64_t most = method == 0 ? compressed : compressed * kMaxDeflateRatio + 1024;
    HNN_CHECK(uncompressed <= most,
              "checkpoint '{}': ZIP entry '{}' claims {} bytes from {} stored bytes (corrupt or hostile)", path, name,
              uncompressed, compressed);
    entries.push_back({name, method, compressed, uncompressed, offset, (uint32_t)le(cd, at + 16, 4)});
    at += 46 + n + extra + comment;
  }
  check_archive_version(in, size, entries, path);
}

void open_archive(torch::serialize::InputArchive& archive, const std::string& path, CheckpointMeta& meta) {
  HNN_CHECK(file_exists(path), "cannot open checkpoint '{}'", path);
  check_zip_directory(path);
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
