#include "hnn/models/dasbe/model.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/spike/surrogate.h"
#include "models/config_json.h"

namespace hnn::models::dasbe {

namespace {
constexpr const char* kModel = "dasbe-autoencoder";
}

std::string config_to_json(const AutoencoderConfig& c) {
  return config_fields_to_json(c, kModel).dump();
}

AutoencoderConfig config_from_json(const std::string& text) {
  return config_fields_from_json(AutoencoderConfig{}, parse_config_json(text, kModel), kModel);
}

std::string AutoencoderConfig::describe() const {
  std::string s = std::to_string(inputs);
  for (auto e : encoder) s += "-" + std::to_string(e);
  for (auto d : decoder) s += "-" + std::to_string(d);
  s += "-" + std::to_string(inputs);
  return fmt::format("{} {} ({} code{}{})", s, kind, code_activation, spiking ? ", spiking" : "",
                     recurrent ? ", recurrent" : "");
}

std::vector<std::string> preset_names() {
  return {"bars", "corners", "shapes", "mnist_shape", "multi_mnist", "clrnet", "rbae"};
}

AutoencoderConfig preset_config(const std::string& name) {
  AutoencoderConfig c;
  if (name == "bars") {
    c.inputs = 400, c.encoder = {256};
  } else if (name == "corners") {
    c.inputs = 784, c.encoder = {256};
  } else if (name == "shapes") {
    c.inputs = 784, c.encoder = {512, 400}, c.decoder = {512};
  } else if (name == "mnist_shape") {
    c.inputs = 784, c.encoder = {250};
  } else if (name == "multi_mnist") {
    c.kind = "bcdae", c.inputs = 2304, c.encoder = {1000, 500}, c.decoder = {1000};
    c.code_activation = "relu", c.spiking = true;
  } else if (name == "clrnet") {
    c.kind = "clrnet", c.inputs = 784, c.encoder = {600, 400, 350, 1600}, c.decoder = {350, 400, 600};
    c.spiking = true;
  } else if (name == "rbae") {
    c.kind = "rbae", c.inputs = 784, c.encoder = {600, 300}, c.decoder = {600}, c.recurrent = true;
  } else {
    fail("dasbe: no autoencoder preset '{}' (expected one of {})", name, fmt::join(preset_names(), ", "));
  }
  return c;
}

AutoencoderImpl::AutoencoderImpl(AutoencoderConfig config) : config_(std::move(config)) {
  const auto& c = config_;
  HNN_CHECK(c.inputs > 0 && !c.encoder.empty(), "dasbe: an autoencoder needs inputs > 0 and an encoder (got {})",
            c.describe());
  HNN_CHECK(c.code_activation == "sigmoid" || c.code_activation == "relu",
            "dasbe: code activation '{}' (expected sigmoid or relu)", c.code_activation);
  int64_t prev = c.inputs;
  for (auto n : c.encoder) {
    HNN_CHECK(n > 0, "dasbe: layer sizes must be positive ({})", c.describe());
    encoder_->push_back(torch::nn::Linear(prev, n));
    prev = n;
  }
  for (auto n : c.decoder) {
    HNN_CHECK(n > 0, "dasbe: layer sizes must be positive ({})", c.describe());
    decoder_->push_back(torch::nn::Linear(prev, n));
    prev = n;
  }
  decoder_->push_back(torch::nn::Linear(prev, c.inputs));
  register_module("encoder", encoder_);
  register_module("decoder", decoder_);
  if (c.recurrent) {
    HNN_CHECK(!c.spiking, "dasbe: a recurrent autoencoder has no spiking bottleneck ({})", c.describe());
    w_h_ = register_parameter("recurrent_weight", torch::randn({c.code(), c.code()}));
    b_h_ = register_parameter("recurrent_bias", torch::zeros({c.code()}));
  }
}

at::Tensor AutoencoderImpl::recur(const at::Tensor& h, const at::Tensor& pre) const {
  HNN_CHECK(config_.recurrent, "dasbe: {} is not recurrent", config_.describe());
  return pre.defined() ? torch::sigmoid(torch::addmm(h + b_h_, pre, w_h_)) : torch::sigmoid(h + b_h_);
}

AeOutput AutoencoderImpl::forward_sequence(const at::Tensor& x, const at::Tensor& pre) {
  HNN_CHECK(config_.recurrent, "dasbe: forward_sequence needs a recurrent autoencoder, got {}", config_.describe());
  HNN_CHECK(x.dim() == 3 && x.size(2) == config_.inputs && x.size(0) > 0, "dasbe: frames must be [T, B, {}], got {}",
            config_.inputs, shape_str(x.sizes()));
  const int64_t T = x.size(0), B = x.size(1), C = config_.code();
  auto h = encode(x.reshape({T * B, config_.inputs})).view({T, B, C});
  auto first = pre.defined() ? pre.unsqueeze(0) : torch::zeros({1, B, C}, h.options());
  HNN_CHECK(first.sizes() == torch::IntArrayRef({1, B, C}), "dasbe: pre must be [{}, {}], got {}", B, C,
            shape_str(pre.sizes()));
  auto prev = torch::cat({first, h.narrow(0, 0, T - 1)}, 0);
  auto z = recur(h.reshape({T * B, C}), prev.reshape({T * B, C}));
  return {decode(z).view({T, B, config_.inputs}), z.view({T, B, C}), h};
}

at::Tensor AutoencoderImpl::encode(const at::Tensor& x) const {
  at::Tensor h = x;
  const size_t n = encoder_->size();
  for (size_t i = 0; i < n; ++i) {
    h = std::dynamic_pointer_cast<torch::nn::LinearImpl>(encoder_->ptr(i))->forward(h);
    const bool last = i + 1 == n;
    h = (last && config_.code_activation == "sigmoid") ? torch::sigmoid(h) : torch::relu(h);
  }
  return h;
}

at::Tensor AutoencoderImpl::decode(const at::Tensor& z) const {
  at::Tensor y = z;
  const size_t n = decoder_->size();
  for (size_t i = 0; i < n; ++i) {
    y = std::dynamic_pointer_cast<torch::nn::LinearImpl>(decoder_->ptr(i))->forward(y);
    y = i + 1 == n ? torch::sigmoid(y) : torch::relu(y);
  }
  return y;
}

at::Tensor AutoencoderImpl::bernoulli_spike(const at::Tensor& h, const at::Tensor& u) {
  static const spike::Surrogate rect{spike::SurrogateKind::Rectangular, 1.0};
  return spike::spike(h + u - 1.0, rect);
}

AeOutput AutoencoderImpl::forward(const at::Tensor& x) {
  HNN_CHECK(x.dim() == 2 && x.size(1) == config_.inputs, "dasbe: autoencoder input must be [B, {}], got {}",
            config_.inputs, shape_str(x.sizes()));
  auto h = encode(x);
  auto z = config_.spiking ? bernoulli_spike(h, torch::rand_like(h)) : config_.recurrent ? recur(h, {}) : h;
  return {decode(z), z, h};
}

}  // namespace hnn::models::dasbe
