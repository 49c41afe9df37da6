#include "hnn/models/hmn/data.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"
#include "hnn/core/shape.h"
#include "hnn/events/nmnist.h"
#include "hnn/events/representation.h"
#include "models/hmn/file.h"

namespace hnn::models::hmn {

namespace {

void check(const FrameOptions& o) {
  HNN_CHECK(o.bins > 0 && o.bin_us > 0 && o.sensor > 0 && o.sensor <= 256,
            "hmn frames: bins ({}), bin width ({} µs) and sensor ({}) must be positive (sensor <= 256)", o.bins,
            o.bin_us, o.sensor);
}

// ev binned by events::represent (counts or 0/1, OFF and ON channels) into out (uint8 [bins, 2, S,
// S]), counts saturated at 255.
void bin_into(const events::EventStream& ev, const FrameOptions& o, uint8_t* out) {
  HNN_CHECK(ev.width == o.sensor && ev.height == o.sensor, "hmn frames: a {}x{} recording for the {}x{} sensor",
            ev.width, ev.height, o.sensor, o.sensor);
  events::BinOptions b;
  b.bins = o.bins;
  b.t_begin = 0;
  b.t_end = o.bins * o.bin_us;
  const at::Tensor f =
      events::represent(ev, o.binary ? events::Kind::Binary : events::Kind::Counts, b).clamp_max(255).to(torch::kUInt8);
  std::memcpy(out, f.data_ptr<uint8_t>(), static_cast<size_t>(f.numel()));
}

}  // namespace

at::Tensor bin_recording(const events::EventStream& ev, const FrameOptions& o) {
  check(o);
  at::Tensor out = torch::empty({o.bins, 2, o.sensor, o.sensor}, torch::kUInt8);
  bin_into(ev, o, out.data_ptr<uint8_t>());
  return out;
}

at::Tensor FrameSet::flat() const {
  return frames.reshape({frames.size(0), frames.size(1), -1}).to(torch::kFloat);
}

FrameSet generate_frames(const at::Tensor& images, const at::Tensor& labels, const FrameOptions& o,
                         const events::SaccadeOptions& saccades, uint64_t seed,
                         const std::function<void(int64_t)>& progress) {
  check(o);
  HNN_CHECK(images.dim() >= 3 && labels.dim() == 1 && images.size(0) == labels.size(0),
            "hmn frames: expected images [N, (1,) H, W] and labels [N], got {} and {}", shape_str(images.sizes()),
            shape_str(labels.sizes()));
  const int64_t n = images.size(0), h = images.size(-2), w = images.size(-1);
  at::Tensor img = images.reshape({n, h, w});
  if (img.is_floating_point()) img = (img * 255).round().clamp(0, 255);
  img = img.to(torch::kUInt8).contiguous();
  events::SaccadeOptions so = saccades;
  so.sensor = o.sensor;
  so.duration_us = o.bins * o.bin_us;
  FrameSet set;
  set.options = o;
  set.labels = labels.to(torch::kLong).clone();
  set.frames = torch::zeros({n, o.bins, 2, o.sensor, o.sensor}, torch::kUInt8);
  const int64_t per = o.bins * 2 * o.sensor * o.sensor;
  const uint8_t* src = img.data_ptr<uint8_t>();
  uint8_t* dst = set.frames.data_ptr<uint8_t>();
  std::atomic<int64_t> done{0};
  const int64_t chunk = 256;
  for (int64_t c0 = 0; c0 < n; c0 += chunk) {
    const int64_t c1 = std::min(n, c0 + chunk);
    at::parallel_for(c0, c1, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        auto ev = events::saccade_recording(src + i * h * w, static_cast<int>(h), static_cast<int>(w), so,
                                            seed * 1000003ull + static_cast<uint64_t>(i));
        bin_into(ev, o, dst + i * per);
        ++done;
      }
    });
    if (progress) progress(done.load());
  }
  return set;
}

FrameSet load_nmnist_frames(const std::string& dir, const std::string& list_file, const FrameOptions& o) {
  check(o);
  std::istringstream lines(read_file(list_file));
  std::string line;
  std::vector<int64_t> ids, labels;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    int64_t id = 0, label = 0;
    HNN_CHECK(static_cast<bool>(f >> id >> label) && label >= 0 && label < 10,
              "hmn frames: {}: expected 'id label' lines, got '{}'", list_file, line);
    ids.push_back(id);
    labels.push_back(label);
  }
  HNN_CHECK(!ids.empty(), "hmn frames: {} lists no recordings", list_file);
  FrameSet set;
  set.options = o;
  set.labels = torch::tensor(labels, torch::kLong);
  set.frames = torch::zeros({static_cast<int64_t>(ids.size()), o.bins, 2, o.sensor, o.sensor}, torch::kUInt8);
  const int64_t per = o.bins * 2 * o.sensor * o.sensor;
  events::NmnistOptions no;
  no.width = no.height = o.sensor;
  for (size_t i = 0; i < ids.size(); ++i)
    bin_into(events::read_nmnist(fmt::format("{}/{}.bin", dir, ids[i]), no), o,
             set.frames.data_ptr<uint8_t>() + static_cast<int64_t>(i) * per);
  set.source = fmt::format("real N-MNIST recordings {} ({} files)", list_file, ids.size());
  return set;
}

