#include "hnn/models/hsn/network.h"

#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/nn/batch_norm.h"
#include "hnn/nn/time_fold.h"

namespace hnn::models::hsn {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  Conv2d c(Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
  // The reference: kaiming_normal_(mode='fan_out') on every convolution.
  torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
  return c;
}

// Drops the outer ring of pixels (the reference's crop after each residual block).
at::Tensor crop1(const at::Tensor& x) {
  int64_t h = x.size(-2), w = x.size(-1);
  return x.narrow(-2, 1, h - 2).narrow(-1, 1, w - 2);
}

// One spiking layer of the reference (SNNLayer): conv (kaiming fan_out, no bias), BN per time
// step with its weight starting at theta (theta / sqrt 2 beside a bypass), then a decay-form LIF
// with a learnable per-channel threshold theta.
nn::SpikingConv2d snn_layer(const NetworkOptions& o, int64_t in, int64_t out, int64_t k, int64_t stride,
                            int64_t padding, bool beside_bypass = false) {
  return nn::SpikingConv2d(nn::SpikingConv2dOptions(in, out, k)
                               .stride(stride)
                               .padding(padding)
                               .kaiming_init(true)
                               .bn_per_step(true)
                               .bn_weight(beside_bypass ? o.threshold / std::sqrt(2.0) : o.threshold)
                               .neuron(spike::NeuronOptions::lif_decay(o.decay)
                                           .threshold(o.threshold)
                                           .threshold_shape({out, 1, 1})
                                           .learn_threshold(true)
                                           .decay_shape({out, 1, 1})
                                           .surrogate(spike::Surrogate::parse(o.surrogate))));
}

BatchNorm2d bypass_bn(const NetworkOptions& o, int64_t out) {
  BatchNorm2d bn(out);
  torch::NoGradGuard ng;
  bn->weight.fill_(o.threshold / std::sqrt(2.0));
  return bn;
}

}  // namespace

int64_t NetworkOptions::channels(int64_t c) const {
  return std::max<int64_t>(1, std::llround(c * width));
}

// ANN ----------------------------------------------------------------------------------------

AnnBackboneImpl::AnnBackboneImpl(const NetworkOptions& o, int64_t in_channels) {
  int64_t c64 = o.channels(64), c128 = o.channels(128);
  stem = register_module("stem", conv(in_channels, c64, 7, 2, 1));
  stem_bn = register_module("stem_bn", BatchNorm2d(c64));
  s1 = make_block("stage1", c64, c64);
  s2 = make_block("stage2", 4 * c64, c128);
  out_channels_ = 4 * c128;
  conv_out = register_module("conv_out", conv(out_channels_, out_channels_, 1, 1, 0));
}

AnnBackboneImpl::Block AnnBackboneImpl::make_block(const std::string& name, int64_t in, int64_t planes) {
  Block b;
  b.c1 = register_module(name + "_conv1", conv(in, planes, 1, 1, 0));
  b.b1 = register_module(name + "_bn1", BatchNorm2d(planes));
  b.c2 = register_module(name + "_conv2", conv(planes, planes, 3, 2, 1));
  b.b2 = register_module(name + "_bn2", BatchNorm2d(planes));
  b.c3 = register_module(name + "_conv3", conv(planes, 4 * planes, 1, 1, 0));
  b.b3 = register_module(name + "_bn3", BatchNorm2d(4 * planes));
  b.down = register_module(name + "_down", conv(in, 4 * planes, 3, 2, 1));
  b.bd = register_module(name + "_down_bn", BatchNorm2d(4 * planes));
  return b;
}

at::Tensor AnnBackboneImpl::block(Block& b, const at::Tensor& x) {
  auto y = torch::relu(nn::batch_norm(*b.b1, b.c1(x)));
  y = torch::relu(nn::batch_norm(*b.b2, b.c2(y)));
  y = nn::batch_norm(*b.b3, b.c3(y)) + nn::batch_norm(*b.bd, b.down(x));
  return torch::relu(crop1(y));
}

at::Tensor AnnBackboneImpl::forward(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 4, "HSN ANN: expected APS frames [B, C, H, W], got shape {}", shape_str(x.sizes()));
  auto y = torch::relu(nn::batch_norm(*stem_bn, stem(x)));
  return conv_out(block(s2, block(s1, y)));
}

// SNN ----------------------------------------------------------------------------------------

