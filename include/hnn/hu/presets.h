// Preset hybrid units: each a few lines on top of the parts (see presets.cpp).
//
// ANN to SNN, x [B, ...] -> spikes (or currents) [T, B, ...]:
//   rate_encoder       the value itself at every step (direct / constant-current coding)
//   poisson_encoder    Bernoulli spikes with p = x (min-max normalised per sample, or clamped)
//   latency_encoder    one spike per element, earlier for larger values
//   population_encoder P Gaussian receptive fields per element, Bernoulli spikes: [T, B, ..., P]
//   delta_encoder      x [T, B, ...] real sequence -> +1/-1 events on changes of `threshold`
//   learnable_sampler  a learned per-step projection w_t x + b_t, thresholded (surrogate gradient)
// SNN to ANN, spikes [T, B, ...] -> [K, B, ...] (window > 0) or [B, ...] (window 0: whole sequence;
// with squeeze = true also for a single window, window == T):
//   rate_decoder, count_decoder  spike rate / count per window
//   trace_decoder      exponentially filtered trace, read every `stride` steps over `length` steps
//   first_spike_decoder (L - i)/L for the first spike at i in each window
//   learnable_window_decoder  a learned (per-channel) temporal kernel per window
//   integrator_decoder membrane of a non-spiking leaky integrator (v = d v + x) at each window end
// Modulation, features [B, F] -> parameter tensors:
//   threshold_modulator  theta = (1 - g) v_T with g = sigmoid(k (W x + b)): [B, out]
//   spike_gate           g = sigmoid(k (W x + b)), binarised at 0.5 (HMN gates): [B, out]
//   weight_scale         s = 1 + tanh(W x + b), a per-output factor on a layer's weights: [B, out]
#pragma once
#include <string>
#include <vector>

#include "hnn/hu/hybrid_unit.h"
#include "hnn/spike/surrogate.h"

namespace hnn::hu {

HybridUnit rate_encoder(int64_t steps);
HybridUnit poisson_encoder(int64_t steps, bool normalize = true);
HybridUnit latency_encoder(int64_t steps, bool normalize = true);
HybridUnit population_encoder(int64_t steps, int64_t neurons, double lo = 0, double hi = 1, double sigma = 0);
HybridUnit delta_encoder(double threshold);
HybridUnit learnable_sampler(int64_t steps, spike::Surrogate sg = spike::Surrogate::parse("sigmoid:4"));

HybridUnit rate_decoder(int64_t window = 0, bool squeeze = false);
HybridUnit count_decoder(int64_t window = 0, bool squeeze = false);
HybridUnit trace_decoder(double tau, int64_t length, int64_t stride = 1, bool squeeze = false);
HybridUnit first_spike_decoder(int64_t window = 0, bool squeeze = false);
HybridUnit learnable_window_decoder(int64_t window, int64_t channels = 0, bool squeeze = false);
HybridUnit integrator_decoder(double decay, int64_t window = 0, bool squeeze = false);

HybridUnit threshold_modulator(int64_t in, int64_t out, double v_threshold = 1.0, double sharpness = 1.0);
HybridUnit spike_gate(int64_t in, int64_t out, double sharpness = 100.0, bool binary = true);
HybridUnit weight_scale(int64_t in, int64_t out);

// Names accepted by make_preset (and `hnn hu plot --preset`).
std::vector<std::string> preset_names();
// A preset with typical settings: steps T for encoders, window = steps for decoders (whole
// sequence), features for modulators.
HybridUnit make_preset(const std::string& name, int64_t steps = 16, int64_t features = 4);

}  // namespace hnn::hu
