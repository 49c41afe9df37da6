#include "hnn/spike/neurons.h"

#include "hnn/core/error.h"

namespace hnn::spike {

IfNeuronImpl::IfNeuronImpl(NeuronOptions o) : NamedNeuron(o.charge(Charge::If)) {}

namespace {
NeuronOptions leaky(NeuronOptions o) {
  HNN_CHECK(o.charge() != Charge::If,
            "Lif given integrate-and-fire options (charge If): use IfNeuron, or NeuronOptions::lif / lif_decay");
  return o;
}
}  // namespace

LifImpl::LifImpl(NeuronOptions o) : NamedNeuron(leaky(std::move(o))) {}

PlifImpl::PlifImpl(NeuronOptions o) : NamedNeuron(o.charge(Charge::LifOde).learn_decay(true).decay_sigmoid(true)) {}

AlifImpl::AlifImpl(NeuronOptions o) : NamedNeuron(o.adaptive(true)) {}

Neuron make_neuron(const std::string& kind, NeuronOptions base) {
  if (kind == "if") return Neuron(base.charge(Charge::If));
  if (kind == "lif") return Neuron(base.charge(Charge::LifOde));
  if (kind == "lif_decay") return Neuron(base.charge(Charge::LifDecay));
  if (kind == "plif") return Neuron(base.charge(Charge::LifOde).learn_decay(true).decay_sigmoid(true));
  if (kind == "alif") return Neuron(base.adaptive(true));
  fail("unknown neuron '{}' (expected if, lif, lif_decay, plif or alif)", kind);
}

}  // namespace hnn::spike
