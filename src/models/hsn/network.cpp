#include "hnn/models/hsn/network.h"

#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
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

// BatchNorm over [T*B, ...] with statistics per time step while training (the reference runs
// BN separately at every step); in eval mode the running statistics make both the same.
at::Tensor bn_per_step(BatchNorm2d& bn, const at::Tensor& y, int64_t steps, bool training) {
  if (!training || steps == 1) return bn(y);
  auto parts = y.chunk(steps, 0);
  std::vector<at::Tensor> out;
  out.reserve(parts.size());
  for (auto& p : parts) out.push_back(bn(p));
  return torch::cat(out);
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
  auto y = torch::relu(b.b1(b.c1(x)));
  y = torch::relu(b.b2(b.c2(y)));
  y = b.b3(b.c3(y)) + b.bd(b.down(x));
  return torch::relu(crop1(y));
}

at::Tensor AnnBackboneImpl::forward(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 4, "HSN ANN: expected APS frames [B, C, H, W], got shape {}", shape_str(x.sizes()));
  auto y = torch::relu(stem_bn(stem(x)));
  return conv_out(block(s2, block(s1, y)));
}

// SNN ----------------------------------------------------------------------------------------

SnnLayerImpl::SnnLayerImpl(const NetworkOptions& o, int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding,
                           int64_t bypass_in) {
  conv = register_module("conv", hsn::conv(in, out, k, stride, padding));
  bn = register_module("bn", BatchNorm2d(out));
  double w0 = bypass_in ? o.threshold / std::sqrt(2.0) : o.threshold;
  {
    torch::NoGradGuard ng;
    bn->weight.fill_(w0);  // BN.weight starts at theta (theta / sqrt 2 beside a bypass)
  }
  if (bypass_in) {
    bypass_conv = register_module("bypass_conv", hsn::conv(bypass_in, out, 3, 2, 1));
    bypass_bn = register_module("bypass_bn", BatchNorm2d(out));
    torch::NoGradGuard ng;
    bypass_bn->weight.fill_(o.threshold / std::sqrt(2.0));
  }
  neuron = register_module("neuron", spike::Neuron(spike::NeuronOptions::lif_decay(o.decay)
                                                       .threshold(o.threshold)
                                                       .threshold_shape({out, 1, 1})
                                                       .learn_threshold(true)
                                                       .decay_shape({out, 1, 1})
                                                       .surrogate(spike::Surrogate::parse(o.surrogate))));
}

at::Tensor SnnLayerImpl::forward(const at::Tensor& x, const at::Tensor& bypass) {
  const int64_t T = x.size(0);
  auto cur = bn_per_step(bn, conv(nn::fold_time(x)), T, is_training());
  if (bypass_conv) cur = cur + bn_per_step(bypass_bn, bypass_conv(nn::fold_time(bypass)), T, is_training());
  return neuron(nn::unfold_time(cur, T));
}

SnnBackboneImpl::SnnBackboneImpl(const NetworkOptions& o, int64_t in_channels) {
  int64_t c64 = o.channels(64), c128 = o.channels(128), c256 = 4 * c64, c512 = 4 * c128;
  l0 = register_module("l0", SnnLayer(o, in_channels, c64, 7, 2, 1));
  b1a = register_module("b1a", SnnLayer(o, c64, c64, 1, 1, 0));
  b1b = register_module("b1b", SnnLayer(o, c64, c64, 3, 2, 1));
  b1c = register_module("b1c", SnnLayer(o, c64, c256, 1, 1, 0, /*bypass_in=*/c64));
  b2a = register_module("b2a", SnnLayer(o, c256, c128, 1, 1, 0));
  b2b = register_module("b2b", SnnLayer(o, c128, c128, 3, 2, 1));
  b2c = register_module("b2c", SnnLayer(o, c128, c512, 1, 1, 0, /*bypass_in=*/c256));
  head = register_module("head", hsn::conv(c512, c512, 1, 1, 0));
  // The reference's "rnn" head: u_t = decay u_{t-1} + I_t, membrane read out (no spikes).
  head_neuron = register_module("head_neuron", spike::Neuron(spike::NeuronOptions::lif_decay(o.decay)
                                                                 .threshold(0.0)
                                                                 .threshold_shape({c512, 1, 1})
                                                                 .decay_shape({c512, 1, 1})
                                                                 .reset(spike::Reset::None)
                                                                 .output(spike::Output::Membrane)));
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
  auto s1 = crop1(note(b1c(y, s0)));
  y = note(b2a(s1));
  y = note(b2b(y));
  auto s2 = crop1(note(b2c(y, s1)));
  const int64_t T = x.size(0);
  return head_neuron(nn::unfold_time(head(nn::fold_time(s2)), T));
}

