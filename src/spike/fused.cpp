#include "spike/fused.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "spike/cpu/neuron_kernel.h"

namespace hnn::spike::detail {
namespace {

using at::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Parameter order in the autograd function's tensor inputs.
enum ParamIndex { kTheta = 0, kDecay, kVReset, kVRest, kRho, kBeta, kNumParams };
constexpr double kDefaults[kNumParams] = {kDefaultThreshold, kDefaultDecay, kDefaultVReset,
                                          kDefaultVRest,     kDefaultRho,   kDefaultBeta};
const char* kNames[kNumParams] = {"threshold", "decay", "v_reset", "v_rest", "rho", "beta"};

int64_t pack(const NeuronSpec& s) {
  return (int64_t)s.charge | ((int64_t)s.reset << 4) | ((int64_t)s.detach_reset << 8) | ((int64_t)s.inclusive << 9) |
         ((int64_t)s.adaptive << 10) | ((int64_t)s.surrogate.kind << 12) | ((int64_t)s.saved_state << 16);
}
NeuronSpec unpack(int64_t c, double alpha) {
  NeuronSpec s;
  s.charge = (Charge)(c & 15);
  s.reset = (Reset)((c >> 4) & 15);
  s.detach_reset = (c >> 8) & 1;
  s.inclusive = (c >> 9) & 1;
  s.adaptive = (c >> 10) & 1;
  s.surrogate = {(SurrogateKind)((c >> 12) & 15), alpha};
  s.saved_state = (SavedState)((c >> 16) & 15);
  return s;
}

// A parameter as the kernel reads it: one value, or one per neuron ([N], or [T, N] when the
// threshold varies per step).
struct Prepared {
  Tensor t;
  bool per_neuron = false;
  bool per_step = false;
};

Prepared prepare(const Tensor& p, int which, const Tensor& x) {
  auto state_shape = x.sizes().slice(1);
  Prepared r;
  if (!p.defined() || p.numel() == 0) {
    r.t = torch::full({1}, kDefaults[which], x.options());
    return r;
  }
  if (p.numel() == 1) {
    r.t = p.detach().reshape({1}).to(x.scalar_type()).contiguous();
    return r;
  }
  bool per_step = which == kTheta && p.dim() == x.dim();
  auto target = per_step ? x.sizes() : state_shape;
  bool ok = p.dim() <= (int64_t)target.size();
  for (int64_t i = 1; ok && i <= p.dim(); ++i) {
    int64_t a = p.size(-i), b = target[target.size() - i];
    ok = a == 1 || a == b;
  }
  HNN_CHECK(
      ok, "neuron parameter '{}' of shape {} does not broadcast against the state shape {}{}", kNames[which],
      shape_str(p.sizes()), shape_str(state_shape),
      which == kTheta ? fmt::format(" (or the input shape {} for a per-step threshold)", shape_str(x.sizes())) : "");
  r.t = p.detach().to(x.scalar_type()).expand(target).contiguous();
  r.per_neuron = true;
  r.per_step = per_step;
  return r;
}

template <typename T>
cpu::ParamPtr<T> ptr(const Prepared& p) {
  return {p.t.template data_ptr<T>(), p.per_neuron, T(0)};
}

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() && t.numel() > 0 ? t.template data_ptr<T>() : nullptr;
}

struct FusedNeuronFn : torch::autograd::Function<FusedNeuronFn> {
  static variable_list forward(AutogradContext* ctx, Tensor x, Tensor v0, Tensor a0, Tensor theta, Tensor decay,
                               Tensor v_reset, Tensor v_rest, Tensor rho, Tensor beta, int64_t code, double alpha,
                               bool want_v, bool training) {
    RECORD_USER_SCOPE("hnn::neuron_forward");
    ctx->set_materialize_grads(false);
    const NeuronSpec spec = unpack(code, alpha);
    x = x.contiguous();
    const int64_t T = x.size(0), N = T > 0 ? x.numel() / T : 0;
    Tensor params[kNumParams] = {theta, decay, v_reset, v_rest, rho, beta};
    Prepared prep[kNumParams];
    for (int i = 0; i < kNumParams; ++i) prep[i] = prepare(params[i], i, x);
    auto state_shape = x.sizes().slice(1);
    Tensor v0c = v0.detach().to(x.scalar_type()).expand(state_shape).contiguous();
    Tensor a0c =
        spec.adaptive && a0.numel() > 0 ? a0.detach().to(x.scalar_type()).expand(state_shape).contiguous() : Tensor();

    // Inference (training false: no gradient will be asked for): nothing is saved, so the kernel
    // writes the spikes only.
    const bool bf16 = spec.saved_state == SavedState::BFloat16 && x.scalar_type() == at::kFloat;
    Tensor s = torch::empty_like(x);
    Tensor h = !training ? torch::empty({0}, x.options())
               : bf16    ? torch::empty_like(x, x.options().dtype(at::kBFloat16))
                         : torch::empty_like(x);
    Tensor v_seq = want_v ? torch::empty_like(x) : torch::empty({0}, x.options());
    Tensor a_seq = spec.adaptive ? torch::empty_like(x) : Tensor();
    Tensor v_last = torch::empty(state_shape, x.options());
    Tensor a_last = spec.adaptive ? torch::empty(state_shape, x.options()) : torch::empty({0}, x.options());

    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hnn_neuron_forward", [&] {
      cpu::ForwardArgs<scalar_t> A;
      A.steps = T;
      A.n = N;
      A.spec = spec;
      A.x = x.data_ptr<scalar_t>();
      A.v0 = v0c.data_ptr<scalar_t>();
      A.a0 = data_or_null<scalar_t>(a0c);
      A.theta = ptr<scalar_t>(prep[kTheta]);
      A.theta_per_step = prep[kTheta].per_step;
      A.decay = ptr<scalar_t>(prep[kDecay]);
      A.v_reset = ptr<scalar_t>(prep[kVReset]);
      A.v_rest = ptr<scalar_t>(prep[kVRest]);
      A.rho = ptr<scalar_t>(prep[kRho]);
      A.beta = ptr<scalar_t>(prep[kBeta]);
      A.s = s.data_ptr<scalar_t>();
      if (training && bf16)
        A.h_bf16 = reinterpret_cast<uint16_t*>(h.data_ptr<at::BFloat16>());
      else if (training)
        A.h = h.data_ptr<scalar_t>();
      A.v_seq = want_v ? v_seq.data_ptr<scalar_t>() : nullptr;
      A.a_seq = spec.adaptive ? a_seq.data_ptr<scalar_t>() : nullptr;
      A.v_last = v_last.data_ptr<scalar_t>();
      A.a_last = spec.adaptive ? a_last.data_ptr<scalar_t>() : nullptr;
      if (T > 0)
        cpu::neuron_forward<scalar_t>(A);
      else
        v_last.copy_(v0c);
    });
    if (T == 0 && spec.adaptive) a_last.copy_(a0c);

