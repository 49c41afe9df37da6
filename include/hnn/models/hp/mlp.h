// The hybrid-plasticity MLP of Wu et al. 2022 (spec hybrid-plasticity.md §3.1 demo, §3.5 fault
// tolerance): images [B, 1, 28, 28] (or [B, 784]) in [0, 1], presented at every step attenuated
// by exp(-t/tau_w), 784 -> hidden LIF -> 10 LIF, both layers plasticity::PlasticLinear, read out
// as min(u_out / theta, 1.1) at the last step -> [B, 10]. Traces persist across training batches.
//   LP: layer 1 a frozen random projection with its Hebbian trace, layer 2 a trained HP layer;
//   GP: no traces (plain BPTT);  HP: both layers plastic and trained.
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "hnn/plasticity/plastic_linear.h"

namespace hnn::models::hp {

enum class Mode { LP, GP, HP };
std::string to_string(Mode m);  // "lp", "gp", "hp"
Mode parse_mode(const std::string& s);

struct MlpConfig {
  Mode mode = Mode::HP;
  int64_t inputs = 784, hidden = 512, classes = 10;
  int64_t steps = 10;         // T
  double tau_w = 40;          // input attenuation exp(-t / tau_w)
  double threshold = 0.35;    // theta
  double decay = 0.4;         // membrane decay lambda
  double trace_decay = 0.95;  // kappa
  double trace_clamp = 4;     // |H| <= 4
  double readout_max = 1.1;   // min(u / theta, 1.1)
  // The demo (§3.1) and the fault-tolerance model (§3.5: T 5, theta 0.4, kappa 0.99).
  static MlpConfig demo(Mode m);
  static MlpConfig fault_tolerance(Mode m);
  std::string to_json() const;
  static MlpConfig from_json(const std::string& text);
  // f(name, member) for every field but the mode (JSON, checkpoints).
  template <class F>
  void visit(F&& f) {
    f("inputs", inputs), f("hidden", hidden), f("classes", classes), f("steps", steps), f("tau_w", tau_w);
    f("threshold", threshold), f("decay", decay), f("trace_decay", trace_decay), f("trace_clamp", trace_clamp);
    f("readout_max", readout_max);
  }
};

class HpMlpImpl : public torch::nn::Module {
 public:
  explicit HpMlpImpl(MlpConfig config);
  // images [B, ...] with 784 values each -> read-out [B, classes].
  at::Tensor forward(const at::Tensor& images);

  MlpConfig config;
  plasticity::PlasticLinear fc1{nullptr}, fc2{nullptr};
  // Mean spikes per sample of the hidden and output layers over the last forward's window.
  double hidden_spikes = 0, output_spikes = 0;
};
TORCH_MODULE(HpMlp);

}  // namespace hnn::models::hp
