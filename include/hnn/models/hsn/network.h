// The hybrid sensing network (HSN) of Zhao et al. 2022 (spec: hnn-paper-systems.md section 2).
// An ANN "what" pathway (ResNet two-stage on the APS frame [B, 1, 145, 145]) gives object
// templates; an SNN "where" pathway (spiking ResNet two-stage on DVS bins [T, B, 2, 145, 145])
// gives a feature map per 1-ms step; the hybrid unit samples a 3x3 template per object from the
// ANN map (bilinear, at the object's location) and correlates it with the SNN map at every step:
// response maps [T, B, O, 13, 13]. `width` scales every channel count (1 = the paper's model).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "hnn/hu/template_match.h"
#include "hnn/nn/spiking_layers.h"

namespace hnn::models::hsn {

struct NetworkOptions {
  double width = 1.0;      // channel multiplier (64 * width, ...)
  double threshold = 0.5;  // initial per-channel SNN threshold
  double decay = 0.0;      // SNN membrane decay (0: memoryless, as the reference)
  std::string surrogate = "rect:1";
  int64_t channels(int64_t c) const;  // max(1, round(c * width))
};

// conv 7x7 s2 -> bottleneck (stride 2, 3x3 downsample, crop 1) x 2 -> conv 1x1: [B, 1, 145, 145]
// -> [B, 512w, 15, 15].
class AnnBackboneImpl : public torch::nn::Module {
 public:
  explicit AnnBackboneImpl(const NetworkOptions& o, int64_t in_channels = 1);
  at::Tensor forward(const at::Tensor& x);
  int64_t out_channels() const { return out_channels_; }

 private:
  struct Block {
    torch::nn::Conv2d c1{nullptr}, c2{nullptr}, c3{nullptr}, down{nullptr};
    torch::nn::BatchNorm2d b1{nullptr}, b2{nullptr}, b3{nullptr}, bd{nullptr};
  };
  Block make_block(const std::string& name, int64_t in, int64_t planes);
  at::Tensor block(Block& b, const at::Tensor& x);
  torch::nn::Conv2d stem{nullptr}, conv_out{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  Block s1, s2;
  int64_t out_channels_;
};
TORCH_MODULE(AnnBackbone);

// The spiking ResNet two-stage: DVS bins [T, B, 2, 145, 145] -> real-valued maps [T, B, 512w,
// 15, 15] (the head is a non-spiking integrator whose membrane is read out every step). Every
// spiking layer is the reference's SNNLayer, an nn::SpikingConv2d: I_t = BN(conv(x_t)) with BN
// statistics per time step, a decay-form LIF with a learnable per-channel threshold; the last
// layer of each block adds the current of a bypass (conv 3x3 stride 2 of the block input + BN).
class SnnBackboneImpl : public torch::nn::Module {
 public:
  explicit SnnBackboneImpl(const NetworkOptions& o, int64_t in_channels = 2);
  at::Tensor forward(const at::Tensor& x);
  // With record_spike_rates set, the mean spike rate of each spiking layer in the last forward
  // (for energy / activity reports). Off by default: reading them back synchronises a GPU
  // seven times per call.
  bool record_spike_rates = false;
  std::vector<double> last_spike_rates;

 private:
  // The bypass current of a block's input x [T, B, C, H, W], BN per time step.
  at::Tensor bypass(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, const at::Tensor& x);
  nn::SpikingConv2d l0{nullptr}, b1a{nullptr}, b1b{nullptr}, b1c{nullptr}, b2a{nullptr}, b2b{nullptr}, b2c{nullptr};
  torch::nn::Conv2d b1c_bypass_conv{nullptr}, b2c_bypass_conv{nullptr};
  torch::nn::BatchNorm2d b1c_bypass_bn{nullptr}, b2c_bypass_bn{nullptr};
  nn::SpikingConv2d head{nullptr};
};
TORCH_MODULE(SnnBackbone);

enum class Mode { Hybrid, AnnOnly, SnnOnly };
Mode parse_mode(const std::string& s);  // "hsn", "ann", "snn"
std::string to_string(Mode m);

// The trackers. Hybrid: ANN templates, SNN search (the HSN). AnnOnly: ANN templates and ANN
// search on the APS frame (one response map repeated over the steps). SnnOnly: templates from
// the SNN map of the first step at the APS locations, SNN search. The hybrid link is
// hu::TemplateMatch with the reference's settings (3x3 templates, its sampling grid).
class TrackerImpl : public torch::nn::Module {
 public:
  TrackerImpl(NetworkOptions o, Mode mode);
  // aps [B, 1, H, W], dvs [T, B, 2, H, W], aps_loc [B, O, 2] -> response maps [T, B, O, 13, 13].
  // The ANN-only tracker searches in `search` [B, 1, H, W] (a frame at the window centre) when
  // given, else in the APS frame the templates come from.
  at::Tensor forward(const at::Tensor& aps, const at::Tensor& dvs, const at::Tensor& aps_loc,
                     const at::Tensor& search = {});
  // The two halves, for streaming use: templates from a frame, responses for DVS bins.
  at::Tensor templates(const at::Tensor& aps, const at::Tensor& aps_loc);
  at::Tensor respond(const at::Tensor& dvs, const at::Tensor& templates);
  at::Tensor respond_ann(const at::Tensor& aps, const at::Tensor& templates);

  NetworkOptions options;
  Mode mode;
  AnnBackbone ann{nullptr};
  SnnBackbone snn{nullptr};
  hu::TemplateMatch match{nullptr};
};
TORCH_MODULE(Tracker);

}  // namespace hnn::models::hsn
