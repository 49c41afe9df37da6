// Local plasticity, functional core: a fast Hebbian trace H [N_in, N_out] beside a layer's slow
// weight W [N_out, N_in] (Wu et al. 2022, "hybrid plasticity"). Each step the layer's input
// p [B, N_in] and its post-synaptic membrane u [B, N_out] (after charging, before the reset) update
// H with one matrix product over the batch, and H joins W in the layer's input current:
//
//   TanhHebb     H' = k H + (1/B) (beta * P)^T tanh(U / theta - eta)
//   AntiHebb     H' = k H - (1/B) (beta * P)^T (U / theta - eta)        (beta >= 0 optionally)
//   SoftmaxHebb  H' = k H + min(eta, eta_max) (1/B) P^T softmax(U - beta)   (eta a scalar)
//   Stdp         H' = k H + (1/B) (a+ X_pre^T S_post - a- S_pre^T Y_post)   (stdp.h)
//
// then |H'| <= clamp when clamp > 0. Combination with W (per step, current of the neuron):
//   Additive  I = P W^T + b + alpha (P H)                   (alpha a scalar)
//   Masked    I = P (W^T . M + alpha H . (1 - M))           (M a fixed binary [N_in, N_out])
//   Convex    I = P (alpha . W^T + (1 - alpha) . H)         (alpha per synapse [N_in, N_out])
// Everything is differentiable: gradients reach W, alpha, beta and eta through the unrolled trace.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hnn::plasticity {

// Rule::None is plain global plasticity (GP): no trace, the layer is an ordinary spiking layer.
enum class Rule : int32_t { None = 0, TanhHebb = 1, AntiHebb = 2, SoftmaxHebb = 3, Stdp = 4 };
enum class Combine : int32_t { Additive = 0, Masked = 1, Convex = 2 };

std::string to_string(Rule r);
std::string to_string(Combine c);
Rule parse_rule(const std::string& s);        // "none", "tanh_hebb", "anti_hebb", "softmax_hebb", "stdp"
Combine parse_combine(const std::string& s);  // "additive", "masked", "convex"

// The fixed (not learned) constants of a trace rule.
struct TraceOptions {
  double decay = 0.95;            // k, the trace's retention per step
  double clamp = 0.0;             // |H| <= clamp after each update; 0: no clamp
  bool beta_nonnegative = false;  // AntiHebb: use max(beta, 0) (the F-MNIST classifier)
  double eta_max = 0.1;           // SoftmaxHebb: the learning rate is min(eta, eta_max)
};

// One Hebbian update (TanhHebb, AntiHebb, SoftmaxHebb) of H [N_in, N_out] from p [B, N_in] and
// u [B, N_out]. beta: [N_in] (or [1, N_in]) for TanhHebb/AntiHebb, [N_out] for SoftmaxHebb;
// eta: [N_out] (or [1, N_out]) for TanhHebb/AntiHebb, a scalar for SoftmaxHebb. theta is the
// neuron's threshold. hnn::Error on shapes that do not fit.
at::Tensor hebbian_update(const at::Tensor& trace, const at::Tensor& p, const at::Tensor& u, const at::Tensor& beta,
                          const at::Tensor& eta, double theta, Rule rule, const TraceOptions& o);

// The factors of the TanhHebb and AntiHebb updates, dH = sign (1/B) (pre_scale * P)^T post, for
// the paths that apply them in other forms (PlasticLinear::forward_scaled):
//   pre_scale [1, N_in]  beta (max(beta, 0) for AntiHebb with beta_nonnegative),
//   post [B, N_out]      tanh(u / theta - eta) or u / theta - eta,   sign +1 or -1 (AntiHebb).
at::Tensor hebbian_pre_scale(const at::Tensor& beta, Rule rule, const TraceOptions& o);
at::Tensor hebbian_post(const at::Tensor& u, const at::Tensor& eta, double theta, Rule rule);
double hebbian_sign(Rule rule);

// k H + delta, then the clamp: the common end of every trace rule.
at::Tensor decay_and_clamp(const at::Tensor& trace, const at::Tensor& delta, const TraceOptions& o);

// The input current I [B, N_out] of a plastic layer from p [B, N_in]. weight [N_out, N_in];
// bias [N_out] or undefined; trace [N_in, N_out] or undefined (GP: no trace term); alpha as in
// the table above; mask [N_in, N_out] (Masked only).
at::Tensor plastic_current(const at::Tensor& p, const at::Tensor& weight, const at::Tensor& bias,
                           const at::Tensor& trace, const at::Tensor& alpha, const at::Tensor& mask, Combine combine);

// Multiplicative input attenuation of step t: exp(-t / tau_w); 1 when tau_w <= 0 (none).
double attenuation(int64_t t, double tau_w);
// attenuation(t, tau_w) for t = 0 .. steps - 1 (the scale of PlasticLinear::forward_scaled).
std::vector<double> attenuations(int64_t steps, double tau_w);

// Membrane read-out: min(u / theta, max_value) (no clamp when max_value <= 0).
at::Tensor membrane_readout(const at::Tensor& u, double theta, double max_value);

// The "rank" early exit: true when the fraction of the batch u [B, N] with at least one unit
// above theta exceeds rho. The decision is per batch (as in the reference).
bool early_exit(const at::Tensor& u, double theta, double rho);

}  // namespace hnn::plasticity
