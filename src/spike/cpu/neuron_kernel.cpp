// Picks the widest instruction set this CPU runs, once.
#include "spike/cpu/neuron_kernel.h"

#include <cstdlib>
#include <cstring>

namespace hnn::spike::cpu {

#define HNN_DECLARE_ISA(ns)                     \
  namespace ns {                                \
  void forward(const ForwardArgs<float>& a);    \
  void forward(const ForwardArgs<double>& a);   \
  void backward(const BackwardArgs<float>& a);  \
  void backward(const BackwardArgs<double>& a); \
  }
HNN_DECLARE_ISA(sse2)
HNN_DECLARE_ISA(avx2)
HNN_DECLARE_ISA(avx512)

namespace {
enum class Isa { Sse2, Avx2, Avx512 };
Isa detect() {
  // HNN_CPU_ISA=sse2|avx2|avx512 caps the choice (for comparisons and debugging).
  const char* cap = std::getenv("HNN_CPU_ISA");
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  if (cap && std::strcmp(cap, "sse2") == 0) return Isa::Sse2;
  if (cap && std::strcmp(cap, "avx2") == 0) return avx2 ? Isa::Avx2 : Isa::Sse2;
  return avx512 ? Isa::Avx512 : avx2 ? Isa::Avx2 : Isa::Sse2;
}
Isa isa() {
  static const Isa i = detect();
  return i;
}
}  // namespace

const char* kernel_isa() {
  switch (isa()) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "sse2";
  }
}

template <typename T>
void neuron_forward(const ForwardArgs<T>& a) {
  switch (isa()) {
    case Isa::Avx512:
      return avx512::forward(a);
    case Isa::Avx2:
      return avx2::forward(a);
    default:
      return sse2::forward(a);
  }
}

template <typename T>
void neuron_backward(const BackwardArgs<T>& a) {
  switch (isa()) {
    case Isa::Avx512:
      return avx512::backward(a);
    case Isa::Avx2:
      return avx2::backward(a);
    default:
      return sse2::backward(a);
  }
}

template void neuron_forward<float>(const ForwardArgs<float>&);
template void neuron_forward<double>(const ForwardArgs<double>&);
template void neuron_backward<float>(const BackwardArgs<float>&);
template void neuron_backward<double>(const BackwardArgs<double>&);

}  // namespace hnn::spike::cpu
