// The DASBE binding loop (spec §3) and its two baselines, batched: B images run at once, each with
// its own state and its own random stream (derived from the seed and the image's id, not from its
// place in the batch), so an image gives the same spikes alone or inside any batch. No autograd.
// Images are [B, H, W] (or [B, N]) in {0, 1}; recorded trains are [B, C, D, N] (C cycles of D
// phases) for the loops and [B, T, N] for the PCNN; N = H*W in row-major order.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

#include "hnn/models/dasbe/model.h"

namespace hnn::models::dasbe {

struct LoopOptions {
  int64_t delay = 54;          // D: phase slots per cycle, the ANN -> SNN feedback delay in steps
  int64_t refractory = 6;      // R: SNN refractory steps; the spiking bottleneck uses the same R_a
  int64_t cycles = 50;         // n_iter
  int64_t record_cycles = 10;  // keep the last this many cycles (0: all)
  double threshold = 1 + 1e-5;
  double thinning = 0.5;          // survival of a spike in the 3-step OR window, per step back
  bool record_code = false;       // also keep the ANN's code (Figure 4)
  bool record_attention = false;  // also keep the ANN's reconstruction y (the attention map)
  uint64_t seed = 0;
};

struct LoopResult {
  at::Tensor spikes;        // uint8 [B, C, D, N] (pure-ANN: the float input u of each step)
  at::Tensor code;          // float [B, C, D, code] when record_code
  at::Tensor attention;     // float [B, C, D, N] when record_attention
  int64_t first_cycle = 0;  // the cycle of spikes[:, 0]
};

// Called after each cycle (cycle counts from 1) for progress output.
using CycleFn = std::function<void(int64_t cycle, int64_t cycles)>;

// The hybrid loop of §3.2: stochastic threshold units with refractoriness read the image gated by
// the delay buffer A[D, N]; a 3-step OR window with thinning feeds the autoencoder, whose output is
// written back to A. ids: int64 [B] (default 0..B-1), the images' random streams.
LoopResult run_dasbe(const Autoencoder& ae, const at::Tensor& images, const LoopOptions& opt,
                     const at::Tensor& ids = {}, const CycleFn& on_cycle = {});
// The moving-object variant of §3.5 on videos [B, F, H, W]: cycle k reads frame min(k, F - 1), so
// the scene advances one frame per cycle (every D steps); with a recurrent net (the RBAE) each phase
// slot t keeps its own memory M[t] of the code it saw one cycle (= one frame) before:
// z = sigmoid(M[t] W_h + h + b_h), then M[t] = h (M starts at 0). Recorded trains as run_dasbe.
LoopResult run_dasbe_moving(const Autoencoder& ae, const at::Tensor& videos, const LoopOptions& opt,
                            const at::Tensor& ids = {}, const CycleFn& on_cycle = {});
// The pure-ANN baseline of §3.6: the same delay loop without spikes (u = x * A[t], A[t] = AE(u)).
LoopResult run_pure_ann(const Autoencoder& ae, const at::Tensor& images, const LoopOptions& opt,
                        const at::Tensor& ids = {}, const CycleFn& on_cycle = {});

// The pulse-coupled network baseline of §3.7 (the "pure-SNN" column), with the coupling
// exp(-distance) over a 9x9 neighbourhood as a convolution.
struct PcnnOptions {
  int64_t steps = 500;
  int64_t record_steps = 100;  // keep the last this many steps
  double beta = 3, v_l = 1, tau_l = 2, theta0 = 2, w_inhibition = 3.5;
  double v_theta = 10, tau_theta = 6;  // shapes: 6 and 8
  double input_drop = 0.2;
  uint64_t seed = 0;
};
PcnnOptions pcnn_preset(const std::string& dataset);
// images [B, H, W] -> spikes uint8 [B, record_steps, N].
at::Tensor run_pcnn(const at::Tensor& images, const PcnnOptions& opt, const at::Tensor& ids = {});
// The coupling kernel [9, 9] (float64): exp(-sqrt(di^2 + dj^2)), 0 at the centre.
at::Tensor pcnn_kernel();

// Per-dataset loop settings of Table I (§3.4): bars D 54 R 6, corners 28/8, shapes 32/9,
// multi_mnist 29/12, mnist_shape 29/9; 50 cycles, the last 10 recorded. "moving" (Figure 5, the
// RBAE on moving_shapes_3): D 32, R 9, 60 cycles, all recorded.
LoopOptions loop_preset(const std::string& dataset);

// The per-image random streams, counter-based (SplitMix64 jumped to the counter): 64 random bits
// that depend only on (key, counter), key = stream_key(seed, image id, stream), so pixels can be
// skipped and images batched without shifting anything. One draw per (step tau, pixel i) of the
// Step stream, counter tau * N + i, gives the threshold noise (the top 24 bits) and the thinning
// uniforms of the spikes one and two steps back (bits 0-19 and 20-39). Hidden: the spiking
// bottleneck's noise (counter tau * code + j, top 24 bits); Drop: the PCNN's input dropout
// (counter step * N + i); Init: A's |N(0, 1)| by Box-Muller from the two 32-bit halves of
// counter t * N + i.
enum Stream : uint64_t { kInit = 1, kStep = 2, kHidden = 5, kDrop = 6 };
uint64_t stream_key(uint64_t seed, int64_t id, uint64_t stream);
uint64_t stream_bits(uint64_t key, uint64_t counter);
inline float bits_noise(uint64_t bits) {
  return (float)(bits >> 40) * (1.0f / 16777216.0f);
}
inline float bits_thin1(uint64_t bits) {
  return (float)(bits & 0xfffff) * (1.0f / 1048576.0f);
}
inline float bits_thin2(uint64_t bits) {
  return (float)((bits >> 20) & 0xfffff) * (1.0f / 1048576.0f);
}
// |g|, g ~ N(0, 1), from one draw.
float bits_abs_normal(uint64_t bits);

}  // namespace hnn::models::dasbe
