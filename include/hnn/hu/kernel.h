// H, the kernel of a hybrid unit: filters over time inside each window and reduces it to one
// value, windows [K, L, B, ...] -> [K, B, ...].
//   Sum, Mean (box), Exponential(tau): w_i = exp(-(L-1-i)/tau) (the newest step weighs 1; a
//   filtered trace, or the membrane of a leaky integrator read at the window's end), Alpha(tau):
//   w = (d/tau) e^(1 - d/tau) with d = L-1-i, Fixed(weights), Learnable (depthwise: weights [L]
//   or [C, L] for the first feature dimension C, initialised to the mean), FirstSpike (value
//   (L - i)/L of the first spike at i, 0 without spike; differentiable through the spikes).
//   Identity passes any input through unchanged.
#pragma once
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace hnn::hu {

enum class KernelKind { Identity, Sum, Mean, Exponential, Alpha, Fixed, Learnable, FirstSpike };

struct KernelOptions {
  KernelOptions(KernelKind kind = KernelKind::Identity) : kind_(kind) {}
  static KernelOptions identity() { return {KernelKind::Identity}; }
  static KernelOptions sum() { return {KernelKind::Sum}; }
  static KernelOptions mean() { return {KernelKind::Mean}; }
  static KernelOptions exponential(double tau) { return KernelOptions(KernelKind::Exponential).tau(tau); }
  static KernelOptions alpha(double tau) { return KernelOptions(KernelKind::Alpha).tau(tau); }
  static KernelOptions fixed(std::vector<double> w) { return KernelOptions(KernelKind::Fixed).weights(std::move(w)); }
  static KernelOptions learnable(int64_t length, int64_t channels = 0) {
    return KernelOptions(KernelKind::Learnable).length(length).channels(channels);
  }
  static KernelOptions first_spike() { return {KernelKind::FirstSpike}; }

  TORCH_ARG(KernelKind, kind);
  TORCH_ARG(double, tau) = 1.0;
  TORCH_ARG(bool, normalize) = false;  // Exponential/Alpha: divide by the sum of the weights
  TORCH_ARG(std::vector<double>, weights) = {};
  TORCH_ARG(int64_t, length) = 0;    // Learnable: window length L
  TORCH_ARG(int64_t, channels) = 0;  // Learnable: 0 shares one kernel; C gives one per channel
};

class KernelImpl : public torch::nn::Cloneable<KernelImpl> {
 public:
  explicit KernelImpl(KernelOptions options = {});
  at::Tensor forward(const at::Tensor& windows);
  void reset() override;  // (re)creates the learnable weights from the options
  // The weights used for a window of length L (not for FirstSpike or Identity).
  at::Tensor weights_for(int64_t length, const at::TensorOptions& opts) const;
  void pretty_print(std::ostream& os) const override;

  KernelOptions options;
  at::Tensor weight;  // Learnable: [L] or [C, L]
};
TORCH_MODULE(Kernel);

std::string to_string(KernelKind k);

}  // namespace hnn::hu
