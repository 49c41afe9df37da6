#include "hnn/hu/presets.h"

#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"

namespace hnn::hu {
namespace {

HybridUnit make(WindowOptions w, KernelOptions h, Nonlinearity f, QuantizerOptions q, HybridUnitOptions o) {
  return HybridUnit(std::move(o), Window(std::move(w)), Kernel(std::move(h)), std::move(f), Quantizer(std::move(q)));
}

HybridUnitOptions encoder(std::string name) {
  return HybridUnitOptions(std::move(name)).direction(Direction::AnnToSnn);
}

WindowOptions decode_window(int64_t window) {
  HNN_CHECK(window >= 0, "decoder window must be >= 0 (0: the whole sequence), got {}", window);
  return window == 0 ? WindowOptions::whole() : WindowOptions::fixed(window);
}

// Window 0 (the whole sequence) always gives [B, ...]; squeeze does the same for one window of
// the given length (window == T).
HybridUnit decoder(int64_t window, bool squeeze, KernelOptions h, std::string name) {
  return make(decode_window(window), std::move(h), nl::identity(), QuantizerOptions::identity(),
              HybridUnitOptions(std::move(name)).direction(Direction::SnnToAnn).squeeze(squeeze || window == 0));
}

// The trainable part of the modulation presets: a linear map and a squashing function.
enum class GateMode { Threshold, Gate, Scale };
struct GateImpl : torch::nn::Cloneable<GateImpl> {
  GateImpl(int64_t in, int64_t out, double k, GateMode mode, double v_threshold)
      : in(in), out(out), k(k), mode(mode), v_threshold(v_threshold) {
    reset();
  }
  void reset() override { fc = register_module("fc", torch::nn::Linear(in, out)); }
  at::Tensor forward(const at::Tensor& x) {
    auto z = fc(x);
    switch (mode) {
      case GateMode::Threshold:
        return (1 - torch::sigmoid(k * z)) * v_threshold;
      case GateMode::Gate:
        return torch::sigmoid(k * z);
      case GateMode::Scale:
        return 1 + torch::tanh(z);
    }
    return z;
  }
  int64_t in, out;
  torch::nn::Linear fc{nullptr};
  double k;
  GateMode mode;
  double v_threshold;
};
TORCH_MODULE(Gate);

HybridUnit modulator(int64_t in, int64_t out, double k, GateMode mode, double vt, QuantizerOptions q,
                     std::string name) {
  HNN_CHECK(in > 0 && out > 0, "{}: feature sizes must be positive, got {} -> {}", name, in, out);
  Nonlinearity f(name, torch::nn::AnyModule(Gate(in, out, k, mode, vt)));
  return make(WindowOptions::identity(), KernelOptions::identity(), f, q,
              HybridUnitOptions(name).direction(Direction::Modulation));
}

}  // namespace

HybridUnit rate_encoder(int64_t steps) {
  return make(WindowOptions::repeat(steps), KernelOptions::identity(), nl::identity(), QuantizerOptions::identity(),
              encoder("rate"));
}

HybridUnit poisson_encoder(int64_t steps, bool normalize) {
  return make(WindowOptions::repeat(steps), KernelOptions::identity(), normalize ? nl::minmax(2) : nl::clamp01(),
              QuantizerOptions::bernoulli(), encoder("poisson"));
}

HybridUnit latency_encoder(int64_t steps, bool normalize) {
  return make(WindowOptions::repeat(steps), KernelOptions::identity(), normalize ? nl::minmax(2) : nl::clamp01(),
              QuantizerOptions::latency(), encoder("latency"));
}

HybridUnit population_encoder(int64_t steps, int64_t neurons, double lo, double hi, double sigma) {
  return make(WindowOptions::repeat(steps), KernelOptions::identity(), nl::gaussian_fields(neurons, lo, hi, sigma),
              QuantizerOptions::bernoulli(), encoder("population"));
}

HybridUnit delta_encoder(double threshold) {
  return make(WindowOptions::identity(), KernelOptions::identity(), nl::identity(), QuantizerOptions::delta(threshold),
              encoder("delta"));
}

HybridUnit learnable_sampler(int64_t steps, spike::Surrogate sg) {
  return make(WindowOptions::learned_expand(steps), KernelOptions::identity(), nl::identity(),
              QuantizerOptions::threshold(0.5, sg), encoder("learnable_sampler"));
}

HybridUnit rate_decoder(int64_t window, bool squeeze) {
  return decoder(window, squeeze, KernelOptions::mean(), "rate_decoder");
}
HybridUnit count_decoder(int64_t window, bool squeeze) {
  return decoder(window, squeeze, KernelOptions::sum(), "count_decoder");
}
HybridUnit first_spike_decoder(int64_t window, bool squeeze) {
  return decoder(window, squeeze, KernelOptions::first_spike(), "first_spike_decoder");
}

HybridUnit trace_decoder(double tau, int64_t length, int64_t stride, bool squeeze) {
  return make(WindowOptions::sliding(length, stride), KernelOptions::exponential(tau), nl::identity(),
              QuantizerOptions::identity(),
              HybridUnitOptions("trace_decoder").direction(Direction::SnnToAnn).squeeze(squeeze));
}

HybridUnit learnable_window_decoder(int64_t window, int64_t channels, bool squeeze) {
  HNN_CHECK(window > 0, "learnable_window_decoder: the window length must be positive, got {}", window);
  return decoder(window, squeeze, KernelOptions::learnable(window, channels), "learnable_window_decoder");
}

HybridUnit integrator_decoder(double decay, int64_t window, bool squeeze) {
  HNN_CHECK(decay > 0 && decay <= 1, "integrator_decoder: decay must lie in (0, 1], got {}", decay);
  // v_t = d v_{t-1} + x_t from v = 0 at the window start equals the weights d^(L-1-i).
  auto h = decay == 1 ? KernelOptions::sum() : KernelOptions::exponential(-1.0 / std::log(decay));
  return decoder(window, squeeze, h, "integrator_decoder");
}

HybridUnit threshold_modulator(int64_t in, int64_t out, double v_threshold, double sharpness) {
  return modulator(in, out, sharpness, GateMode::Threshold, v_threshold, QuantizerOptions::identity(),
                   "threshold_modulator");
}

HybridUnit spike_gate(int64_t in, int64_t out, double sharpness, bool binary) {
  auto q = binary ? QuantizerOptions::threshold(0.5, spike::Surrogate::parse("rect:1")) : QuantizerOptions::identity();
  return modulator(in, out, sharpness, GateMode::Gate, 1.0, q, "spike_gate");
}

HybridUnit weight_scale(int64_t in, int64_t out) {
  return modulator(in, out, 1.0, GateMode::Scale, 1.0, QuantizerOptions::identity(), "weight_scale");
}

std::vector<std::string> preset_names() {
  return {"rate",
          "poisson",
          "latency",
          "population",
          "delta",
          "learnable_sampler",
          "rate_decoder",
          "count_decoder",
          "trace_decoder",
          "first_spike_decoder",
          "learnable_window_decoder",
          "integrator_decoder",
          "threshold_modulator",
          "spike_gate",
          "weight_scale"};
}

HybridUnit make_preset(const std::string& n, int64_t steps, int64_t features) {
  if (n == "rate") return rate_encoder(steps);
  if (n == "poisson") return poisson_encoder(steps);
  if (n == "latency") return latency_encoder(steps);
  if (n == "population") return population_encoder(steps, 5);
  if (n == "delta") return delta_encoder(0.1);
  if (n == "learnable_sampler") return learnable_sampler(steps);
  if (n == "rate_decoder") return rate_decoder(0);
  if (n == "count_decoder") return count_decoder(0);
  if (n == "trace_decoder") return trace_decoder(4.0, std::min<int64_t>(steps, 16), 1);
  if (n == "first_spike_decoder") return first_spike_decoder(0);
  if (n == "learnable_window_decoder") return learnable_window_decoder(steps);
  if (n == "integrator_decoder") return integrator_decoder(0.9, 0);
  if (n == "threshold_modulator") return threshold_modulator(features, features);
  if (n == "spike_gate") return spike_gate(features, features);
  if (n == "weight_scale") return weight_scale(features, features);
  std::string all;
  for (auto& p : preset_names()) all += (all.empty() ? "" : ", ") + p;
  fail("unknown hybrid-unit preset '{}' (expected one of {})", n, all);
}

}  // namespace hnn::hu
