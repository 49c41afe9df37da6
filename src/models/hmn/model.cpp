#include "hnn/models/hmn/model.h"

#include <torch/torch.h>

#include <mutex>

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
  HNN_CHECK(c.inputs > 0 && c.channels > 0 && c.classes > 0 && c.channels2 >= 0,
            "hmn branch: bad sizes (inputs {}, channels {}, channels2 {}, classes {})", c.inputs, c.channels,
            c.channels2, c.classes);
  HNN_CHECK(c.vt >= 0, "hmn branch: v_T must be >= 0, got {}", c.vt);
  auto linear = [](int64_t i, int64_t o) { return torch::nn::Linear(torch::nn::LinearOptions(i, o).bias(false)); };
  fc1 = register_module("fc1", linear(c.inputs, c.channels));
  fc2 = register_module("fc2", linear(c.channels, c.hidden2()));
  fc3 = register_module("fc3", linear(c.hidden2(), c.classes));
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
    HNN_CHECK(config.hidden2() == C, "hmn branch: signals need hidden layers of one width, got {} and {}", C,
              config.hidden2());
    const bool shared = signals.dim() == 2 && signals.size(0) == 2 && signals.size(1) == C;
    const bool per_sample =
        signals.dim() == 3 && signals.size(0) == 2 && signals.size(1) == x.size(1) && signals.size(2) == C;
    HNN_CHECK(shared || per_sample, "hmn branch: signals must be [2, {}] or [2, B, {}], got {}", C, C,
              shape_str(signals.sizes()));
  }
  if (config.active_only && signals.defined() && signals.dim() == 2 && how == Modulate::Threshold)
    return active_forward(x, signals);
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

// The switched-on part alone, through the same weights (so gradients reach them), its hidden
// activity scattered back to [B, C] with zeros for the switched-off neurons.
BranchOutput BranchImpl::active_forward(const at::Tensor& x, const at::Tensor& signals) {
  const ActiveSet a = ActiveSet::of(signals);
  const auto blocks = active_blocks(*this, a);
  const at::Tensor w1 = gather_block(fc1->weight, blocks[0]), w2 = gather_block(fc2->weight, blocks[1]),
                   w3 = gather_block(fc3->weight, blocks[2]);
  at::Tensor h1, h2, out;
  if (config.spiking) {
    h1 = n1->forward(torch::matmul(x, w1.t()));
    h2 = n2->forward(torch::matmul(h1, w2.t()));
    out = n3->forward(torch::matmul(h2, w3.t())).mean(0);
    h1 = h1.mean(0), h2 = h2.mean(0);
  } else {
    h1 = torch::relu(torch::matmul(x.mean(0), w1.t()));
    h2 = torch::relu(torch::matmul(h1, w2.t()));
    out = torch::matmul(h2, w3.t());
  }
  const int64_t B = x.size(1);
  auto whole = [&](const at::Tensor& part, const at::Tensor& on) {
    return torch::zeros({B, config.channels}, part.options()).index_copy(1, on, part);
  };
  return {out, whole(h1, a.on1), whole(h2, a.on2)};
}

ActiveSet ActiveSet::of(const at::Tensor& signals) {
  HNN_CHECK(signals.dim() == 2 && signals.size(0) == 2, "hmn: the signals of one task must be [2, C], got {}",
            shape_str(signals.sizes()));
  return {signals[0].nonzero().flatten(), signals[1].nonzero().flatten()};
}

std::vector<ParameterBlock> active_blocks(const BranchImpl& net, const ActiveSet& a) {
  HNN_CHECK(net.config.hidden2() == net.config.channels, "hmn: active parts need hidden layers of one width");
  const auto dev = net.fc1->weight.device();
  const at::Tensor on1 = a.on1.to(dev), on2 = a.on2.to(dev);
  // Linear weights are [out, in].
  return {{net.fc1->weight, on1, {}}, {net.fc2->weight, on2, on1}, {net.fc3->weight, {}, on2}};
}

at::Tensor gather_block(const at::Tensor& t, const ParameterBlock& b) {
  at::Tensor r = b.rows.defined() ? t.index_select(0, b.rows) : t;
  return b.cols.defined() ? r.index_select(1, b.cols) : r;
}

void scatter_block(at::Tensor& t, const ParameterBlock& b, const at::Tensor& part) {
  torch::NoGradGuard ng;
  if (b.rows.defined() && b.cols.defined())
    t.index_put_({b.rows.unsqueeze(1), b.cols.unsqueeze(0)}, part);
  else if (b.rows.defined())
    t.index_copy_(0, b.rows, part);
  else if (b.cols.defined())
    t.index_copy_(1, b.cols, part);
  else
    t.copy_(part);
}

Branch active_part(const Branch& net, const ActiveSet& a) {
  BranchConfig c = net->config;
  c.channels = a.on1.numel(), c.channels2 = a.on2.numel(), c.active_only = false;
  HNN_CHECK(c.channels > 0 && c.channels2 > 0, "hmn: the signals switch every neuron of a hidden layer off");
  // Its initial weights are overwritten: the global generator is left as it was, so that a run
  // draws the same shuffles with and without active parts.
  auto gen = at::detail::getDefaultCPUGenerator();
  at::Tensor rng;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    rng = gen.get_state();
  }
  Branch part(c);
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
  }
  part->to(net->fc1->weight.device(), net->fc1->weight.scalar_type());
  torch::NoGradGuard ng;
  const auto blocks = active_blocks(*net, a);
  auto params = part->parameters();
  for (size_t i = 0; i < blocks.size(); ++i) params[i].copy_(gather_block(blocks[i].param, blocks[i]));
  return part;
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