    bool need_x = spec.charge == Charge::LifOde && decay.requires_grad();
    ctx->save_for_backward({need_x ? x : Tensor(), v0c, a0c, prep[kTheta].t, prep[kDecay].t, prep[kVReset].t,
                            prep[kVRest].t, prep[kRho].t, prep[kBeta].t, h, a_seq});
    for (int i = 0; i < kNumParams; ++i) {
      std::string k = kNames[i];
      ctx->saved_data[k + "_per"] = prep[i].per_neuron;
      ctx->saved_data[k + "_step"] = prep[i].per_step;
      ctx->saved_data[k + "_shape"] = params[i].sizes().vec();
    }
    ctx->saved_data["code"] = code;
    ctx->saved_data["alpha"] = alpha;
    ctx->saved_data["v0_shape"] = v0.sizes().vec();
    ctx->saved_data["a0_shape"] = a0.sizes().vec();
    return {s, v_seq, v_last, a_last};
  }

  static variable_list backward(AutogradContext* ctx, variable_list g) {
    RECORD_USER_SCOPE("hnn::neuron_backward");
    auto saved = ctx->get_saved_variables();
    Tensor x = saved[0], v0 = saved[1], a0 = saved[2], h = saved[9], a_seq = saved[10];
    const NeuronSpec spec = unpack(ctx->saved_data["code"].toInt(), ctx->saved_data["alpha"].toDouble());
    const int64_t T = h.size(0), N = T > 0 ? h.numel() / T : 0;
    auto state_shape = h.sizes().slice(1);
    // h may be saved as bfloat16; gradients have the input's type.
    const bool bf16 = h.scalar_type() == at::kBFloat16;
    const auto vopts = h.options().dtype(bf16 ? at::kFloat : h.scalar_type());
    Prepared prep[kNumParams];
    for (int i = 0; i < kNumParams; ++i) {
      std::string k = kNames[i];
      prep[i].t = saved[3 + i];
      prep[i].per_neuron = ctx->saved_data[k + "_per"].toBool();
      prep[i].per_step = ctx->saved_data[k + "_step"].toBool();
    }
    auto defined = [](const Tensor& t) { return t.defined() && t.numel() > 0 ? t.contiguous() : Tensor(); };
    Tensor gs = defined(g[0]), gv = defined(g[1]), gvl = defined(g[2]), gal = defined(g[3]);

    Tensor gx = torch::empty(h.sizes(), vopts), gv0 = torch::empty(state_shape, vopts);
    Tensor ga0 = spec.adaptive ? torch::empty(state_shape, vopts) : Tensor();
    auto grad_buf = [&](int i, bool applicable) -> Tensor {
      if (!applicable || !ctx->needs_input_grad(3 + i)) return Tensor();
      return prep[i].per_step ? torch::empty(h.sizes(), vopts) : torch::empty(state_shape, vopts);
    };
    Tensor gth = grad_buf(kTheta, true);
    Tensor gd = grad_buf(kDecay, spec.charge != Charge::If);
    Tensor grho = grad_buf(kRho, spec.adaptive), gbeta = grad_buf(kBeta, spec.adaptive);

    if (T > 0) {
      AT_DISPATCH_FLOATING_TYPES(vopts.dtype().toScalarType(), "hnn_neuron_backward", [&] {
        cpu::BackwardArgs<scalar_t> A;
        A.steps = T;
        A.n = N;
        A.spec = spec;
        A.x = data_or_null<scalar_t>(x);
        A.v0 = v0.data_ptr<scalar_t>();
        A.a0 = data_or_null<scalar_t>(a0);
        A.theta = ptr<scalar_t>(prep[kTheta]);
        A.theta_per_step = prep[kTheta].per_step;
        A.decay = ptr<scalar_t>(prep[kDecay]);
        A.v_reset = ptr<scalar_t>(prep[kVReset]);
        A.v_rest = ptr<scalar_t>(prep[kVRest]);
        A.rho = ptr<scalar_t>(prep[kRho]);
        A.beta = ptr<scalar_t>(prep[kBeta]);
        if (bf16)
          A.h_bf16 = reinterpret_cast<const uint16_t*>(h.data_ptr<at::BFloat16>());
        else
          A.h = h.data_ptr<scalar_t>();
        A.a_seq = data_or_null<scalar_t>(a_seq);
        A.g_s = data_or_null<scalar_t>(gs);
        A.g_v = data_or_null<scalar_t>(gv);
        A.g_v_last = data_or_null<scalar_t>(gvl);
        A.g_a_last = data_or_null<scalar_t>(gal);
        A.g_x = gx.data_ptr<scalar_t>();
        A.g_v0 = gv0.data_ptr<scalar_t>();
        A.g_a0 = data_or_null<scalar_t>(ga0);
        A.g_theta = data_or_null<scalar_t>(gth);
        A.g_decay = data_or_null<scalar_t>(gd);
        A.g_rho = data_or_null<scalar_t>(grho);
        A.g_beta = data_or_null<scalar_t>(gbeta);
        cpu::neuron_backward<scalar_t>(A);
      });
    } else {
      gv0 = gvl.defined() ? gvl : torch::zeros(state_shape, vopts);
      if (spec.adaptive) ga0 = gal.defined() ? gal : torch::zeros(state_shape, vopts);
      for (Tensor* t : {&gth, &gd, &grho, &gbeta})
        if (t->defined()) t->zero_();
    }
    // Reduce per-neuron gradients to each parameter's own shape.
    auto reduce = [&](Tensor grad, const std::string& key) -> Tensor {
      if (!grad.defined()) return Tensor();
      auto shape = ctx->saved_data[key].toIntVector();
      return grad.sum_to_size(shape);
    };
    variable_list out(13);
    out[0] = gx;
    out[1] = reduce(gv0, "v0_shape");
    out[2] = spec.adaptive ? reduce(ga0, "a0_shape") : Tensor();
    out[3 + kTheta] = reduce(gth, "threshold_shape");
    out[3 + kDecay] = reduce(gd, "decay_shape");
    out[3 + kRho] = reduce(grho, "rho_shape");
    out[3 + kBeta] = reduce(gbeta, "beta_shape");
    return out;
  }
};

}  // namespace

