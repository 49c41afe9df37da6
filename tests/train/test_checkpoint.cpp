// The checkpoint format: weights, buffers, optimiser state, epoch, config and RNG state round
// trip; wrong files and mismatched models are clear errors; nothing half-written stays behind.
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <random>

#include "hnn/core/bytes.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/seed.h"
#include "hnn/train/checkpoint.h"
#include "test_util.h"

using namespace hnn::train;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_ckpt_" + std::to_string(getpid()) + "_" + name;
}

struct NetImpl : torch::nn::Module {
  explicit NetImpl(int64_t hidden = 5) {
    fc = register_module("fc", torch::nn::Linear(3, hidden));
    bn = register_module("bn", torch::nn::BatchNorm1d(hidden));
  }
  torch::Tensor forward(const torch::Tensor& x) { return bn(fc(x)); }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(Net);

// Little-endian fields of a ZIP archive held in memory.
using hnn::read_le;
void put(std::string& b, size_t at, int n, uint64_t v) {
  for (int i = 0; i < n; ++i) b[at + (size_t)i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

TEST(Checkpoint, RoundTripsWeightsBuffersOptimiserAndConfig) {
  hnn::seed_everything(3);
  Net a;
  torch::optim::Adam opt(a->parameters(), torch::optim::AdamOptions(1e-2));
  a->forward(torch::randn({8, 3})).sum().backward();  // running stats and Adam moments move
  opt.step();
  CheckpointMeta meta;
  meta.config = R"({"model": "test-net", "hidden": 5})";
  meta.epoch = 7;
  auto path = temp_path("a.pt");
  save_checkpoint(path, *a, meta, &opt);
  EXPECT_TRUE(hnn::file_exists(path + ".json"));
  EXPECT_NE(hnn::read_file(path + ".json").find("\"hidden\": 5"), std::string::npos);

  Net b;
  torch::optim::Adam opt_b(b->parameters(), torch::optim::AdamOptions(1e-2));
  auto got = load_checkpoint(path, *b, &opt_b);
  EXPECT_EQ(got.epoch, 7);
  EXPECT_NE(got.config.find("test-net"), std::string::npos);
  EXPECT_TENSOR_NEAR(a->fc->weight, b->fc->weight, 0.0);
  EXPECT_TENSOR_NEAR(a->bn->running_mean, b->bn->running_mean, 0.0);
  // The optimiser state came along: the same step from the same gradients gives the same weights.
  auto x = torch::randn({8, 3});
  opt.zero_grad();
  a->forward(x).pow(2).sum().backward();
  opt.step();
  opt_b.zero_grad();
  b->forward(x).pow(2).sum().backward();
  opt_b.step();
  EXPECT_TENSOR_NEAR(a->fc->weight, b->fc->weight, 0.0);
  EXPECT_EQ(read_checkpoint_config(path), got.config);
}

TEST(Checkpoint, RestoresTheRandomState) {
  Net a;
  hnn::seed_everything(11);
  auto path = temp_path("rng.pt");
  save_checkpoint(path, *a, CheckpointMeta{});
  auto first = torch::randperm(100, torch::kLong);
  auto engine_first = hnn::rng()();
  torch::randn({1000});  // move the generators on
  LoadOptions lo;
  lo.rng = true;
  load_checkpoint(path, *a, nullptr, lo);
  EXPECT_TRUE(torch::equal(torch::randperm(100, torch::kLong), first));
  EXPECT_EQ(hnn::rng()(), engine_first);
}

TEST(Checkpoint, WrongFilesAndModelsAreClearErrors) {
  Net a;
  auto path = temp_path("b.pt");
  save_checkpoint(path, *a, CheckpointMeta{});
  auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const hnn::Error& e) {
      return e.what();
    }
    return "no error";
  };
  Net wider(7);
  auto m = message([&] { load_checkpoint(path, *wider); });
  EXPECT_NE(m.find("fc.weight"), std::string::npos) << m;
  EXPECT_NE(m.find("[7, 3]"), std::string::npos) << m;
  m = message([&] { load_checkpoint(temp_path("missing.pt"), *a); });
  EXPECT_NE(m.find("missing.pt"), std::string::npos) << m;
  hnn::write_file_atomically(temp_path("junk.pt"), "not a checkpoint");
  m = message([&] { read_checkpoint_meta(temp_path("junk.pt")); });
  EXPECT_NE(m.find("junk.pt"), std::string::npos) << m;
  // A LibTorch archive that is not ours.
  torch::save(torch::ones({2}), temp_path("tensor.pt"));
  m = message([&] { read_checkpoint_meta(temp_path("tensor.pt")); });
  EXPECT_NE(m.find("not an hnn checkpoint"), std::string::npos) << m;
  // A config that is not a JSON object; an unwritable path leaves nothing behind.
  CheckpointMeta bad;
  bad.config = "[1, 2";
  EXPECT_THROW(save_checkpoint(temp_path("c.pt"), *a, bad), hnn::Error);
  EXPECT_FALSE(hnn::file_exists(temp_path("c.pt")));
  EXPECT_THROW(save_checkpoint("/nonexistent/dir/x.pt", *a, CheckpointMeta{}), hnn::Error);
}

// A checkpoint cut short (a copy interrupted, a full disk) or with damaged bytes is an error that
// names the file, never a crash or a model half loaded without a word.
TEST(Checkpoint, TruncatedAndDamagedFilesAreClearErrors) {
  Net a;
  torch::optim::Adam opt(a->parameters(), torch::optim::AdamOptions(1e-3));
  auto path = temp_path("whole.pt");
  save_checkpoint(path, *a, CheckpointMeta{}, &opt);
  const std::string bytes = hnn::read_file(path);
  for (double f : {0.0, 0.1, 0.5, 0.9, 0.99}) {
    const auto cut = temp_path("cut.pt");
    hnn::write_file_atomically(cut, bytes.substr(0, (size_t)(f * (double)bytes.size())));
    Net b;
    try {
      load_checkpoint(cut, *b, &opt);
      ADD_FAILURE() << "a checkpoint cut at " << f << " loaded";
    } catch (const hnn::Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.pt"), std::string::npos) << e.what();
    }
  }
  // Flipped bytes: an error naming the file, or (a byte in padding or in a float) a load that
  // still gives a model of the right shapes; never a crash.
  std::mt19937 gen(3);
  for (int k = 0; k < 60; ++k) {
    std::string d = bytes;
    for (int j = 0; j < 4; ++j) d[gen() % d.size()] ^= (char)(1 + gen() % 255);
    const auto bad = temp_path("flip.pt");
    hnn::write_file_atomically(bad, d);
    Net b;
    try {
      load_checkpoint(bad, *b);
    } catch (const hnn::Error& e) {
      EXPECT_NE(std::string(e.what()).find("flip.pt"), std::string::npos) << e.what();
    }
  }
}

// Hostile input: a ZIP entry of the archive that claims far more bytes than the file holds is
// refused before LibTorch allocates it.
TEST(Checkpoint, HugeSizeInHeaderIsRefused) {
  Net a;
  const auto path = temp_path("huge.pt");
  save_checkpoint(path, *a, CheckpointMeta{});
  std::string bytes = hnn::read_file(path);
  // The first central directory entry: its uncompressed size, or the ZIP64 field that replaces it.
  const size_t cd = bytes.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(cd, std::string::npos);
  if (read_le(bytes, cd + 24, 4) != 0xffffffffu) {
    put(bytes, cd + 24, 4, 0x7fffffffu);
  } else {
    const size_t n = read_le(bytes, cd + 28, 2), extra = cd + 46 + n;
    ASSERT_EQ(read_le(bytes, extra, 2), 1u);  // the ZIP64 field comes first
    put(bytes, extra + 4, 8, uint64_t{1} << 40);
  }
  const auto bad = temp_path("huge_bad.pt");
  hnn::write_file_atomically(bad, bytes);
  Net b;
  for (const auto& f :
       std::vector<std::function<void()>>{[&] { load_checkpoint(bad, *b); }, [&] { read_checkpoint_meta(bad); }}) {
    try {
      f();
      ADD_FAILURE() << "loaded";
    } catch (const hnn::Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("huge_bad.pt"), std::string::npos) << m;
      EXPECT_NE(m.find("claims"), std::string::npos) << m;
    }
  }
  EXPECT_NO_THROW(load_checkpoint(path, *b));
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// LibTorch 1.13's archive reader leaks its ZIP state when its constructor throws, which it does on
// a damaged version record or a first entry outside a folder, and its TorchScript parser crashed
// on a malformed code file (both found by fuzz_checkpoint): the archive is vetted before LibTorch
// sees it, each fault a clear error naming the file.
TEST(Checkpoint, ArchiveIsVettedBeforeLibTorch) {
  Net a, b;
  const auto path = temp_path("version.pt");
  save_checkpoint(path, *a, CheckpointMeta{});
  const std::string good = hnn::read_file(path);
  // The central directory entry of the version record and its data.
  size_t cd = 0, data = 0, n = 0;
  for (size_t at = good.find(std::string("PK\x01\x02", 4)); at != std::string::npos;
       at = good.find(std::string("PK\x01\x02", 4), at + 1)) {
    const std::string name = good.substr(at + 46, read_le(good, at + 28, 2));
    // LibTorch 1.13 writes "<folder>/version", 2.x also "<folder>/.data/version", which it reads first.
    const bool data_version = name.size() > 14 && name.substr(name.size() - 14) == "/.data/version";
    if (data_version || (cd == 0 && name.size() > 8 && name.substr(name.size() - 8) == "/version" &&
                         name.find('/') == name.size() - 8)) {
      cd = at;
      const size_t local = read_le(good, at + 42, 4);
      data = local + 30 + read_le(good, local + 26, 2) + read_le(good, local + 28, 2);
      n = read_le(good, at + 20, 4);
    }
  }
  ASSERT_GT(cd, 0u);
  ASSERT_GE(n, 1u);
  ASSERT_LE(n, 32u);
  const auto bad = temp_path("version_bad.pt");
  auto expect_refused = [&](std::string bytes, const std::string& part) {
    hnn::write_file_atomically(bad, bytes);
    expect_error([&] { load_checkpoint(bad, *b); }, "version_bad.pt", {part});
    expect_error([&] { read_checkpoint_meta(bad); }, "version_bad.pt", {part});
  };
  // A version LibTorch does not read, with a valid CRC in both headers.
  std::string v = good;
  for (size_t i = 0; i < n; ++i) v[data + i] = '9';
  const uint32_t crc = hnn::crc32_of(v.substr(data, n));
  put(v, cd + 16, 4, crc);
  if (read_le(good, read_le(good, cd + 42, 4) + 14, 4) != 0)
    put(v, read_le(good, cd + 42, 4) + 14, 4, crc);  // else in a descriptor
  expect_refused(v, "format version '" + std::string(n, '9') + "'");
  // The same bytes with the old CRC.
  v = good;
  v[data] = v[data] == '1' ? '2' : '1';
  expect_refused(v, "CRC mismatch");
  // The first entry outside any folder.
  v = good;
  const size_t first = good.find(std::string("PK\x01\x02", 4)), name_at = first + 46;
  const size_t name_size = read_le(good, first + 28, 2);
  ASSERT_NE(good.substr(name_at, name_size).find('/'), std::string::npos);
  for (size_t i = name_at; i < name_at + name_size; ++i)
    if (v[i] == '/') v[i] = '_';
  expect_refused(v, "is not in a folder");
  // The version record marked encrypted in the central directory: LibTorch's miniz refuses it
  // after its archive is open, and leaked (fuzz_checkpoint).
  v = good;
  put(v, cd + 8, 2, read_le(good, cd + 8, 2) | 1);
  expect_refused(v, "encrypted or patch entries are not supported");
  // ... and marked as an MS-DOS folder: miniz "reads" it as nothing (fuzz_checkpoint).
  v = good;
  put(v, cd + 38, 4, 0x10);
  expect_refused(v, "is marked as a folder");
  // A code file with a class constant instead of an attribute declaration (the fuzzer's crash was
  // one), its CRC made valid: in the stored code file of the SGD state's momentum buffer.
  {
    torch::optim::SGD sgd(a->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    a->forward(torch::randn({4, 3})).sum().backward();
    sgd.step();
    save_checkpoint(path, *a, CheckpointMeta{}, &sgd);
  }
  const std::string with_state = hnn::read_file(path);
  v.clear();
  for (size_t at = with_state.find(std::string("PK\x01\x02", 4)); at != std::string::npos && v.empty();
       at = with_state.find(std::string("PK\x01\x02", 4), at + 1)) {
    if (read_le(with_state, at + 10, 2) != 0) continue;  // deflated
    const size_t local = read_le(with_state, at + 42, 4), size = read_le(with_state, at + 20, 4);
    const size_t data_at = local + 30 + read_le(with_state, local + 26, 2) + read_le(with_state, local + 28, 2);
    const size_t line = with_state.find("  momentum_buffer : Tensor", data_at);
    if (line == std::string::npos || line >= data_at + size) continue;
    v = with_state;
    v.replace(line, 26, "  momentum_buffer = Tensor");
    put(v, at + 16, 4, hnn::crc32_of(v.substr(data_at, size)));
  }
  ASSERT_FALSE(v.empty()) << "no stored code file declares momentum_buffer";
  expect_refused(v, "is not what LibTorch writes");
  EXPECT_NO_THROW(load_checkpoint(path, *b));
  std::remove(path.c_str());
  std::remove(bad.c_str());
}
