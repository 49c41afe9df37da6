// The named neurons: IF, LIF (ODE and decay forms), PLIF (learnable tau), ALIF (adaptive
// threshold). Each is a NeuronImpl whose constructor fixes what makes it that neuron; all other
// options (reset, surrogate, per-channel or learnable threshold, ...) stay free.
//   Lif lif(NeuronOptions::lif(2.0).threshold(1.0).reset(Reset::Soft));
//   auto spikes = lif(x);   // x [T, B, ...] -> [T, B, ...]
#pragma once
#include "hnn/spike/neuron_module.h"

namespace hnn::spike {

// A neuron type whose clone() keeps the type D.
template <typename D>
struct NamedNeuron : NeuronImpl {
  using NeuronImpl::NeuronImpl;

 protected:
  std::shared_ptr<NeuronImpl> make_like(const NeuronOptions& o) const override { return std::make_shared<D>(o); }
};

struct IfNeuronImpl : NamedNeuron<IfNeuronImpl> {
  explicit IfNeuronImpl(NeuronOptions o = NeuronOptions::integrate_and_fire());
};
TORCH_MODULE(IfNeuron);

struct LifImpl : NamedNeuron<LifImpl> {
  explicit LifImpl(NeuronOptions o = NeuronOptions::lif());
};
TORCH_MODULE(Lif);

struct PlifImpl : NamedNeuron<PlifImpl> {
  explicit PlifImpl(NeuronOptions o = NeuronOptions::plif());
};
TORCH_MODULE(Plif);

struct AlifImpl : NamedNeuron<AlifImpl> {
  explicit AlifImpl(NeuronOptions o = NeuronOptions::alif());
};
TORCH_MODULE(Alif);

// A neuron by name: "if", "lif", "lif_decay", "plif", "alif".
Neuron make_neuron(const std::string& kind, NeuronOptions base = {});

}  // namespace hnn::spike
