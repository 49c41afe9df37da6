// Raw fused multi-step neuron kernels on CPU (internal). Sequences are [T, N] contiguous with
// N = B * prod(features); parameters are either one value or N values (theta may be [T, N]).
#pragma once
#include <cstdint>

#include "hnn/spike/neuron.h"

namespace hnn::spike::cpu {

template <typename T>
struct ParamPtr {
  const T* p = nullptr;  // nullptr: use def
  bool per_neuron = false;
  T def = T(0);
};

template <typename T>
struct ForwardArgs {
  int64_t steps = 0, n = 0;
  NeuronSpec spec;
  const T* x = nullptr;
  const T* v0 = nullptr;
  const T* a0 = nullptr;  // adaptive only
  ParamPtr<T> theta, decay, v_reset, v_rest, rho, beta;
  bool theta_per_step = false;  // theta.p is [T, N]
  T* s = nullptr;               // [T, N]
  T* h = nullptr;               // [T, N], saved for backward (nullptr: h_bf16, or nothing saved)
  uint16_t* h_bf16 = nullptr;   // [T, N], h saved as bfloat16 instead (float only)
  T* v_seq = nullptr;           // [T, N] or nullptr
  T* a_seq = nullptr;           // [T, N], adaptive only
  T* v_last = nullptr;          // [N]
  T* a_last = nullptr;          // [N], adaptive only
};

template <typename T>
struct BackwardArgs {
  int64_t steps = 0, n = 0;
  NeuronSpec spec;
  const T* x = nullptr;  // needed for the LifOde decay gradient only
  const T* v0 = nullptr;
  const T* a0 = nullptr;
  ParamPtr<T> theta, decay, v_reset, v_rest, rho, beta;
  bool theta_per_step = false;
  const T* h = nullptr;
  const uint16_t* h_bf16 = nullptr;  // h as bfloat16 instead (float only)
  const T* a_seq = nullptr;
  const T* g_s = nullptr;       // [T, N] or nullptr
  const T* g_v = nullptr;       // [T, N] or nullptr
  const T* g_v_last = nullptr;  // [N] or nullptr
  const T* g_a_last = nullptr;  // [N] or nullptr
  T* g_x = nullptr;             // [T, N]
  T* g_v0 = nullptr;            // [N]
  T* g_a0 = nullptr;            // [N] or nullptr
  T* g_theta = nullptr;         // [N] or [T, N] (theta_per_step), or nullptr
  T* g_decay = nullptr;         // [N] or nullptr
  T* g_rho = nullptr;           // [N] or nullptr
  T* g_beta = nullptr;          // [N] or nullptr
};

// The instruction set the kernels run with: "sse2", "avx2" or "avx512".
const char* kernel_isa();

template <typename T>
void neuron_forward(const ForwardArgs<T>& a);
template <typename T>
void neuron_backward(const BackwardArgs<T>& a);

}  // namespace hnn::spike::cpu
