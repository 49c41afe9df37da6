#include "hnn/models/hmn/model.h"

#include <torch/torch.h>

#include "../config_json.h"
#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/hu/presets.h"

namespace hnn::models::hmn {

std::string BackboneConfig::to_json() const {
  return config_fields_to_json(*this, "hmn.backbone").dump();
}
BackboneConfig BackboneConfig::from_json(const std::string& text) {
  return config_fields_from_json(BackboneConfig{}, parse_config_json(text, "hmn.backbone"), "hmn.backbone");
}
std::string BranchConfig::to_json() const {
  return config_fields_to_json(*this, "hmn.branch").dump();
}
BranchConfig BranchConfig::from_json(const std::string& text) {
  return config_fields_from_json(BranchConfig{}, parse_config_json(text, "hmn.branch"), "hmn.branch");
}

spike::NeuronOptions hmn_neuron(double threshold) {
  return spike::NeuronOptions::integrate_and_fire()
      .threshold(threshold)
      .reset(spike::Reset::Hard)
      .surrogate(spike::Surrogate::parse("rect:1"));
}

namespace {

void check_sequence(const at::Tensor& x, int64_t inputs, const char* who) {
  HNN_CHECK(x.dim() == 3 && x.size(2) == inputs, "{}: input must be [T, B, {}], got {}", who, inputs,
            shape_str(x.sizes()));
}

// x [T, B, D] -> fc(x) over all steps at once -> [T, B, out].
at::Tensor fold(torch::nn::Linear& fc, const at::Tensor& x) {
  return fc->forward(x.reshape({-1, x.size(2)})).reshape({x.size(0), x.size(1), -1});
}

}  // namespace

BackboneImpl::BackboneImpl(BackboneConfig c) : config(c) {
  HNN_CHECK(c.inputs > 0 && c.channels > 0 && c.hidden >= 0,
            "hmn backbone: bad sizes (inputs {}, hidden {}, channels {})", c.inputs, c.hidden, c.channels);
  HNN_CHECK(!c.spiking || c.hidden > 0, "hmn backbone: a spiking backbone needs hidden layers (hidden > 0)");
  const int64_t in = c.hidden > 0 ? c.hidden : c.inputs;
  if (c.hidden > 0) {
    fc1 = register_module("fc1", torch::nn::Linear(c.inputs, c.hidden));
    fc2 = register_module("fc2", torch::nn::Linear(c.hidden, c.hidden));
  }
  if (c.spiking) {
    n1 = register_module("n1", spike::IfNeuron(hmn_neuron(c.threshold)));
    n2 = register_module("n2", spike::IfNeuron(hmn_neuron(c.threshold)));
  }
  head1 = register_module("head1", hu::spike_gate(in, c.channels, c.sharpness, /*binary=*/false));
  head2 = register_module("head2", hu::spike_gate(in, c.channels, c.sharpness, /*binary=*/false));
}

at::Tensor BackboneImpl::forward(const at::Tensor& x) {
  check_sequence(x, config.inputs, "hmn backbone");
  at::Tensor h;
  if (config.spiking) {
    h = n2->forward(fold(fc2, n1->forward(fold(fc1, x)))).mean(0);
  } else {
    h = x.mean(0);
    if (config.hidden > 0) h = torch::relu(fc2->forward(torch::relu(fc1->forward(h))));
  }
  return torch::stack({head1->forward(h), head2->forward(h)});
}

BranchImpl::BranchImpl(BranchConfig c) : config(c) {
  HNN_CHECK(c.inputs > 0 && c.channels > 0 && c.classes > 0,
            "hmn branch: bad sizes (inputs {}, channels {}, classes {})", c.inputs, c.channels, c.classes);
  HNN_CHECK(c.vt >= 0, "hmn branch: v_T must be >= 0, got {}", c.vt);
  auto linear = [](int64_t i, int64_t o) { return torch::nn::Linear(torch::nn::LinearOptions(i, o).bias(false)); };
  fc1 = register_module("fc1", linear(c.inputs, c.channels));
  fc2 = register_module("fc2", linear(c.channels, c.channels));
  fc3 = register_module("fc3", linear(c.channels, c.classes));
  if (c.spiking) {
    n1 = register_module("n1", spike::IfNeuron(hmn_neuron(c.threshold)));
    n2 = register_module("n2", spike::IfNeuron(hmn_neuron(c.threshold)));
    n3 = register_module("n3", spike::IfNeuron(hmn_neuron(c.threshold)));
  }
}

BranchOutput BranchImpl::forward(const at::Tensor& x, const at::Tensor& signals, Modulate how) {
  check_sequence(x, config.inputs, "hmn branch");
  const int64_t C = config.channels;
  if (signals.defined()) {
    const bool shared = signals.dim() == 2 && signals.size(0) == 2 && signals.size(1) == C;
    const bool per_sample =
        signals.dim() == 3 && signals.size(0) == 2 && signals.size(1) == x.size(1) && signals.size(2) == C;
    HNN_CHECK(shared || per_sample, "hmn branch: signals must be [2, {}] or [2, B, {}], got {}", C, C,
              shape_str(signals.sizes()));
  }
  const at::Tensor g1 = signals.defined() ? signals[0].to(x.dtype()) : at::Tensor();
  const at::Tensor g2 = signals.defined() ? signals[1].to(x.dtype()) : at::Tensor();
  if (!config.spiking) {
    // ANN-only ablation: the same layers on the time-mean input, activations times G.
    at::Tensor h1 = torch::relu(fc1->forward(x.mean(0)));
    if (g1.defined()) h1 = h1 * g1;
    at::Tensor h2 = torch::relu(fc2->forward(h1));
    if (g2.defined()) h2 = h2 * g2;
    return {fc3->forward(h2), h1, h2};
  }
  if (g1.defined() && how == Modulate::SpikeGate) return gated_loop(x, signals);
  auto theta = [&](const at::Tensor& g) {
    return config.threshold + config.vt * (1 - g);  // [C] or [B, C], broadcast over [T, B, C]
  };
  spike::Modulation m1, m2;
  if (g1.defined()) {
    m1.threshold(theta(g1));
    m2.threshold(theta(g2));
  }
  const at::Tensor s1 = n1->forward(fold(fc1, x), m1);
  const at::Tensor s2 = n2->forward(fold(fc2, s1), m2);
  const at::Tensor s3 = n3->forward(fold(fc3, s2));
  return {s3.mean(0), s1.mean(0), s2.mean(0)};
}

// The reference's form: per step, s = H(m - v_th) * G with the surrogate, m = m (1 - s) + W x.
BranchOutput BranchImpl::gated_loop(const at::Tensor& x, const at::Tensor& signals) {
  const at::Tensor g1 = signals[0].to(x.dtype()), g2 = signals[1].to(x.dtype());
  const spike::NeuronSpec spec = hmn_neuron(config.threshold).spec();
  spike::NeuronParams p;
  p.threshold = torch::full({}, config.threshold, x.options());
  const at::Tensor i1 = fold(fc1, x);
  const int64_t T = x.size(0), B = x.size(1), C = config.channels;
  at::Tensor v1 = torch::zeros({B, C}, x.options()), v2 = v1.clone(),
             v3 = torch::zeros({B, config.classes}, x.options());
  at::Tensor r1 = torch::zeros_like(v1), r2 = torch::zeros_like(v1), r3 = torch::zeros_like(v3);
  auto layer = [&](at::Tensor& v, const at::Tensor& in, const at::Tensor& g) {
    const at::Tensor h = v + in;
    at::Tensor s = spike::spike(h - p.threshold, spec.surrogate);
    if (g.defined()) s = s * g;
    v = h * (1 - s);
    return s;
  };
  for (int64_t t = 0; t < T; ++t) {
    const at::Tensor s1 = layer(v1, i1[t], g1);
    const at::Tensor s2 = layer(v2, fc2->forward(s1), g2);
    const at::Tensor s3 = layer(v3, fc3->forward(s2), {});
    r1 = r1 + s1, r2 = r2 + s2, r3 = r3 + s3;
  }
  return {r3 / T, r1 / T, r2 / T};
}

}  // namespace hnn::models::hmn
