// The hybrid-plasticity spiking CNN classifiers of Wu et al. 2022 (spec hybrid-plasticity.md §3.2
// MNIST, §3.3 Fashion-MNIST): images [B, 1, 28, 28] in [0, 1] presented at every step,
//   conv1 1->128 (raw image) LIF, avgpool 2 -> conv2 128->256 on dropout(pool d_t), LIF, avgpool
//   -> conv3 256->256 on dropout(pool d_t), LIF, avgpool -> fc1 2304->512 plastic (anti-Hebb
//   trace, additive) on pool d_t, LIF -> fc2 512->10 LIF on s d_t,
// read out as u_out / theta (clamped at 1.1 for Fashion-MNIST) at the first step t > 0 where more
// than rho of the batch has an output above threshold ("rank" early exit), else at the last.
// Mode GP drops the trace of fc1. Convolutions are nn::SpikingConv2d blocks (no BatchNorm).
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "hnn/models/hp/mlp.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/plasticity/plastic_linear.h"

namespace hnn::models::hp {

struct CnnConfig {
  std::string dataset = "mnist";  // the preset it came from: "mnist" or "fashion"
  Mode mode = Mode::HP;
  int64_t channels1 = 128, channels2 = 256, channels3 = 256, hidden = 512, classes = 10;
  int64_t steps = 10;
  double tau_w = 40, threshold = 0.3, decay = 0.6;
  bool hard_reset = false;
  double trace_decay = 0.95, trace_clamp = 2;
  bool beta_nonnegative = false;
  double dropout = 0.5;
  double readout_max = 0;            // 0: no clamp
  double exit_rho = 0.8;             // early exit when more than this fraction of the batch has fired; 0: never
  double fc2_scale = 1.0;            // the initial fc2 weight is multiplied by this
  static CnnConfig mnist(Mode m);    // §3.2: theta 0.3, decay 0.6, soft reset, kappa 0.95, clamp 2, rho 0.8,
                                     //        read-out clamp 1.1 (the reference has none; see docs/hp.md)
  static CnnConfig fashion(Mode m);  // §3.3: theta 0.45, decay 0.75, hard reset, kappa 0.9, clamp 4, beta >= 0,
                                     //        tau_w 30, rho 0.9, read-out clamp 1.1, fc2 x 0.5
  std::string to_json() const;
  static CnnConfig from_json(const std::string& text);
  // f(name, member) for every field but the mode (JSON, checkpoints).
  template <class F>
  void visit(F&& f) {
    f("dataset", dataset), f("channels1", channels1), f("channels2", channels2), f("channels3", channels3);
    f("hidden", hidden), f("classes", classes), f("steps", steps), f("tau_w", tau_w), f("threshold", threshold);
    f("decay", decay), f("hard_reset", hard_reset), f("trace_decay", trace_decay), f("trace_clamp", trace_clamp);
    f("beta_nonnegative", beta_nonnegative), f("dropout", dropout), f("readout_max", readout_max);
    f("exit_rho", exit_rho), f("fc2_scale", fc2_scale);
  }
};

class HpCnnImpl : public torch::nn::Module {
 public:
  explicit HpCnnImpl(CnnConfig config);
  // images [B, 1, 28, 28] -> read-out [B, classes].
  at::Tensor forward(const at::Tensor& images);

  CnnConfig config;
  nn::SpikingConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  plasticity::PlasticLinear fc1{nullptr}, fc2{nullptr};
  int64_t exit_step = 0;  // t* of the last forward (0-based)
};
TORCH_MODULE(HpCnn);

}  // namespace hnn::models::hp