bool fused_supported(const at::Tensor& x) {
  return x.device().is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble);
}

SequenceResult fused_multistep(const at::Tensor& x, const NeuronState& state, const NeuronParams& p,
                               const NeuronSpec& spec, bool want_membrane) {
  // LibTorch 1.x rejects undefined tensor inputs to custom functions: an empty tensor stands
  // for "not given" (the parameter's default).
  auto given = [&](const Tensor& t) { return t.defined() ? t : torch::empty({0}, x.options()); };
  // Whether a backward can follow: only then does the forward save the membrane.
  bool training = false;
  for (const Tensor* t : {&x, &state.v, &state.a, &p.threshold, &p.decay, &p.v_reset, &p.v_rest, &p.rho, &p.beta})
    training = training || (t->defined() && t->requires_grad());
  training = training && at::GradMode::is_enabled();
  auto outs = FusedNeuronFn::apply(x, state.v, given(spec.adaptive ? state.a : Tensor()), given(p.threshold),
                                   given(p.decay), given(p.v_reset), given(p.v_rest), given(p.rho), given(p.beta),
                                   pack(spec), spec.surrogate.alpha, want_membrane, training);
  SequenceResult r;
  r.spikes = outs[0];
  if (want_membrane) r.membrane = outs[1];
  r.state.v = outs[2];
  if (spec.adaptive) r.state.a = outs[3];
  return r;
}

}  // namespace hnn::spike::detail
