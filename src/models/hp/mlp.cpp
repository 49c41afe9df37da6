#include "hnn/models/hp/mlp.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "models/hp/config_json.h"

namespace hnn::models::hp {

std::string to_string(Mode m) {
  switch (m) {
    case Mode::LP:
      return "lp";
    case Mode::GP:
      return "gp";
    case Mode::HP:
      return "hp";
  }
  return "?";
}

Mode parse_mode(const std::string& s) {
  for (Mode m : {Mode::LP, Mode::GP, Mode::HP})
    if (s == to_string(m)) return m;
  throw Error(fmt::format("unknown learning mode '{}' (lp, gp or hp)", s));
}

MlpConfig MlpConfig::demo(Mode m) {
  MlpConfig c;
  c.mode = m;
  return c;
}

MlpConfig MlpConfig::fault_tolerance(Mode m) {
  MlpConfig c;
  c.mode = m;
  c.steps = 5;
  c.threshold = 0.4;
  c.trace_decay = 0.99;
  return c;
}

std::string MlpConfig::to_json() const {
  return config_to_json(*this, "hp.mlp");
}

MlpConfig MlpConfig::from_json(const std::string& text) {
  return config_from_json(MlpConfig{}, text, "hp.mlp");
}

HpMlpImpl::HpMlpImpl(MlpConfig c) : config(c) {
  HNN_CHECK(c.inputs > 0 && c.hidden > 0 && c.classes > 0 && c.steps > 0,
            "hp.mlp: sizes and steps must be positive (inputs {}, hidden {}, classes {}, steps {})", c.inputs, c.hidden,
            c.classes, c.steps);
  auto layer = [&](int64_t in, int64_t out) {
    // Local parameters U(0, 0.01) (HP, LP); for GP they exist (interchangeable state) but are unused.
    const double hi = c.mode == Mode::GP ? 1e-3 : 1e-2;
    return plasticity::PlasticLinearOptions(in, out)
        .rule(c.mode == Mode::GP ? plasticity::Rule::None : plasticity::Rule::TanhHebb)
        .trace(plasticity::TraceOptions{c.trace_decay, c.trace_clamp})
        .persistent(true)
        .threshold(c.threshold)
        .decay(c.decay)
        .reset(spike::Reset::Soft)
        .alpha_init({0, hi})
        .beta_init({0, hi})
        .eta_init({0, hi});
  };
  fc1 = register_module("fc1", plasticity::PlasticLinear(layer(c.inputs, c.hidden)));
  fc2 = register_module("fc2", plasticity::PlasticLinear(layer(c.hidden, c.classes)));
  if (c.mode == Mode::LP) fc1->freeze_global(/*local=*/true);
}

at::Tensor HpMlpImpl::forward(const at::Tensor& images) {
  HNN_CHECK(images.dim() >= 2 && images[0].numel() == config.inputs,
            "hp.mlp: expected images [B, ...] with {} values each, got {}", config.inputs, shape_str(images.sizes()));
  const at::Tensor x = images.reshape({images.size(0), config.inputs});
  // Feed-forward, so each layer runs its whole window in turn: layer 1 sees the same image every
  // step (scaled by exp(-t / tau_w), its fast path), layer 2 the attenuated hidden spikes.
  const std::vector<double> scale = plasticity::attenuations(config.steps, config.tau_w);
  auto h = fc1->forward_scaled(x, scale);
  auto d = torch::tensor(scale, x.options()).reshape({-1, 1, 1});
  auto out = fc2->forward(h.spikes * d);
  const double b = static_cast<double>(x.size(0));
  hidden_spikes = h.spikes.detach().sum().item<double>() / b;
  output_spikes = out.spikes.detach().sum().item<double>() / b;
  const at::Tensor u2 = out.membrane[config.steps - 1];
  return plasticity::membrane_readout(u2, config.threshold, config.readout_max);
}

}  // namespace hnn::models::hp
