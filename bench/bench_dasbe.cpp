// Google Benchmark: the DASBE loop on Bars (400-256-400 autoencoder, D 54, R 6), images per second
// as the batch grows. Batch 1 is the reference's way (one image at a time); the ratio of a batch's
// items/s to batch 1's is the speed-up of running images side by side. Five cycles per iteration.
// Run: build/bench/bench_dasbe --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hnn/core/allocator.h"
#include "hnn/models/dasbe/loop.h"
#include "hnn/models/dasbe/model.h"

namespace {

using namespace hnn::models::dasbe;

// 12-bar images (6 rows, 6 columns) like the Bars set.
torch::Tensor bars(int64_t B) {
  auto x = torch::zeros({B, 20, 20});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < 6; ++k) {
      x[b][(b + 3 * k) % 20] = 1;
      x[b].select(1, (2 * b + 3 * k + 1) % 20).fill_(1);
    }
  return x;
}

void BM_DasbeBarsCycle(benchmark::State& state) {
  const int64_t B = state.range(0);
  torch::manual_seed(0);
  Autoencoder ae(preset_config("bars"));
  auto x = bars(B);
  LoopOptions o = loop_preset("bars");
  o.cycles = 2, o.record_cycles = 1;
  run_dasbe(ae, x, o);  // warm-up: touch the buffers once
  o.cycles = 5;         // the start (A's random init) is amortised as in a 50-cycle run
  for (auto _ : state) benchmark::DoNotOptimize(run_dasbe(ae, x, o).spikes.data_ptr());
  state.SetItemsProcessed(state.iterations() * B * o.cycles);  // image-cycles
}

void BM_PcnnBarsStep(benchmark::State& state) {
  const int64_t B = state.range(0);
  auto x = bars(B);
  PcnnOptions o;
  o.steps = 20, o.record_steps = 1;
  run_pcnn(x, o);
  for (auto _ : state) benchmark::DoNotOptimize(run_pcnn(x, o).data_ptr());
  state.SetItemsProcessed(state.iterations() * B * o.steps);  // image-steps
}

BENCHMARK(BM_DasbeBarsCycle)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PcnnBarsStep)->Arg(1)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  hnn::install_caching_allocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
