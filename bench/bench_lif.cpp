// Google Benchmark: fused LIF kernel vs the per-step LibTorch loop, forward and forward+backward.
// Arguments: T, B, N. Run: build/bench/bench_lif --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hnn/core/allocator.h"
#include "hnn/spike/neuron.h"

namespace {

using hnn::spike::NeuronSpec;

void run(benchmark::State& state, bool fused, bool backward) {
  const int64_t T = state.range(0), B = state.range(1), N = state.range(2);
  NeuronSpec spec;
  spec.charge = hnn::spike::Charge::LifOde;
  auto x = (torch::rand({T, B, N}) * 1.5).requires_grad_(backward);
  auto g = torch::rand({T, B, N});
  for (auto _ : state) {
    if (backward) {
      auto r = fused ? hnn::spike::multistep(x, {}, {}, spec) : hnn::spike::multistep_loop(x, {}, {}, spec);
      r.spikes.backward(g);
      x.mutable_grad() = torch::Tensor();
    } else {
      torch::NoGradGuard ng;
      auto r = fused ? hnn::spike::multistep(x, {}, {}, spec) : hnn::spike::multistep_loop(x, {}, {}, spec);
      benchmark::DoNotOptimize(r.spikes.data_ptr());
    }
  }
  state.SetItemsProcessed(state.iterations() * T * B * N);
}

void BM_LifLoopForward(benchmark::State& s) {
  run(s, false, false);
}
void BM_LifFusedForward(benchmark::State& s) {
  run(s, true, false);
}
void BM_LifLoopForwardBackward(benchmark::State& s) {
  run(s, false, true);
}
void BM_LifFusedForwardBackward(benchmark::State& s) {
  run(s, true, true);
}

#define HNN_SHAPES ->Args({64, 32, 4096})->Args({500, 16, 16384})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_LifLoopForward) HNN_SHAPES;
BENCHMARK(BM_LifFusedForward) HNN_SHAPES;
BENCHMARK(BM_LifLoopForwardBackward)->Args({64, 32, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifFusedForwardBackward) HNN_SHAPES;

}  // namespace

int main(int argc, char** argv) {
  hnn::install_caching_allocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
