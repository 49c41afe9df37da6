// The named neurons: IF, LIF (ODE and decay forms), PLIF (learnable tau), ALIF (adaptive
// threshold). Each is a NeuronImpl whose constructor fixes what makes it that neuron; all other
// options (reset, surrogate, per-channel or learnable threshold, ...) stay free.
//   Lif lif(NeuronOptions::lif(2.0).threshold(1.0).reset(Reset::Soft));
//   auto spikes = lif(x);   // x [T, B, ...] -> [T, B, ...]
#pragma once
#include "hnn/spike/neuron_module.h"

namespace hnn::spike {

struct IfNeuronImpl : NeuronImpl {
  explicit IfNeuronImpl(NeuronOptions o = NeuronOptions::integrate_and_fire());
};
TORCH_MODULE(IfNeuron);

struct LifImpl : NeuronImpl {
  explicit LifImpl(NeuronOptions o = NeuronOptions::lif());
};
TORCH_MODULE(Lif);

struct PlifImpl : NeuronImpl {
  explicit PlifImpl(NeuronOptions o = NeuronOptions::plif());
};
TORCH_MODULE(Plif);

struct AlifImpl : NeuronImpl {
  explicit AlifImpl(NeuronOptions o = NeuronOptions::alif());
};
TORCH_MODULE(Alif);

// A neuron by name: "if", "lif", "lif_decay", "plif", "alif".
Neuron make_neuron(const std::string& kind, NeuronOptions base = {});

}  // namespace hnn::spike
