// The row-stable dense layer, compiled once per instruction set (HNN_KERNEL_NS names it) without
// FMA contraction, so the variants agree bit for bit: every output element is bias + the products
// in the order i = 0..I-1, then the activation, by the same IEEE operations in vector lanes and in
// scalar tails alike.
#include <cstring>

#include "hnn/core/fast_exp.h"
#include "models/dasbe/cpu/row_linear.h"

namespace hnn::models::dasbe::cpu::HNN_KERNEL_NS {
namespace {

void activate(float* __restrict acc, int64_t O, Activation act) {
  switch (act) {
    case Activation::Relu:
      for (int64_t j = 0; j < O; ++j) acc[j] = acc[j] > 0.0f ? acc[j] : 0.0f;
      break;
    case Activation::Sigmoid:
      for (int64_t j = 0; j < O; ++j) acc[j] = 1.0f / (1.0f + hnn::fast_exp(-acc[j]));
      break;
    case Activation::None:
      break;
  }
}

void init_rows(const RowLinearArgs& a, int64_t b0, int64_t n) {
  for (int64_t b = b0; b < b0 + n; ++b) {
    if (a.bias)
      std::memcpy(a.out + b * a.O, a.bias, sizeof(float) * a.O);
    else
      std::memset(a.out + b * a.O, 0, sizeof(float) * a.O);
  }
}

}  // namespace

void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1) {
  const int64_t I = a.I, O = a.O;
  for (int64_t b = b0; b < b1; ++b) {
    init_rows(a, b, 1);
    float* __restrict acc = a.out + b * O;
    const float* x = a.in + b * I;
    for (int64_t i = 0; i < I; ++i) {
      const float v = x[i];
      if (v == 0.0f) continue;  // exact: v * w would add +-0
      const float* __restrict w = a.wt + i * O;
      for (int64_t j = 0; j < O; ++j) acc[j] += v * w[j];
    }
    activate(acc, O, a.act);
  }
}

// 16 lanes as a GCC vector: the accumulators stay in registers, and each lane does the same IEEE
// operations on every instruction set.
typedef float V16 __attribute__((vector_size(64)));

inline void mul_add16(V16& s, const float* x, const float* w) {
  V16 a, b;
  std::memcpy(&a, x, sizeof a);
  std::memcpy(&b, w, sizeof b);
  s += a * b;
}

// bias + the two accumulators of one output (s0 += s1, then a fixed tree over the 16 lanes), then
// the activation.
inline float finish_out(V16 s0, const V16& s1, float bias, Activation act) {
  s0 += s1;
  float lane[16];
  std::memcpy(lane, &s0, sizeof lane);
  for (int64_t h = 8; h > 0; h /= 2)
    for (int64_t k = 0; k < h; ++k) lane[k] += lane[k + h];
  const float v = bias + lane[0];
  return act == Activation::Sigmoid ? 1.0f / (1.0f + hnn::fast_exp(-v))
         : act == Activation::Relu  ? (v > 0.0f ? v : 0.0f)
                                    : v;
}

// One output: bias + x . w in two 16-lane accumulators (even and odd 16-blocks), a scalar tail
// into lanes of the second, a fixed tree.
inline float dot_out(const float* x, const float* w, int64_t I, float bias, Activation act) {
  V16 s0 = {}, s1 = {};
  int64_t i = 0;
  for (; i + 32 <= I; i += 32) {
    mul_add16(s0, x + i, w + i);
    mul_add16(s1, x + i + 16, w + i + 16);
  }
  if (i + 16 <= I) {
    mul_add16(s0, x + i, w + i);
    i += 16;
  }
  for (int64_t k = 0; i + k < I; ++k) s1[k] += x[i + k] * w[i + k];
  return finish_out(s0, s1, bias, act);
}

// Two outputs at once, each by exactly dot_out's operations (so the same bits): four independent
// accumulator chains instead of two keep the adders busy, and x is loaded once for both (about 4%
// faster on the Bars loop; four outputs at once spilled and were slower).
inline void dot_out2(const float* x, const float* w0, const float* w1, int64_t I, float bias0, float bias1,
                     Activation act, float* out0, float* out1) {
  V16 a0 = {}, a1 = {}, c0 = {}, c1 = {};
  int64_t i = 0;
  for (; i + 32 <= I; i += 32) {
    V16 xa, xb, u, v;
    std::memcpy(&xa, x + i, sizeof xa);
    std::memcpy(&xb, x + i + 16, sizeof xb);
    std::memcpy(&u, w0 + i, sizeof u);
    std::memcpy(&v, w1 + i, sizeof v);
    a0 += xa * u;
    c0 += xa * v;
    std::memcpy(&u, w0 + i + 16, sizeof u);
    std::memcpy(&v, w1 + i + 16, sizeof v);
    a1 += xb * u;
    c1 += xb * v;
  }
  if (i + 16 <= I) {
    mul_add16(a0, x + i, w0 + i);
    mul_add16(c0, x + i, w1 + i);
    i += 16;
  }
  for (int64_t k = 0; i + k < I; ++k) a1[k] += x[i + k] * w0[i + k], c1[k] += x[i + k] * w1[i + k];
  *out0 = finish_out(a0, a1, bias0, act);
  *out1 = finish_out(c0, c1, bias1, act);
}

void masked_linear(const MaskedLinearArgs& a, int64_t b0, int64_t b1) {
  const int64_t I = a.I, O = a.O;
  for (int64_t b = b0; b < b1; ++b) {
    const float* x = a.in + b * I;
    float* out = a.out + b * O;
    const float* mask = a.mask + b * O;
    int64_t pending = -1;  // the outputs to compute, taken in pairs
    for (int64_t j = 0; j < O; ++j) {
      if (mask[j] == 0.0f) {
        out[j] = 0.0f;
        continue;
      }
      if (pending < 0) {
        pending = j;
        continue;
      }
      dot_out2(x, a.w + pending * I, a.w + j * I, I, a.bias ? a.bias[pending] : 0.0f, a.bias ? a.bias[j] : 0.0f, a.act,
               out + pending, out + j);
      pending = -1;
    }
    if (pending >= 0) out[pending] = dot_out(x, a.w + pending * I, I, a.bias ? a.bias[pending] : 0.0f, a.act);
  }
}

}  // namespace hnn::models::dasbe::cpu::HNN_KERNEL_NS
