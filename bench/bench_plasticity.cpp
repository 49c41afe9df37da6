// Google Benchmark: the plastic layer's window over a static image, forward + backward, as the
// step loop (forward() on the stacked sequence) and as forward_scaled() (the trace kept in the
// batch's span). Shapes of the hybrid-plasticity demo's first layer: T 10, B 100, 784 -> 512.
// Run: build/bench/bench_plasticity --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hnn/core/allocator.h"
#include "hnn/plasticity/plastic_linear.h"

namespace {

using namespace hnn::plasticity;

void run(benchmark::State& state, bool scaled) {
  const int64_t T = state.range(0), B = state.range(1), I = state.range(2), O = state.range(3);
  torch::manual_seed(0);
  PlasticLinear layer(PlasticLinearOptions(I, O).threshold(0.35).decay(0.4).trace(TraceOptions{0.95, 4.0}));
  auto x = torch::rand({B, I});
  const std::vector<double> d = attenuations(T, 40);
  auto seq = torch::stack([&] {
    std::vector<at::Tensor> v;
    for (double s : d) v.push_back(x * s);
    return v;
  }());
  for (auto _ : state) {
    auto r = scaled ? layer->forward_scaled(x, d) : layer->forward(seq);
    r.membrane.sum().backward();
    for (auto& p : layer->parameters()) p.mutable_grad() = torch::Tensor();
  }
  state.SetItemsProcessed(state.iterations() * B);
}

void BM_PlasticStepLoop(benchmark::State& s) {
  run(s, false);
}
void BM_PlasticScaledWindow(benchmark::State& s) {
  run(s, true);
}

BENCHMARK(BM_PlasticStepLoop)->Args({10, 100, 784, 512})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlasticScaledWindow)->Args({10, 100, 784, 512})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  hnn::install_caching_allocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
