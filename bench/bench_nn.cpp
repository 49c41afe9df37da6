// Google Benchmark: what the profile of an HSN and a spiking-MLP epoch found (docs/profiling.md).
// - BatchNorm forward + backward in training, hnn's fused kernel against LibTorch's, on the
//   HSN's layer shapes: per step (T groups of B samples; LibTorch needs T calls on an unbind and
//   a stack) and over the whole batch.
// - Poisson spikes: hnn::bernoulli against torch::bernoulli at the spiking MLP's input.
// Run: build/bench/bench_nn --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hnn/core/allocator.h"
#include "hnn/core/random.h"
#include "hnn/nn/batch_norm.h"

namespace {

// Args: T (1: one call over the batch), B, C, H (= W); hnn or LibTorch.
void run_bn(benchmark::State& state, bool ours) {
  const int64_t T = state.range(0), B = state.range(1), C = state.range(2), H = state.range(3);
  torch::manual_seed(0);
  torch::nn::BatchNorm2d bn(C);
  auto x = torch::randn({T * B, C, H, H}).requires_grad_();
  auto g = torch::randn({T * B, C, H, H});
  for (auto _ : state) {
    at::Tensor y;
    if (ours) {
      y = hnn::nn::batch_norm_groups(*bn, x, T);
    } else if (T == 1) {
      y = bn->forward(x);
    } else {
      std::vector<at::Tensor> steps = x.view({T, B, C, H, H}).unbind(0);
      for (auto& s : steps) s = bn->forward(s);
      y = torch::stack(steps);
    }
    y.backward(g.view(y.sizes()));
    x.mutable_grad() = torch::Tensor();
    for (auto& p : bn->parameters()) p.mutable_grad() = torch::Tensor();
  }
  state.SetItemsProcessed(state.iterations() * x.numel());
}
void BM_BatchNormLibTorch(benchmark::State& s) {
  run_bn(s, false);
}
void BM_BatchNormHnn(benchmark::State& s) {
  run_bn(s, true);
}
// The HSN's SNN layers (width 0.25, batch 8, T 10) and ANN layers (batch 8).
#define BN_SHAPES ->Args({10, 8, 16, 32})->Args({10, 8, 64, 16})->Args({1, 8, 16, 64})->Args({1, 8, 128, 16})
BENCHMARK(BM_BatchNormLibTorch) BN_SHAPES->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BatchNormHnn) BN_SHAPES->Unit(benchmark::kMillisecond);

// Args: T, B, N; hnn or LibTorch.
void run_bernoulli(benchmark::State& state, bool ours) {
  auto p = torch::rand({state.range(0), state.range(1), state.range(2)});
  for (auto _ : state) benchmark::DoNotOptimize(ours ? hnn::bernoulli(p) : torch::bernoulli(p));
  state.SetItemsProcessed(state.iterations() * p.numel());
}
void BM_BernoulliLibTorch(benchmark::State& s) {
  run_bernoulli(s, false);
}
void BM_BernoulliHnn(benchmark::State& s) {
  run_bernoulli(s, true);
}
BENCHMARK(BM_BernoulliLibTorch)->Args({8, 100, 784})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BernoulliHnn)->Args({8, 100, 784})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  hnn::install_caching_allocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