// Hybrid link ----------------------------------------------------------------------------------

at::Tensor extract_templates(const at::Tensor& map, const at::Tensor& loc) {
  HNN_CHECK(map.dim() == 4 && loc.dim() == 3 && loc.size(2) == 2 && loc.size(0) == map.size(0),
            "extract_templates: expected a map [B, C, S, S] and locations [B, O, 2], got {} and {}",
            shape_str(map.sizes()), shape_str(loc.sizes()));
  const int64_t B = map.size(0), C = map.size(1), S = map.size(-1), O = loc.size(1);
  const double half = S / 2.0;  // 7.5 for the reference's 15x15 maps
  auto offsets = torch::linspace(-1, 1, 3, map.options()) * (3.0 / S);
  auto l = loc.to(map.scalar_type());
  auto u = offsets.view({1, 1, 1, 3}) + (l.select(2, 0) / half).view({B, O, 1, 1});
  auto v = offsets.view({1, 1, 3, 1}) + (l.select(2, 1) / half).view({B, O, 1, 1});
  auto grid = torch::stack({u.expand({B, O, 3, 3}), v.expand({B, O, 3, 3})}, -1).reshape({B * O, 3, 3, 2});
  auto input = map.unsqueeze(1).expand({B, O, C, S, map.size(-2)}).reshape({B * O, C, map.size(-2), S});
  namespace F = torch::nn::functional;
  auto t = F::grid_sample(
      input, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(true));
  return t.view({B, O, C, 3, 3});
}

at::Tensor correlate(const at::Tensor& maps, const at::Tensor& templates) {
  HNN_CHECK(
      maps.dim() == 5 && templates.dim() == 5 && maps.size(1) == templates.size(0) && maps.size(2) == templates.size(2),
      "correlate: expected maps [T, B, C, H, W] and templates [B, O, C, k, k], got {} and {}", shape_str(maps.sizes()),
      shape_str(templates.sizes()));
  const int64_t T = maps.size(0), B = maps.size(1), C = maps.size(2), O = templates.size(1);
  auto input = maps.reshape({T, B * C, maps.size(3), maps.size(4)});
  auto weight = templates.reshape({B * O, C, templates.size(3), templates.size(4)});
  auto out = torch::conv2d(input, weight, at::Tensor(), at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, B);
  return out.view({T, B, O, out.size(2), out.size(3)});
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
}

at::Tensor TrackerImpl::templates(const at::Tensor& aps, const at::Tensor& aps_loc) {
  HNN_CHECK(mode != Mode::SnnOnly, "the SNN-only tracker takes its templates from DVS bins");
  return extract_templates(ann(aps), aps_loc);
}

at::Tensor TrackerImpl::respond(const at::Tensor& dvs, const at::Tensor& templates) {
  return correlate(snn(dvs), templates);
}

at::Tensor TrackerImpl::respond_ann(const at::Tensor& aps, const at::Tensor& templates) {
  return correlate(ann(aps).unsqueeze(0), templates);
}

at::Tensor TrackerImpl::forward(const at::Tensor& aps, const at::Tensor& dvs, const at::Tensor& aps_loc) {
  const int64_t T = dvs.size(0);
  switch (mode) {
    case Mode::Hybrid:
      return respond(dvs, templates(aps, aps_loc));
    case Mode::AnnOnly: {
      auto map = ann(aps);
      auto cm = correlate(map.unsqueeze(0), extract_templates(map, aps_loc));
      return cm.expand({T, cm.size(1), cm.size(2), cm.size(3), cm.size(4)});
    }
    case Mode::SnnOnly: {
      auto maps = snn(dvs);
      return correlate(maps, extract_templates(maps.mean(0), aps_loc));
    }
  }
  return {};
}

}  // namespace hnn::models::hsn
