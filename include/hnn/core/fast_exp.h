// exp for vectorised float kernels (header only, no LibTorch): the spiking kernels' sigmoid
// surrogate and the DASBE dense layer's sigmoid. Plain arithmetic, so a loop over it vectorises
// without a call and rounds the same in vector lanes and scalar tails (and, compiled without FMA
// contraction, the same on every instruction set).
#pragma once
#include <cstdint>

#if !defined(HNN_HD)
#if defined(__CUDACC__)
#define HNN_HD __host__ __device__ __forceinline__
#else
#define HNN_HD inline
#endif
#endif

namespace hnn {

// exp(x), branch-free so that a loop over it vectorises without a call (a call into libmvec
// spills every vector register of the loop around it): Cody-Waite reduction x = n ln2 + r,
// |r| <= ln2/2, and a degree-7 polynomial e^r = 1 + r + r^2 P(r) (the degree-5 minimax P of
// Cephes' expf), scaled by 2^n through the exponent bits. x is clamped to [-87.3, 88] (the
// result stays a normal float). Relative error at most 2.5e-7 (about 2 ulp) over the whole
// range: tests/spike/test_surrogate.cpp sweeps it against the double exp.
HNN_HD float fast_exp(float x) {
  x = x < -87.33654f ? -87.33654f : x;
  x = x > 88.0f ? 88.0f : x;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
  float k = x * 1.44269504088896341f + magic;
  float n = k - magic;
  uint32_t kb;
  __builtin_memcpy(&kb, &k, sizeof k);
  float r = x - n * 0.693359375f;  // ln 2 in two parts: the first is exact in float
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  // 2^n: n is the low bits of k. Unsigned, so that a NaN x (whose k has other bits) shifts without
  // undefined behaviour; y is NaN then and so is the result.
  const uint32_t sb = (kb - 0x4B400000u + 127u) << 23;
  float scale;
  __builtin_memcpy(&scale, &sb, sizeof sb);
  return y * scale;
}

}  // namespace hnn
