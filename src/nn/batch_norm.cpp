#include "hnn/nn/batch_norm.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/core/target_clones.h"

namespace hnn::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The row kernels work on 32-byte vectors (GCC/Clang vector extensions: AVX2 registers in the
// AVX2 clone, pairs of SSE registers in the baseline), two accumulators each for the sums, which
// are flushed to double every kBlock values: the float error is that of kBlock / 16 + 3 additions.
constexpr int64_t kBlock = 512;

// The helpers below take and return vectors but are always inlined into their clone, so GCC's
// note that AVX vectors passed by value change the ABI does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

template <typename T>
struct Vec {
  typedef T type __attribute__((vector_size(32)));
  static constexpr int64_t kWidth = 32 / sizeof(T);
};

template <typename T>
inline __attribute__((always_inline)) typename Vec<T>::type load(const T* p) {
  typename Vec<T>::type v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

template <typename T>
inline __attribute__((always_inline)) void store(T* p, typename Vec<T>::type v) {
  __builtin_memcpy(p, &v, sizeof(v));
}

template <typename T>
inline __attribute__((always_inline)) typename Vec<T>::type splat(T x) {
  return typename Vec<T>::type{} + x;
}

template <typename T>
inline __attribute__((always_inline)) double lanes(typename Vec<T>::type v) {
  T sum = 0;
  for (int64_t j = 0; j < Vec<T>::kWidth; ++j) sum += v[j];
  return (double)sum;
}

// s1 += sum(a - k), s2 += sum((a - k)^2)
template <typename T>
inline __attribute__((always_inline)) void row_moments(const T* a, int64_t n, T k, double& s1, double& s2) {
  using V = typename Vec<T>::type;
  constexpr int64_t W = Vec<T>::kWidth;
  const V kv = splat(k);
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    V p0{}, p1{}, q0{}, q1{};
    int64_t i = b;
    for (; i + 2 * W <= e; i += 2 * W) {
      const V d0 = load(a + i) - kv, d1 = load(a + i + W) - kv;
      p0 += d0;
      p1 += d1;
      q0 += d0 * d0;
      q1 += d1 * d1;
    }
    T t1 = 0, t2 = 0;
    for (; i < e; ++i) {
      const T d = a[i] - k;
      t1 += d;
      t2 += d * d;
    }
    s1 += lanes<T>(p0 + p1) + t1;
    s2 += lanes<T>(q0 + q1) + t2;
  }
}

// s1 += sum(g), s2 += sum(g * (a - k - d))
template <typename T>
inline __attribute__((always_inline)) void row_grad_moments(const T* g, const T* a, int64_t n, T k, T d, double& s1,
                                                            double& s2) {
  using V = typename Vec<T>::type;
  constexpr int64_t W = Vec<T>::kWidth;
  const V kv = splat(k), dv = splat(d);
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    V p0{}, p1{}, q0{}, q1{};
    int64_t i = b;
    for (; i + 2 * W <= e; i += 2 * W) {
      const V g0 = load(g + i), g1 = load(g + i + W);
      p0 += g0;
      p1 += g1;
      q0 += g0 * ((load(a + i) - kv) - dv);
      q1 += g1 * ((load(a + i + W) - kv) - dv);
    }
    T t1 = 0, t2 = 0;
    for (; i < e; ++i) {
      t1 += g[i];
      t2 += g[i] * ((a[i] - k) - d);
    }
    s1 += lanes<T>(p0 + p1) + t1;
    s2 += lanes<T>(q0 + q1) + t2;
  }
}

