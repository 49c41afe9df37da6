#include "hnn/plasticity/hebbian.h"

#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::plasticity {

std::string to_string(Rule r) {
  switch (r) {
    case Rule::None:
      return "none";
    case Rule::TanhHebb:
      return "tanh_hebb";
    case Rule::AntiHebb:
      return "anti_hebb";
    case Rule::SoftmaxHebb:
      return "softmax_hebb";
    case Rule::Stdp:
      return "stdp";
  }
  return "?";
}

std::string to_string(Combine c) {
  switch (c) {
    case Combine::Additive:
      return "additive";
    case Combine::Masked:
      return "masked";
    case Combine::Convex:
      return "convex";
  }
  return "?";
}

Rule parse_rule(const std::string& s) {
  for (Rule r : {Rule::None, Rule::TanhHebb, Rule::AntiHebb, Rule::SoftmaxHebb, Rule::Stdp})
    if (s == to_string(r)) return r;
  throw Error(fmt::format("unknown plasticity rule '{}' (none, tanh_hebb, anti_hebb, softmax_hebb, stdp)", s));
}

Combine parse_combine(const std::string& s) {
  for (Combine c : {Combine::Additive, Combine::Masked, Combine::Convex})
    if (s == to_string(c)) return c;
  throw Error(fmt::format("unknown combination '{}' (additive, masked, convex)", s));
}

at::Tensor hebbian_update(const at::Tensor& trace, const at::Tensor& p, const at::Tensor& u, const at::Tensor& beta,
                          const at::Tensor& eta, double theta, Rule rule, const TraceOptions& o) {
  HNN_CHECK(p.dim() == 2 && u.dim() == 2 && p.size(0) == u.size(0),
            "hebbian_update: expected p [B, N_in] and u [B, N_out], got {} and {}", shape_str(p.sizes()),
            shape_str(u.sizes()));
  HNN_CHECK(trace.dim() == 2 && trace.size(0) == p.size(1) && trace.size(1) == u.size(1),
            "hebbian_update: trace {} does not fit p {} and u {} (expected [N_in, N_out])", shape_str(trace.sizes()),
            shape_str(p.sizes()), shape_str(u.sizes()));
  const double inv_b = 1.0 / static_cast<double>(p.size(0));
  at::Tensor delta;
  switch (rule) {
    case Rule::TanhHebb:
    case Rule::AntiHebb: {
      HNN_CHECK(beta.numel() == p.size(1) && eta.numel() == u.size(1),
                "hebbian_update: beta needs {} values (N_in) and eta {} (N_out), got {} and {}", p.size(1), u.size(1),
                beta.numel(), eta.numel());
      // (1/B) sum_b (beta * p_b) (x) post_b as one GEMM: [N_in, B] x [B, N_out].
      delta = (hebbian_pre_scale(beta, rule, o) * p).t().mm(hebbian_post(u, eta, theta, rule)) *
              (hebbian_sign(rule) * inv_b);
      break;
    }
    case Rule::SoftmaxHebb: {
      HNN_CHECK(beta.numel() == u.size(1) && eta.numel() == 1,
                "hebbian_update: softmax_hebb needs beta [N_out = {}] and a scalar eta, got {} and {} values",
                u.size(1), beta.numel(), eta.numel());
      at::Tensor post = torch::softmax(u - beta.reshape({1, -1}), 1);
      delta = p.t().mm(post) * (eta.reshape({}).clamp_max(o.eta_max) * inv_b);
      break;
    }
    default:
      throw Error(fmt::format("hebbian_update: rule {} is not a Hebbian rule", to_string(rule)));
  }
  return decay_and_clamp(trace, delta, o);
}

at::Tensor hebbian_pre_scale(const at::Tensor& beta, Rule rule, const TraceOptions& o) {
  at::Tensor b = beta.reshape({1, -1});
  return rule == Rule::AntiHebb && o.beta_nonnegative ? b.clamp_min(0) : b;
}

at::Tensor hebbian_post(const at::Tensor& u, const at::Tensor& eta, double theta, Rule rule) {
  at::Tensor post = u / theta - eta.reshape({1, -1});
  return rule == Rule::TanhHebb ? post.tanh() : post;
}

double hebbian_sign(Rule rule) {
  return rule == Rule::AntiHebb ? -1.0 : 1.0;
}

at::Tensor decay_and_clamp(const at::Tensor& trace, const at::Tensor& delta, const TraceOptions& o) {
  at::Tensor h = trace * o.decay + delta;
  return o.clamp > 0 ? h.clamp(-o.clamp, o.clamp) : h;
}

at::Tensor plastic_current(const at::Tensor& p, const at::Tensor& weight, const at::Tensor& bias,
                           const at::Tensor& trace, const at::Tensor& alpha, const at::Tensor& mask, Combine combine) {
  HNN_CHECK(p.dim() == 2 && weight.dim() == 2 && p.size(1) == weight.size(1),
            "plastic layer: input {} does not fit the weight {} (expected [B, {}])", shape_str(p.sizes()),
            shape_str(weight.sizes()), weight.size(1));
  const bool plastic = trace.defined();
  at::Tensor i;
  switch (combine) {
    case Combine::Additive:
      i = bias.defined() ? torch::addmm(bias, p, weight.t()) : p.mm(weight.t());
      if (plastic) i = i + alpha * p.mm(trace);
      return i;
    case Combine::Masked: {
      HNN_CHECK(mask.defined() && mask.sizes() == torch::IntArrayRef({weight.size(1), weight.size(0)}),
                "plastic layer: the masked combination needs a mask [N_in, N_out] = [{}, {}], got {}", weight.size(1),
                weight.size(0), mask.defined() ? shape_str(mask.sizes()) : std::string("none"));
      at::Tensor w = weight.t() * mask;
      if (plastic) w = w + alpha * trace * (1 - mask);
      i = p.mm(w);
      break;
    }
    case Combine::Convex: {
      at::Tensor w = alpha * weight.t();
      if (plastic) w = w + (1 - alpha) * trace;
      i = p.mm(w);
      break;
    }
  }
  return bias.defined() ? i + bias : i;
}

double attenuation(int64_t t, double tau_w) {
  return tau_w > 0 ? std::exp(-static_cast<double>(t) / tau_w) : 1.0;
}

at::Tensor membrane_readout(const at::Tensor& u, double theta, double max_value) {
  at::Tensor o = u / theta;
  return max_value > 0 ? o.clamp_max(max_value) : o;
}

std::vector<double> attenuations(int64_t steps, double tau_w) {
  std::vector<double> d;
  for (int64_t t = 0; t < steps; ++t) d.push_back(attenuation(t, tau_w));
  return d;
}

bool early_exit(const at::Tensor& u, double theta, double rho) {
  HNN_CHECK(u.dim() == 2, "early_exit: expected u [B, N], got {}", shape_str(u.sizes()));
  return (u > theta).any(1).to(torch::kDouble).mean().item<double>() > rho;
}

}  // namespace hnn::plasticity