void save_frames(const std::string& path, const FrameSet& set) {
  const auto& o = set.options;
  HNN_CHECK(set.frames.defined() && set.frames.dim() == 5 && set.frames.scalar_type() == torch::kUInt8 &&
                set.frames.size(0) == set.size() && set.frames.size(1) == o.bins && set.frames.size(3) == o.sensor,
            "hmn frames: cannot save frames {} with {} labels and {} bins of {}x{}",
            set.frames.defined() ? shape_str(set.frames.sizes()) : std::string("none"), set.size(), o.bins, o.sensor,
            o.sensor);
  nlohmann::json header = {{"samples", set.size()}, {"bins", o.bins},     {"bin_us", o.bin_us},
                           {"binary", o.binary},    {"sensor", o.sensor}, {"source", set.source}};
  const at::Tensor labels = set.labels.to(torch::kUInt8).contiguous();
  const at::Tensor frames = set.frames.contiguous();
  std::string bits;
  std::vector<Chunk> payload = {{labels.data_ptr<uint8_t>(), static_cast<size_t>(set.size())}};
  if (o.binary) {
    bits = pack_bits(frames.data_ptr<uint8_t>(), frames.numel());
    payload.push_back({bits.data(), bits.size()});
  } else {
    payload.push_back({frames.data_ptr<uint8_t>(), static_cast<size_t>(frames.numel())});
  }
  write_blob(path, "hnn.hmn.frames.v1", header.dump(), payload);
}

FrameSet load_frames(const std::string& path) {
  Blob blob = read_blob(path, "hnn.hmn.frames.v1");
  FrameSet set;
  int64_t n = 0;
  try {
    auto j = nlohmann::json::parse(blob.header);
    n = json_integer<int64_t>(j.at("samples"), "samples");
    set.options.bins = json_integer<int64_t>(j.at("bins"), "bins");
    set.options.bin_us = json_integer<int64_t>(j.at("bin_us"), "bin_us");
    set.options.binary = j.at("binary").get<bool>();
    set.options.sensor = json_integer<int>(j.at("sensor"), "sensor");
    set.source = j.value("source", "");
  } catch (const std::exception& e) {
    throw Error(fmt::format("hmn frames: {}: bad header ({})", path, e.what()));
  }
  const auto& o = set.options;
  check(o);
  // Hostile input: the header's counts are bounded by the payload before they are multiplied (a
  // sample takes at least one label byte and one bit per bin), so the product cannot overflow.
  const auto payload = static_cast<int64_t>(blob.payload_size());
  HNN_CHECK(n >= 0 && n <= payload && (n == 0 || o.bins <= 8 * payload / n),
            "hmn frames: {}: the header claims {} samples of {} bins, more than its {} bytes of data can hold", path, n,
            o.bins, payload);
  const int64_t values = n * o.bins * 2 * o.sensor * o.sensor;
  const int64_t expected = n + (o.binary ? (values + 7) / 8 : values);
  HNN_CHECK(payload == expected, "hmn frames: {}: {} bytes of data, expected {} for {} samples (truncated or corrupt)",
            path, blob.payload_size(), expected, n);
  const uint8_t* bytes = blob.payload();
  set.labels = torch::from_blob(const_cast<uint8_t*>(bytes), {n}, torch::kUInt8).to(torch::kLong);
  set.frames = torch::empty({n, o.bins, 2, o.sensor, o.sensor}, torch::kUInt8);
  if (o.binary)
    unpack_bits(bytes + n, values, set.frames.data_ptr<uint8_t>());
  else
    std::memcpy(set.frames.data_ptr<uint8_t>(), bytes + n, static_cast<size_t>(values));
  return set;
}

FrameStats frame_stats(const at::Tensor& frames) {
  HNN_CHECK(frames.dim() == 5 && frames.size(2) == 2, "frame_stats: expected [N, T, 2, H, W], got {}",
            shape_str(frames.sizes()));
  FrameStats s;
  s.samples = frames.size(0);
  if (s.samples == 0) return s;
  // In chunks of samples: a double (or int64) copy of a 60,000-sample set would take 11 GB.
  std::vector<at::Tensor> bins;  // [n, T] per chunk
  double on = 0, active = 0;
  for (int64_t i = 0; i < s.samples; i += 1024) {
    const at::Tensor f = frames.slice(0, i, std::min(s.samples, i + 1024)).to(torch::kDouble);
    bins.push_back(f.sum({2, 3, 4}));
    on += f.select(2, 1).sum().item<double>();
    active += f.gt(0).sum().item<double>();
  }
  const at::Tensor per_bin_sample = torch::cat(bins);  // [N, T]
  const at::Tensor per_sample = per_bin_sample.sum(1);
  s.events_mean = per_sample.mean().item<double>();
  s.events_sd = s.samples > 1 ? per_sample.std().item<double>() : 0;
  const double total = per_sample.sum().item<double>();
  s.on_fraction = total > 0 ? on / total : 0;
  const at::Tensor per_bin = per_bin_sample.mean(0);
  for (int64_t t = 0; t < per_bin.size(0); ++t) s.events_per_bin.push_back(per_bin[t].item<double>());
  s.active_fraction = active / static_cast<double>(frames.numel());
  return s;
}

}  // namespace hnn::models::hmn