SnnBackboneImpl::SnnBackboneImpl(const NetworkOptions& o, int64_t in_channels) {
  int64_t c64 = o.channels(64), c128 = o.channels(128), c256 = 4 * c64, c512 = 4 * c128;
  // Created in the reference's order (each layer's conv, then its bypass conv), so that a seed
  // gives the same initial weights as before.
  l0 = register_module("l0", snn_layer(o, in_channels, c64, 7, 2, 1));
  b1a = register_module("b1a", snn_layer(o, c64, c64, 1, 1, 0));
  b1b = register_module("b1b", snn_layer(o, c64, c64, 3, 2, 1));
  b1c = register_module("b1c", snn_layer(o, c64, c256, 1, 1, 0, /*beside_bypass=*/true));
  b1c_bypass_conv = register_module("b1c_bypass_conv", hsn::conv(c64, c256, 3, 2, 1));
  b1c_bypass_bn = register_module("b1c_bypass_bn", bypass_bn(o, c256));
  b2a = register_module("b2a", snn_layer(o, c256, c128, 1, 1, 0));
  b2b = register_module("b2b", snn_layer(o, c128, c128, 3, 2, 1));
  b2c = register_module("b2c", snn_layer(o, c128, c512, 1, 1, 0, /*beside_bypass=*/true));
  b2c_bypass_conv = register_module("b2c_bypass_conv", hsn::conv(c256, c512, 3, 2, 1));
  b2c_bypass_bn = register_module("b2c_bypass_bn", bypass_bn(o, c512));
  // The reference's "rnn" head: no BN, u_t = decay u_{t-1} + I_t, membrane read out (no spikes).
  head = register_module("head", nn::SpikingConv2d(nn::SpikingConv2dOptions(c512, c512, 1)
                                                       .kaiming_init(true)
                                                       .batch_norm(false)
                                                       .neuron(spike::NeuronOptions::lif_decay(o.decay)
                                                                   .threshold(0.0)
                                                                   .threshold_shape({c512, 1, 1})
                                                                   .decay_shape({c512, 1, 1})
                                                                   .reset(spike::Reset::None)
                                                                   .output(spike::Output::Membrane))));
}

at::Tensor SnnBackboneImpl::bypass(Conv2d& conv, BatchNorm2d& bn, const at::Tensor& x) {
  return nn::batch_norm_sequence(*bn, nn::unfold_time(conv(nn::fold_time(x)), x.size(0)),
                                 /*per_step=*/true);
}

at::Tensor SnnBackboneImpl::forward(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 5, "HSN SNN: expected DVS bins [T, B, C, H, W], got shape {}", shape_str(x.sizes()));
  last_spike_rates.clear();
  auto note = [&](const at::Tensor& s) {
    if (record_spike_rates) last_spike_rates.push_back(s.detach().mean().item<double>());
    return s;
  };
  auto s0 = note(l0(x));
  auto y = note(b1a(s0));
  y = note(b1b(y));
  auto s1 = crop1(note(b1c(y, bypass(b1c_bypass_conv, b1c_bypass_bn, s0))));
  y = note(b2a(s1));
  y = note(b2b(y));
  auto s2 = crop1(note(b2c(y, bypass(b2c_bypass_conv, b2c_bypass_bn, s1))));
  return head(s2);
}

// Trackers -------------------------------------------------------------------------------------

Mode parse_mode(const std::string& s) {
  if (s == "hsn" || s == "hybrid") return Mode::Hybrid;
  if (s == "ann") return Mode::AnnOnly;
  if (s == "snn") return Mode::SnnOnly;
  fail("unknown tracker '{}' (expected hsn, ann or snn)", s);
}

std::string to_string(Mode m) {
  switch (m) {
    case Mode::Hybrid:
      return "hsn";
    case Mode::AnnOnly:
      return "ann";
    case Mode::SnnOnly:
      return "snn";
  }
  return "?";
}

TrackerImpl::TrackerImpl(NetworkOptions o, Mode m) : options(std::move(o)), mode(m) {
  if (mode != Mode::SnnOnly) ann = register_module("ann", AnnBackbone(options));
  if (mode != Mode::AnnOnly) snn = register_module("snn", SnnBackbone(options));
  match = register_module("match", hu::TemplateMatch());
}

at::Tensor TrackerImpl::templates(const at::Tensor& aps, const at::Tensor& aps_loc) {
  HNN_CHECK(mode != Mode::SnnOnly, "the SNN-only tracker takes its templates from DVS bins");
  return match->templates(ann(aps), aps_loc);
}

at::Tensor TrackerImpl::respond(const at::Tensor& dvs, const at::Tensor& templates) {
  return match->respond(snn(dvs), templates);
}

at::Tensor TrackerImpl::respond_ann(const at::Tensor& aps, const at::Tensor& templates) {
  return match->respond(ann(aps).unsqueeze(0), templates);
}

at::Tensor TrackerImpl::forward(const at::Tensor& aps, const at::Tensor& dvs, const at::Tensor& aps_loc,
                                const at::Tensor& search) {
  const int64_t T = dvs.size(0);
  switch (mode) {
    case Mode::Hybrid:
      return respond(dvs, templates(aps, aps_loc));
    case Mode::AnnOnly: {
      auto map = ann(aps);
      auto search_map = search.defined() ? ann(search) : map;
      auto cm = match(map, aps_loc, search_map.unsqueeze(0));
      return cm.expand({T, cm.size(1), cm.size(2), cm.size(3), cm.size(4)});
    }
    case Mode::SnnOnly: {
      auto maps = snn(dvs);
      return match(maps.mean(0), aps_loc, maps);
    }
  }
  return {};
}

}  // namespace hnn::models::hsn
