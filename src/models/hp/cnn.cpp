#include "hnn/models/hp/cnn.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/nn/time_fold.h"
#include "models/hp/config_json.h"

namespace hnn::models::hp {

CnnConfig CnnConfig::mnist(Mode m) {
  CnnConfig c;
  c.mode = m;
  // The reference reads u / theta out unclamped; with theta 0.3 the first outputs are large, the
  // MSE gradient silences the network and it stays at chance (measured, docs/hp.md). Clamped at
  // 1.1 as in the Fashion-MNIST preset, it learns.
  c.readout_max = 1.1;
  return c;
}

CnnConfig CnnConfig::fashion(Mode m) {
  CnnConfig c;
  c.dataset = "fashion";
  c.mode = m;
  c.threshold = 0.45;
  c.decay = 0.75;
  c.hard_reset = true;
  c.trace_decay = 0.9;
  c.trace_clamp = 4;
  c.beta_nonnegative = true;
  c.tau_w = 30;
  c.exit_rho = 0.9;
  c.readout_max = 1.1;
  c.fc2_scale = 0.5;
  return c;
}

std::string CnnConfig::to_json() const {
  return config_to_json(*this, "hp.cnn");
}

CnnConfig CnnConfig::from_json(const std::string& text) {
  return config_from_json(CnnConfig{}, text, "hp.cnn");
}

HpCnnImpl::HpCnnImpl(CnnConfig c) : config(c) {
  HNN_CHECK(c.steps > 0 && c.channels1 > 0 && c.channels2 > 0 && c.channels3 > 0 && c.hidden > 0 && c.classes > 0,
            "hp.cnn: sizes and steps must be positive");
  HNN_CHECK(c.mode != Mode::LP, "hp.cnn: the classifiers are GP or HP (LP exists for the MLP demo only)");
  const auto reset = c.hard_reset ? spike::Reset::Hard : spike::Reset::Soft;
  auto neuron = spike::NeuronOptions::lif_decay(c.decay).threshold(c.threshold).reset(reset);
  auto conv = [&](int64_t in, int64_t out) {
    return nn::SpikingConv2d(
        nn::SpikingConv2dOptions(in, out, 3).padding(1).bias(true).batch_norm(false).neuron(neuron));
  };
  conv1 = register_module("conv1", conv(1, c.channels1));
  conv2 = register_module("conv2", conv(c.channels1, c.channels2));
  conv3 = register_module("conv3", conv(c.channels2, c.channels3));
  auto layer = [&](int64_t in, int64_t out, bool plastic) {
    return plasticity::PlasticLinearOptions(in, out)
        .rule(plastic ? plasticity::Rule::AntiHebb : plasticity::Rule::None)
        .trace(plasticity::TraceOptions{c.trace_decay, c.trace_clamp, c.beta_nonnegative})
        .persistent(true)
        .threshold(c.threshold)
        .decay(c.decay)
        .reset(reset)
        .alpha_init({0.1, 0.1})
        .beta_init({1e-3, 1e-3})
        .eta_init({0, 0});
  };
  const int64_t side = 28 / 2 / 2 / 2;  // 3 (floor)
  fc1 =
      register_module("fc1", plasticity::PlasticLinear(layer(c.channels3 * side * side, c.hidden, c.mode == Mode::HP)));
  fc2 = register_module("fc2", plasticity::PlasticLinear(layer(c.hidden, c.classes, false)));
  if (c.fc2_scale != 1.0) {
    torch::NoGradGuard no_grad;
    fc2->weight.mul_(c.fc2_scale);
  }
}

at::Tensor HpCnnImpl::forward(const at::Tensor& images) {
  const auto& c = config;
  HNN_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(2) == 28 && images.size(3) == 28,
            "hp.cnn: expected images [B, 1, 28, 28], got {}", shape_str(images.sizes()));
  const int64_t T = c.steps;
  const std::vector<double> scale = plasticity::attenuations(T, c.tau_w);
  const at::Tensor d = torch::tensor(scale, images.options()).reshape({T, 1, 1, 1, 1});
  auto pool = [&](const at::Tensor& s) { return nn::unfold_time(torch::avg_pool2d(nn::fold_time(s), 2), T); };
  auto drop = [&](const at::Tensor& x) { return torch::dropout(x, c.dropout, is_training()); };
  // conv1 sees the raw image, the same every step: convolve once, integrate T times.
  const at::Tensor c1 = conv1->conv->forward(images);
  auto s1 = conv1->neuron->forward(c1.unsqueeze(0).expand({T, -1, -1, -1, -1}).contiguous());
  auto s2 = conv2->forward(drop(pool(s1) * d));
  auto s3 = conv3->forward(drop(pool(s2) * d));
  const at::Tensor p3 = (pool(s3) * d).flatten(2);  // [T, B, 2304]
  // The plastic head steps with the early exit (decided on the output after each step).
  auto st1 = fc1->initial_state();
  auto st2 = fc2->initial_state();
  at::Tensor u;
  exit_step = T - 1;
  for (int64_t t = 0; t < T; ++t) {
    auto r1 = fc1->step(p3[t], st1);
    auto r2 = fc2->step(r1.spikes * scale[t], st2);
    st1 = std::move(r1.state);
    st2 = std::move(r2.state);
    u = r2.membrane;
    if (c.exit_rho > 0 && t > 0 && plasticity::early_exit(u.detach(), c.threshold, c.exit_rho)) {
      exit_step = t;
      break;
    }
  }
  fc1->end_window(st1);
  return plasticity::membrane_readout(u, c.threshold, c.readout_max);
}

}  // namespace hnn::models::hp
