// Google Benchmark: event-file decoding throughput on one core, from memory (items/s = events/s).
// AEDAT 4 uncompressed / LZ4 / Zstd (synthetic 1M events, 8192 per packet, DAVIS346 size), the
// real DAVIS346 LZ4 file, N-MNIST (synthetic 1M events, and the 1100 real files), AEDAT 2.
// Run: build/bench/bench_events --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <random>

#include "hnn/core/data_dir.h"
#include "hnn/core/fs.h"
#include "hnn/events/aedat2.h"
#include "hnn/events/aedat4.h"
#include "hnn/events/nmnist.h"

namespace {

using namespace hnn::events;

EventStream synthetic(size_t n, int w, int h, int64_t t0) {
  std::mt19937_64 rng(1);
  EventStream ev(w, h);
  ev.reserve(n);
  int64_t t = t0;
  for (size_t i = 0; i < n; ++i) {
    t += (int64_t)(rng() % 3);
    ev.push_back(t, (int)(rng() % (uint64_t)w), (int)(rng() % (uint64_t)h), rng() & 1);
  }
  return ev;
}

std::string tmp_path(const char* name) {
  return "/tmp/hnn_bench_" + std::to_string(getpid()) + name;
}

// The bytes of a synthetic AEDAT 4 file, made once per compression.
const std::string& aedat4_bytes(Compression c) {
  static std::string cache[5];
  std::string& b = cache[(int)c];
  if (b.empty()) {
    Recording rec;
    rec.events = synthetic(1 << 20, 346, 260, 1'600'000'000'000'000);
    std::string path = tmp_path(".aedat4");
    Aedat4WriteOptions o;
    o.compression = c;
    write_aedat4(path, rec, o);
    b = hnn::read_file(path);
    std::remove(path.c_str());
  }
  return b;
}

void decode_aedat4(benchmark::State& state, const std::string& bytes) {
  Aedat4Packet pk;
  int64_t events = 0;
  for (auto _ : state) {
    Aedat4Reader r(bytes.data(), bytes.size(), "bench.aedat4");
    while (r.next_packet(pk))
      if (pk.type == StreamType::Events) events += (int64_t)pk.events.size();
    benchmark::DoNotOptimize(pk.events.t.data());
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed((int64_t)bytes.size() * state.iterations());
}

void BM_Aedat4None(benchmark::State& s) {
  decode_aedat4(s, aedat4_bytes(Compression::None));
}
void BM_Aedat4Lz4(benchmark::State& s) {
  decode_aedat4(s, aedat4_bytes(Compression::Lz4));
}
void BM_Aedat4Lz4High(benchmark::State& s) {
  decode_aedat4(s, aedat4_bytes(Compression::Lz4High));
}
void BM_Aedat4Zstd(benchmark::State& s) {
  decode_aedat4(s, aedat4_bytes(Compression::Zstd));
}

void BM_Aedat4RealDavis346Lz4(benchmark::State& s) {
  std::string path = hnn::shared_data_path("aedat4/davis346.aedat4");
  if (path.empty() || !hnn::file_exists(path)) return s.SkipWithError("shared data not found");
  static std::string bytes = hnn::read_file(path);
  decode_aedat4(s, bytes);  // also decodes its 3 frames, IMU and triggers
}

void BM_Aedat4EncodeLz4(benchmark::State& state) {
  Recording rec;
  rec.events = synthetic(1 << 20, 346, 260, 0);
  std::string path = tmp_path("_enc.aedat4");
  for (auto _ : state) write_aedat4(path, rec, {Compression::Lz4});
  std::remove(path.c_str());
  state.SetItemsProcessed((int64_t)rec.events.size() * state.iterations());
}

void BM_NmnistSynthetic(benchmark::State& state) {
  static std::string bytes = [] {
    std::string path = tmp_path(".bin");
    write_nmnist(path, synthetic(1 << 20, 34, 34, 0));
    std::string b = hnn::read_file(path);
    std::remove(path.c_str());
    return b;
  }();
  NmnistOptions o;
  o.width = o.height = 34;  // given: no size-inference pass
  EventStream pk;
  int64_t events = 0;
  for (auto _ : state) {
    NmnistReader r(bytes.data(), bytes.size(), "bench.bin", o);
    while (r.next_packet(pk, 1 << 16)) events += (int64_t)pk.size();
    benchmark::DoNotOptimize(pk.t.data());
  }
  state.SetItemsProcessed(events);
}

// The 1100 real recordings held in memory, each decoded as read_nmnist would (size inferred).
void BM_NmnistRealFiles(benchmark::State& state) {
  static std::vector<std::string> files = [] {
    std::vector<std::string> v;
    std::string dir = hnn::shared_data_path("nmnist-small");
    for (int id = 1; !dir.empty() && id <= 1000; ++id)
      v.push_back(hnn::read_file(dir + "/" + std::to_string(id) + ".bin"));
    for (int id = 60001; !dir.empty() && id <= 60100; ++id)
      v.push_back(hnn::read_file(dir + "/" + std::to_string(id) + ".bin"));
    return v;
  }();
  if (files.empty()) return state.SkipWithError("shared data not found");
  int64_t events = 0;
  for (auto _ : state)
    for (const auto& f : files) {
      EventStream ev = read_nmnist(f.data(), f.size(), "n.bin");
      events += (int64_t)ev.size();
      benchmark::DoNotOptimize(ev.t.data());
    }
  state.SetItemsProcessed(events);
}

void BM_Aedat2Dvs128(benchmark::State& state) {
  static std::string bytes = [] {
    std::string path = tmp_path(".aedat");
    write_aedat2(path, synthetic(1 << 20, 128, 128, 0));
    std::string b = hnn::read_file(path);
    std::remove(path.c_str());
    return b;
  }();
  EventStream pk;
  int64_t events = 0;
  for (auto _ : state) {
    Aedat2Reader r(bytes.data(), bytes.size(), "bench.aedat");
    while (r.next_packet(pk, 1 << 16)) events += (int64_t)pk.size();
    benchmark::DoNotOptimize(pk.t.data());
  }
  state.SetItemsProcessed(events);
}

BENCHMARK(BM_Aedat4None)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Aedat4Lz4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Aedat4Lz4High)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Aedat4Zstd)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Aedat4RealDavis346Lz4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Aedat4EncodeLz4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NmnistSynthetic)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NmnistRealFiles)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Aedat2Dvs128)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
