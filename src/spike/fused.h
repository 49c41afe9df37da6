// Internal: the fused multi-step autograd function (CPU kernels).
#pragma once
#include "hnn/spike/neuron.h"

namespace hnn::spike::detail {

// x [T, B, ...]; state must be defined (v, and a when adaptive).
SequenceResult fused_multistep(const at::Tensor& x, const NeuronState& state, const NeuronParams& p,
                               const NeuronSpec& spec, bool want_membrane);
bool fused_supported(const at::Tensor& x);

// Defaults for undefined parameters (see NeuronParams).
constexpr double kDefaultThreshold = 1.0, kDefaultDecay = 0.5, kDefaultVReset = 0.0, kDefaultVRest = 0.0,
                 kDefaultRho = 0.9, kDefaultBeta = 0.5;

}  // namespace hnn::spike::detail