// out = p * (a - k - d) + q, plus r * b when b is given, with the mean as k (one of the values,
// exact) plus d: data far from 0 keeps its precision (p * a + q, or a minus a rounded mean, would
// cancel digits).
template <typename T>
inline __attribute__((always_inline)) void row_affine(const T* a, const T* b, T* out, int64_t n, T k, T d, T p, T q,
                                                      T r) {
  using V = typename Vec<T>::type;
  constexpr int64_t W = Vec<T>::kWidth;
  const V kv = splat(k), dv = splat(d), pv = splat(p), qv = splat(q), rv = splat(r);
  int64_t i = 0;
  if (b) {
    for (; i + W <= n; i += W) store(out + i, pv * ((load(a + i) - kv) - dv) + rv * load(b + i) + qv);
    for (; i < n; ++i) out[i] = p * ((a[i] - k) - d) + r * b[i] + q;
  } else {
    for (; i + W <= n; i += W) store(out + i, pv * ((load(a + i) - kv) - dv) + qv);
    for (; i < n; ++i) out[i] = p * ((a[i] - k) - d) + q;
  }
}

#define HNN_BN_ROWS(T, SUFFIX)                                                                                     \
  HNN_TARGET_CLONES void row_moments_##SUFFIX(const T* a, int64_t n, T k, double& s1, double& s2) {                \
    row_moments(a, n, k, s1, s2);                                                                                  \
  }                                                                                                                \
  HNN_TARGET_CLONES void row_grad_moments_##SUFFIX(const T* g, const T* a, int64_t n, T k, T d, double& s1,        \
                                                   double& s2) {                                                   \
    row_grad_moments(g, a, n, k, d, s1, s2);                                                                       \
  }                                                                                                                \
  HNN_TARGET_CLONES void row_affine_##SUFFIX(const T* a, const T* b, T* out, int64_t n, T k, T d, T p, T q, T r) { \
    row_affine(a, b, out, n, k, d, p, q, r);                                                                       \
  }                                                                                                                \
  inline void rows(const T* a, int64_t n, T k, double& s1, double& s2) {                                           \
    row_moments_##SUFFIX(a, n, k, s1, s2);                                                                         \
  }                                                                                                                \
  inline void grad_rows(const T* g, const T* a, int64_t n, T k, T d, double& s1, double& s2) {                     \
    row_grad_moments_##SUFFIX(g, a, n, k, d, s1, s2);                                                              \
  }                                                                                                                \
  inline void affine_rows(const T* a, const T* b, T* out, int64_t n, T k, T d, T p, T q, T r) {                    \
    row_affine_##SUFFIX(a, b, out, n, k, d, p, q, r);                                                              \
  }
HNN_BN_ROWS(float, f32)
HNN_BN_ROWS(double, f64)
#undef HNN_BN_ROWS

// The layout: x [G, N, C, S] contiguous; statistics per (g, c) over N * S values.
struct Layout {
  int64_t G, N, C, S;
  int64_t row(int64_t g, int64_t n, int64_t c) const { return ((g * N + n) * C + c) * S; }
};

template <typename T>
void forward_kernel(const Layout& L, const T* x, const T* w, const T* b, double eps, T* y, double* shift, double* mean,
                    double* var, double* invstd) {
  const double M = (double)(L.N * L.S);
  at::parallel_for(0, L.G * L.C, 1, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t g = u / L.C, c = u % L.C;
      // Shifted by the first value: the sums stay small for data far from 0.
      const T k = x[L.row(g, 0, c)];
      double s1 = 0, s2 = 0;
      for (int64_t n = 0; n < L.N; ++n) rows(x + L.row(g, n, c), L.S, k, s1, s2);
      const double m = s1 / M;
      shift[u] = (double)k;
      mean[u] = (double)k + m;
      var[u] = std::max(0.0, s2 / M - m * m);
      invstd[u] = 1.0 / std::sqrt(var[u] + eps);
      const double scale = (w ? (double)w[c] : 1.0) * invstd[u];
      const double offset = b ? (double)b[c] : 0.0;
      for (int64_t n = 0; n < L.N; ++n) {
        const int64_t r = L.row(g, n, c);
        affine_rows(x + r, (const T*)nullptr, y + r, L.S, k, (T)m, (T)scale, (T)offset, T(0));
      }
    }
  });
}

