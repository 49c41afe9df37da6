// DASBE's autoencoders (spec §2): MLP autoencoders trained on single objects that are the ANN half
// of the binding loop. Input and output are flattened images [B, H*W] in [0, 1]; the code is
// [B, code]. The bottleneck is a sigmoid (the deterministic DAE every shipped net really was) or a
// stochastic spiking layer, spike = 1[h + U > 1] with a rectangular surrogate (BCDAE, CLRNet).
// The recurrent RBAE (moving shapes, §2.5) adds z_t = sigmoid(h_{t-1} W_h + h_t + b_h) between the
// encoder and the decoder, h_{t-1} the previous frame's code ("pre").
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hnn::models::dasbe {

struct AutoencoderConfig {
  std::string kind = "dae";                 // "dae" (BAE/DAE), "bcdae", "clrnet", "rbae": names in files and logs
  int64_t inputs = 400;                     // H*W
  std::vector<int64_t> encoder;             // layer sizes; the last is the code
  std::vector<int64_t> decoder;             // hidden decoder sizes (the output layer has `inputs`)
  std::string code_activation = "sigmoid";  // "sigmoid" or "relu" (BCDAE: an unbounded ReLU code)
  bool spiking = false;                     // the Bernoulli spiking bottleneck of §2.1
  bool recurrent = false;                   // RBAE: W_h [code, code] (N(0, 1) init) and b_h [code]
  int64_t code() const { return encoder.empty() ? inputs : encoder.back(); }
  std::string describe() const;  // "400-256-400 dae (sigmoid code)"
  template <class F>
  void visit(F&& f) {
    f("kind", kind), f("inputs", inputs), f("encoder", encoder), f("decoder", decoder);
    f("code_activation", code_activation), f("spiking", spiking), f("recurrent", recurrent);
  }
};
// The JSON stored in checkpoints ({"model": "dasbe-autoencoder", ...}) and back.
std::string config_to_json(const AutoencoderConfig& c);
AutoencoderConfig config_from_json(const std::string& text);

// The architecture of the reference results for a dataset (§2.2-§2.4, §2.8): bars 400-256-400,
// corners 784-256-784, shapes 784-512-400-512-784, mnist_shape 784-250-784, multi_mnist BCDAE
// 2304-1000-500(spikes)-1000-2304; "clrnet" (shapes) 784-600-400-350-1600(spikes)-350-400-600-784;
// "rbae" (moving shapes) 784-600-300(sigmoid, recurrent)-600-784.
AutoencoderConfig preset_config(const std::string& name);
std::vector<std::string> preset_names();

struct AeOutput {
  at::Tensor y;  // reconstruction [B, inputs] in (0, 1)
  at::Tensor z;  // the code the decoder read: h, or the spikes of a spiking bottleneck [B, code]
  at::Tensor h;  // the code activation before spiking [B, code]
};

class AutoencoderImpl : public torch::nn::Module {
 public:
  explicit AutoencoderImpl(AutoencoderConfig config);
  at::Tensor encode(const at::Tensor& x) const;  // h [B, code]
  at::Tensor decode(const at::Tensor& z) const;  // y [B, inputs]
  // Spikes of the bottleneck from h and uniform noise u (same shape): 1[h + u > 1], gradient 1
  // where |h + u - 1| < 0.5 (the reference's rectangular surrogate).
  static at::Tensor bernoulli_spike(const at::Tensor& h, const at::Tensor& u);
  // x [B, inputs] -> y, z, h; a spiking bottleneck draws its noise from LibTorch's generator. A
  // recurrent net reads x as a first frame (pre = 0).
  AeOutput forward(const at::Tensor& x);
  // RBAE: z = sigmoid(pre W_h + h + b_h); pre [B, code] or undefined (zeros).
  at::Tensor recur(const at::Tensor& h, const at::Tensor& pre) const;
  // RBAE over frames x [T, B, inputs]: h_t = Enc(x_t), y_t = Dec(recur(h_t, h_{t-1})), h_{-1} = pre
  // (undefined: zeros). Returns y [T, B, inputs] in .y and the codes [T, B, code] in .h (.z: the
  // recurrent codes). The frames are independent given h_{t-1}, so all T run as one batch.
  AeOutput forward_sequence(const at::Tensor& x, const at::Tensor& pre = {});
  const AutoencoderConfig& config() const { return config_; }
  // The Linear layers, for inference loops that run them into their own buffers.
  const torch::nn::ModuleList& encoder_layers() const { return encoder_; }
  const torch::nn::ModuleList& decoder_layers() const { return decoder_; }
  // RBAE's W_h [code, code] and b_h [code] (undefined otherwise).
  const at::Tensor& recurrent_weight() const { return w_h_; }
  const at::Tensor& recurrent_bias() const { return b_h_; }

 private:
  AutoencoderConfig config_;
  torch::nn::ModuleList encoder_, decoder_;
  at::Tensor w_h_, b_h_;
};
TORCH_MODULE(Autoencoder);

}  // namespace hnn::models::dasbe
