// Scalar surrogate derivatives shared by the CPU and CUDA kernels and the autograd spike
// function. x = membrane - threshold; alpha is the width (rectangular, triangle) or sharpness.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define HNN_HD __host__ __device__ __forceinline__
#else
#define HNN_HD inline
#endif

namespace hnn::spike {

enum class SurrogateKind : int32_t { Rectangular = 0, Sigmoid = 1, Arctan = 2, FastSigmoid = 3, Triangle = 4 };

template <typename T>
HNN_HD T surrogate_derivative(SurrogateKind kind, T alpha, T x) {
  switch (kind) {
    case SurrogateKind::Rectangular:  // box of width alpha and area 1 around the threshold
      // Written as arithmetic (no branches) so the CPU kernels vectorise; 1/alpha is loop
      // invariant, so a kernel multiplies instead of dividing (the same value: the mask is 0 or 1).
      return static_cast<T>(x < alpha / T(2)) * static_cast<T>(x > -alpha / T(2)) * (T(1) / alpha);
    case SurrogateKind::Sigmoid: {  // derivative of sigmoid(alpha x)
      T s = T(1) / (T(1) + exp(-alpha * x));
      return alpha * s * (T(1) - s);
    }
    case SurrogateKind::Arctan: {  // derivative of atan(pi/2 alpha x)/pi + 1/2
      T z = T(1.5707963267948966) * alpha * x;
      return alpha / (T(2) * (T(1) + z * z));
    }
    case SurrogateKind::FastSigmoid: {  // SuperSpike: 1 / (1 + alpha |x|)^2
      T d = T(1) + alpha * fabs(x);
      return T(1) / (d * d);
    }
    case SurrogateKind::Triangle: {  // half-width alpha, area 1
      T inv = T(1) / alpha;          // loop invariant: the kernels multiply
      T r = T(1) - fabs(x) * inv;
      return fmax(r, T(0)) * inv;
    }
  }
  return T(0);
}

}  // namespace hnn::spike
