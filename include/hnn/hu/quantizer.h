// Q, the quantiser of a hybrid unit: turns real values into spikes or discrete values.
//   Identity:   unchanged (modulation HUs, S2A read-outs)
//   Threshold:  H(x - theta) forward, surrogate gradient backward (any shape)
//   Bernoulli:  spike with probability clamp(x, 0, 1) (Poisson-like rate coding), straight-through
//   Latency:    x [T, B, ...] (the same value at each step, in [0, 1]) -> one spike at step
//               round((1 - x)(T - 1)), none for x <= 0; gradient through a Gaussian bump of width
//               `sigma` steps around the spike time
//   Round:      round(x / step) * step (precision conversion), straight-through
//   Delta:      x [T, B, ...] a real sequence -> +1 / -1 whenever x moved by `threshold` since the
//               last event (send-on-delta), 0 otherwise; straight-through
#pragma once
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "hnn/spike/surrogate.h"

namespace hnn::hu {

enum class QuantizerKind { Identity, Threshold, Bernoulli, Latency, Round, Delta };

struct QuantizerOptions {
  QuantizerOptions(QuantizerKind kind = QuantizerKind::Identity) : kind_(kind) {}
  static QuantizerOptions identity() { return {QuantizerKind::Identity}; }
  static QuantizerOptions threshold(double theta = 0.5, spike::Surrogate sg = {}) {
    return QuantizerOptions(QuantizerKind::Threshold).theta(theta).surrogate(sg);
  }
  static QuantizerOptions bernoulli() { return {QuantizerKind::Bernoulli}; }
  static QuantizerOptions latency(double sigma = 1.0) { return QuantizerOptions(QuantizerKind::Latency).sigma(sigma); }
  static QuantizerOptions round(double step) { return QuantizerOptions(QuantizerKind::Round).step(step); }
  static QuantizerOptions delta(double threshold) { return QuantizerOptions(QuantizerKind::Delta).theta(threshold); }

  TORCH_ARG(QuantizerKind, kind);
  TORCH_ARG(double, theta) = 0.5;  // Threshold: theta; Delta: the change that triggers an event
  TORCH_ARG(spike::Surrogate, surrogate) = spike::Surrogate{};
  TORCH_ARG(double, sigma) = 1.0;  // Latency: gradient bump width in steps
  TORCH_ARG(double, step) = 1.0;   // Round
};

class QuantizerImpl : public torch::nn::Cloneable<QuantizerImpl> {
 public:
  explicit QuantizerImpl(QuantizerOptions options = {});
  at::Tensor forward(const at::Tensor& x);
  void reset() override {}  // no parameters
  void pretty_print(std::ostream& os) const override;
  QuantizerOptions options;
};
TORCH_MODULE(Quantizer);

std::string to_string(QuantizerKind k);

}  // namespace hnn::hu
