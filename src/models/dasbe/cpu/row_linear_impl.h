// The row-stable dense layer, compiled once per instruction set (HNN_KERNEL_NS names it). ISO C++
// mode keeps FMA contraction off, so the variants agree bit for bit; the activations are scalar
// per element (the same code for every element, wherever it sits in the row).
#include <cmath>
#include <cstring>
#include <vector>

#include "models/dasbe/cpu/row_linear.h"

namespace hnn::models::dasbe::cpu::HNN_KERNEL_NS {

void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1) {
  const int64_t I = a.I, O = a.O;
  for (int64_t b = b0; b < b1; ++b) {
    float* __restrict acc = a.out + b * O;
    if (a.bias)
      std::memcpy(acc, a.bias, sizeof(float) * O);
    else
      std::memset(acc, 0, sizeof(float) * O);
    const float* x = a.in + b * I;
    for (int64_t i = 0; i < I; ++i) {
      const float v = x[i];
      if (v == 0.0f) continue;
      const float* __restrict w = a.wt + i * O;
      for (int64_t j = 0; j < O; ++j) acc[j] += v * w[j];
    }
    switch (a.act) {
      case Activation::Relu:
        for (int64_t j = 0; j < O; ++j) acc[j] = acc[j] > 0.0f ? acc[j] : 0.0f;
        break;
      case Activation::Sigmoid:
        for (int64_t j = 0; j < O; ++j) {
          volatile float e = std::exp(-acc[j]);  // one scalar libm call per element in every variant
          acc[j] = 1.0f / (1.0f + e);
        }
        break;
      case Activation::None:
        break;
    }
  }
}

}  // namespace hnn::models::dasbe::cpu::HNN_KERNEL_NS
