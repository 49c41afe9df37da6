// The hybrid-plasticity CIFAR-10 classifier of Wu et al. 2022 (spec hybrid-plasticity.md §3.4):
// normalised images [B, 3, 32, 32] presented at every step,
//   conv1 3->128 (raw image) LIF -> conv2 128->256 on dropout(s d_t), LIF, avgpool -> conv3
//   256->512 on dropout(pool d_t), LIF, avgpool -> conv4 512->1024 on dropout(pool d_t), LIF ->
//   conv5 1024->512 on dropout(s d_t), LIF -> fc1 32768->1024 LIF on dropout(s d_t) -> fc2
//   1024->512 plastic LIF (anti-Hebb trace, additive, kappa 0.9, no clamp) on s -> fc3 512->10, a
//   non-spiking leaky integrator u_t = 0.7 u_{t-1} + W3 (s d_t) + b3,
// read out as min(u, 0.55) / theta at the early-exit step (rho 0.7). GP drops fc2's trace.
// 45 M parameters at the paper's size; every width is configurable for small runs.
// Also: CIFAR-10's binary files (data_batch_1..5.bin, test_batch.bin) and the training
// augmentation (random crop with zero padding 4, horizontal flip).
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "hnn/data/idx.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/plasticity/plastic_linear.h"

namespace hnn::models::hp {

struct CifarConfig {
  Mode mode = Mode::HP;
  int64_t image = 32;
  std::vector<int64_t> channels = {128, 256, 512, 1024, 512};  // conv1..conv5
  int64_t fc1 = 1024, fc2 = 512, classes = 10;
  int64_t steps = 8;
  double tau_w = 50, threshold = 0.5, decay = 0.7;
  double trace_decay = 0.9, out_decay = 0.7;
  double dropout = 0.5, readout_max = 0.55, exit_rho = 0.7;
  bool init_quirk = true;  // add mean(W) 1.1^k to conv2..fc2's weights (k = 2..7), as the reference
  std::string to_json() const;
  static CifarConfig from_json(const std::string& text);
  template <class F>
  void visit(F&& f) {
    f("image", image), f("channels", channels), f("fc1", fc1), f("fc2", fc2), f("classes", classes);
    f("steps", steps), f("tau_w", tau_w), f("threshold", threshold), f("decay", decay);
    f("trace_decay", trace_decay), f("out_decay", out_decay), f("dropout", dropout);
    f("readout_max", readout_max), f("exit_rho", exit_rho), f("init_quirk", init_quirk);
  }
};

class HpCifarNetImpl : public torch::nn::Module {
 public:
  explicit HpCifarNetImpl(CifarConfig config);
  // images [B, 3, S, S] (normalised) -> read-out [B, classes].
  at::Tensor forward(const at::Tensor& images);

  CifarConfig config;
  std::vector<nn::SpikingConv2d> convs;
  plasticity::PlasticLinear fc1{nullptr}, fc2{nullptr};
  torch::nn::Linear fc3{nullptr};
  int64_t exit_step = 0;
};
TORCH_MODULE(HpCifarNet);

// <dir>/data_batch_1..5.bin ("train") or <dir>/test_batch.bin ("test"): images float
// [N, 3, 32, 32] normalised per channel (mean 0.4914 0.4822 0.4465, std 0.2023 0.1994 0.2010),
// labels int64. hnn::Error naming a missing or malformed file.
data::ImageSet load_cifar10(const std::string& dir, const std::string& split, int64_t max_items = 0);

// Random crop of each image after zero padding by `pad`, then a horizontal flip with p 0.5 (the
// LibTorch generator: seeded by seed_everything).
at::Tensor random_crop_flip(const at::Tensor& images, int64_t pad = 4);

}  // namespace hnn::models::hp