// Per (g, c): sum(dy) and sum(dy * (x - mean)); dx when asked.
template <typename T>
void backward_kernel(const Layout& L, const T* x, const T* dy, const T* w, const double* shift, const double* mean,
                     const double* invstd, T* dx, double* sdy, double* sdyx) {
  const double M = (double)(L.N * L.S);
  at::parallel_for(0, L.G * L.C, 1, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t g = u / L.C, c = u % L.C;
      double s1 = 0, s2 = 0;
      for (int64_t n = 0; n < L.N; ++n) {
        const int64_t r = L.row(g, n, c);
        grad_rows(dy + r, x + r, L.S, (T)shift[u], (T)(mean[u] - shift[u]), s1, s2);
      }
      sdy[u] = s1;
      sdyx[u] = s2;
      if (!dx) continue;
      // dx = w invstd (dy - sum(dy)/M - (x - mean) invstd^2 sum(dy (x - mean))/M)
      //    = p (x - mean) + a dy + q
      const double is = invstd[u];
      const double a = (w ? (double)w[c] : 1.0) * is;
      const double p = -a * is * is * s2 / M;
      const double q = -a * s1 / M;
      for (int64_t n = 0; n < L.N; ++n) {
        const int64_t r = L.row(g, n, c);
        affine_rows(x + r, dy + r, dx + r, L.S, (T)shift[u], (T)(mean[u] - shift[u]), (T)p, (T)q, (T)a);
      }
    }
  });
}

Layout layout_of(const at::Tensor& x, int64_t groups) {
  const int64_t C = x.size(1), S = x.numel() / (x.size(0) * C);
  return Layout{groups, x.size(0) / groups, C, S};
}

struct BatchNormFn : torch::autograd::Function<BatchNormFn> {
  // Returns y, and the statistics [G, C] (double; not differentiable): mean and biased variance.
  static variable_list forward(AutogradContext* ctx, at::Tensor x, at::Tensor weight, at::Tensor bias, int64_t groups,
                               double eps) {
    RECORD_USER_SCOPE("hnn::batch_norm_forward");
    x = x.contiguous();
    const Layout L = layout_of(x, groups);
    auto y = at::empty_like(x);
    auto opts = x.options().dtype(at::kDouble);
    auto shift = at::empty({L.G, L.C}, opts), mean = at::empty({L.G, L.C}, opts), var = at::empty({L.G, L.C}, opts),
         invstd = at::empty({L.G, L.C}, opts);
    const at::Tensor w = weight.contiguous(), b = bias.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hnn_batch_norm", [&] {
      forward_kernel<scalar_t>(L, x.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(), eps,
                               y.data_ptr<scalar_t>(), shift.data_ptr<double>(), mean.data_ptr<double>(),
                               var.data_ptr<double>(), invstd.data_ptr<double>());
    });
    ctx->save_for_backward({x, weight, bias});
    ctx->saved_data["shift"] = shift;
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->saved_data["groups"] = groups;
    ctx->mark_non_differentiable({mean, var});
    return {y, mean, var};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    RECORD_USER_SCOPE("hnn::batch_norm_backward");
    auto saved = ctx->get_saved_variables();
    const at::Tensor x = saved[0], weight = saved[1], bias = saved[2];
    const at::Tensor shift = ctx->saved_data["shift"].toTensor(), mean = ctx->saved_data["mean"].toTensor(),
                     invstd = ctx->saved_data["invstd"].toTensor();
    const Layout L = layout_of(x, ctx->saved_data["groups"].toInt());
    at::Tensor dy = grads[0].contiguous();
    const bool want_dx = ctx->needs_input_grad(0);
    at::Tensor dx = want_dx ? at::empty_like(x) : at::Tensor();
    auto opts = x.options().dtype(at::kDouble);
    auto sdy = at::empty({L.G, L.C}, opts), sdyx = at::empty({L.G, L.C}, opts);
    const at::Tensor w = weight.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hnn_batch_norm_backward", [&] {
      backward_kernel<scalar_t>(L, x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(),
                                shift.data_ptr<double>(), mean.data_ptr<double>(), invstd.data_ptr<double>(),
                                want_dx ? dx.data_ptr<scalar_t>() : nullptr, sdy.data_ptr<double>(),
                                sdyx.data_ptr<double>());
    });
    at::Tensor dw, db;
    if (ctx->needs_input_grad(1)) dw = (sdyx * invstd).sum(0).to(weight.scalar_type());
    if (ctx->needs_input_grad(2)) db = sdy.sum(0).to(bias.scalar_type());
    return {dx, dw, db, at::Tensor(), at::Tensor()};
  }
};

