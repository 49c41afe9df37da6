// The surrogate gradients, each defined once: a name, a default alpha and one formula for the
// derivative of the spike at x = membrane - threshold. The formula is a template over the value
// type, so the same text gives the kernel form (float or double, in the fused CPU kernels and,
// later, CUDA kernels: surrogate_derivative<T>) and the tensor form (at::Tensor, in the autograd
// spike function: spike::surrogate_grad in surrogate.h, which supplies the tensor operations).
//
// Adding a surrogate: one HNN_SURROGATES entry and one SurrogateFormula specialisation below,
// plus a line in the tests' list (tests/spike/test_surrogate.cpp checks both forms agree, the
// integral and the gradients of every neuron through it). Everything else (the enum, parsing by
// name, the kernels' compile-time dispatch) follows from the list.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "hnn/core/fast_exp.h"  // also HNN_HD (host and device inline)

// X(enumerator, name, default alpha): the names parse() accepts (with ":<alpha>").
#define HNN_SURROGATES(X)              \
  X(Rectangular, "rect", 1.0)          \
  X(Sigmoid, "sigmoid", 4.0)           \
  X(Arctan, "arctan", 2.0)             \
  X(FastSigmoid, "fast_sigmoid", 25.0) \
  X(Triangle, "triangle", 1.0)

namespace hnn::spike {

#define HNN_SURROGATE_ENUM(kind, name, alpha) kind,
enum class SurrogateKind : int32_t { HNN_SURROGATES(HNN_SURROGATE_ENUM) };
#undef HNN_SURROGATE_ENUM

// The kernels' exp: fast_exp for float on the host, the standard one otherwise.
HNN_HD float kernel_exp(float x) {
#if defined(__CUDACC__)
  return ::expf(x);
#else
  return fast_exp(x);
#endif
}
HNN_HD double kernel_exp(double x) {
  return std::exp(x);
}

// The elementwise operations a formula may use, for each value type: exp, abs, max(x, 0) and the
// 0/1 indicators of x < c and x > c in the value type. Scalars here; at::Tensor in surrogate.cpp.
template <typename T>
struct SurrogateOps {
  static HNN_HD T exp(T x) { return kernel_exp(x); }
  static HNN_HD T abs(T x) { return std::fabs(x); }
  static HNN_HD T relu(T x) { return std::fmax(x, T(0)); }
  static HNN_HD T lt(T x, T c) { return static_cast<T>(x < c); }
  static HNN_HD T gt(T x, T c) { return static_cast<T>(x > c); }
};

// derivative(alpha, x) with V the value type (float, double, at::Tensor) and S its scalar type.
// alpha is the width (rect, triangle) or the sharpness (the others).
template <SurrogateKind K>
struct SurrogateFormula;

template <>
struct SurrogateFormula<SurrogateKind::Rectangular> {  // box of width alpha and area 1 (the reference systems)
  // Arithmetic, not branches, so the kernels vectorise; 1/alpha is loop invariant, so a kernel
  // multiplies instead of dividing (the same value: the mask is 0 or 1).
  template <typename V, typename S>
  static HNN_HD V derivative(S alpha, const V& x) {
    using O = SurrogateOps<V>;
    return O::lt(O::abs(x), alpha / S(2)) * (S(1) / alpha);
  }
};

template <>
struct SurrogateFormula<SurrogateKind::Sigmoid> {  // derivative of sigmoid(alpha x)
  // alpha s (1 - s) with s = sigmoid(alpha x), written as alpha e / (1 + e)^2 with e = exp(-alpha |x|)
  // (the derivative is even): e is in (0, 1], so nothing overflows, and there is no 1 - s that
  // cancels to 0 where s rounds to 1.
  template <typename V, typename S>
  static HNN_HD V derivative(S alpha, const V& x) {
    using O = SurrogateOps<V>;
    V e = O::exp(-alpha * O::abs(x));
    V d = S(1) + e;
    return alpha * e / (d * d);
  }
};

template <>
struct SurrogateFormula<SurrogateKind::Arctan> {  // derivative of atan(pi/2 alpha x) / pi + 1/2
  template <typename V, typename S>
  static HNN_HD V derivative(S alpha, const V& x) {
    V z = (S(1.5707963267948966) * alpha) * x;
    return (alpha / S(2)) / (S(1) + z * z);
  }
};

template <>
struct SurrogateFormula<SurrogateKind::FastSigmoid> {  // SuperSpike: 1 / (1 + alpha |x|)^2
  template <typename V, typename S>
  static HNN_HD V derivative(S alpha, const V& x) {
    V d = S(1) + alpha * SurrogateOps<V>::abs(x);
    return S(1) / (d * d);
  }
};

template <>
struct SurrogateFormula<SurrogateKind::Triangle> {  // half-width alpha, area 1
  template <typename V, typename S>
  static HNN_HD V derivative(S alpha, const V& x) {
    S inv = S(1) / alpha;  // loop invariant: the kernels multiply
    return SurrogateOps<V>::relu(S(1) - SurrogateOps<V>::abs(x) * inv) * inv;
  }
};

// The kernel form: the derivative at x for a kind known at run time (kernels specialise on a
// compile-time kind, so the switch folds away there).
template <typename T>
HNN_HD T surrogate_derivative(SurrogateKind kind, T alpha, T x) {
  switch (kind) {
#define HNN_SURROGATE_CASE(k, name, a) \
  case SurrogateKind::k:               \
    return SurrogateFormula<SurrogateKind::k>::derivative<T, T>(alpha, x);
    HNN_SURROGATES(HNN_SURROGATE_CASE)
#undef HNN_SURROGATE_CASE
  }
  return T(0);
}

// Calls f(std::integral_constant<SurrogateKind, K>{}) with the run-time kind as a compile-time one.
template <typename F>
decltype(auto) dispatch_surrogate(SurrogateKind kind, F&& f) {
  switch (kind) {
#define HNN_SURROGATE_CASE(k, name, a) \
  case SurrogateKind::k:               \
    return f(std::integral_constant<SurrogateKind, SurrogateKind::k>{});
    HNN_SURROGATES(HNN_SURROGATE_CASE)
#undef HNN_SURROGATE_CASE
  }
  return f(std::integral_constant<SurrogateKind, SurrogateKind::Rectangular>{});
}

}  // namespace hnn::spike