bool fused_applies(const torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
  if (!bn.is_training() || !x.device().is_cpu() || x.dim() < 3) return false;
  if (x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble) return false;
  auto same_type = [&](const at::Tensor& t) { return !t.defined() || t.scalar_type() == x.scalar_type(); };
  if (!same_type(bn.weight) || !same_type(bn.bias) || !same_type(bn.running_mean) || !same_type(bn.running_var))
    return false;
  const int64_t S = x.numel() / std::max<int64_t>(1, x.size(0) * x.size(1));
  return S >= 8;
}

// Updates the running statistics as `groups` BatchNorm calls would, one group after another.
void update_running(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& mean, const at::Tensor& var, int64_t count) {
  const auto& o = bn.options;
  if (!o.track_running_stats()) return;
  torch::NoGradGuard ng;
  const int64_t G = mean.size(0), C = mean.size(1);
  const double bessel = count > 1 ? (double)count / (double)(count - 1) : 1.0;
  int64_t tracked = bn.num_batches_tracked.item<int64_t>();
  const double* mu = mean.data_ptr<double>();
  const double* v = var.data_ptr<double>();
  AT_DISPATCH_FLOATING_TYPES(bn.running_mean.scalar_type(), "hnn_batch_norm_running", [&] {
    scalar_t* rm = bn.running_mean.data_ptr<scalar_t>();
    scalar_t* rv = bn.running_var.data_ptr<scalar_t>();
    for (int64_t g = 0; g < G; ++g) {
      ++tracked;
      const double m = o.momentum() ? *o.momentum() : 1.0 / (double)tracked;
      for (int64_t c = 0; c < C; ++c) {
        rm[c] = (scalar_t)((1 - m) * (double)rm[c] + m * mu[g * C + c]);
        rv[c] = (scalar_t)((1 - m) * (double)rv[c] + m * v[g * C + c] * bessel);
      }
    }
  });
  bn.num_batches_tracked.fill_(tracked);
}

}  // namespace

at::Tensor batch_norm_groups(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x, int64_t groups) {
  HNN_CHECK(x.dim() >= 2 && x.size(1) == bn.options.num_features(), "batch_norm: expected [N, {}, ...], got shape {}",
            bn.options.num_features(), shape_str(x.sizes()));
  HNN_CHECK(groups >= 1 && x.size(0) % groups == 0, "batch_norm: {} samples do not split into {} groups", x.size(0),
            groups);
  // (fused_applies asks for 8 or more values a row: a group always has more than one value a
  // channel, which LibTorch checks for the others.)
  if (!fused_applies(bn, x) || x.size(0) == 0) {
    if (groups == 1 || !bn.is_training()) return bn.forward(x);
    std::vector<at::Tensor> parts = x.chunk(groups, 0);
    for (auto& p : parts) p = bn.forward(p);
    return torch::cat(parts);
  }
  // Without affine parameters: a constant weight 1 and bias 0 (LibTorch 1.13's custom functions
  // take no undefined tensor inputs).
  const int64_t C = x.size(1);
  at::Tensor w = bn.options.affine() ? bn.weight : torch::ones({C}, x.options().requires_grad(false));
  at::Tensor b = bn.options.affine() ? bn.bias : torch::zeros({C}, x.options().requires_grad(false));
  auto outs = BatchNormFn::apply(x, w, b, groups, bn.options.eps());
  update_running(bn, outs[1], outs[2], x.numel() / (groups * x.size(1)));
  return outs[0];
}

at::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
  return batch_norm_groups(bn, x, 1);
}

}  // namespace hnn::nn
