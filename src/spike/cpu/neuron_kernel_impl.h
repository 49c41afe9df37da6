// Fused CPU kernels (internal; compiled once per instruction set by neuron_kernel_<isa>.cpp with
// HNN_KERNEL_NS naming the namespace, and chosen at run time by neuron_kernel.cpp). Neurons are split into chunks of
// kChunk; each parallel task walks time for its chunk, reading and writing each step's slice of the sequences as one
// contiguous stream (so hardware prefetchers keep up), with the state and parameters in task-local buffers. Every
// sequence element is read or written once, nothing is allocated per step, and each step is one loop over the chunk,
// specialised at compile time on the charge form, the surrogate and adaptivity so it vectorises. Reset modes and flags
// enter as 0/1 coefficients; because spikes are exactly 0 or 1 this gives bit-identical results to the step formulas.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "spike/cpu/neuron_kernel.h"

// glibc's vector math library (libmvec) has SIMD versions of exp; declaring them lets the
// compiler vectorise the sigmoid surrogate of the double kernels (at most 4 ulp from the scalar
// functions). The float kernels inline hnn::fast_exp (hnn/core/fast_exp.h) instead of calling them.
extern "C" {
float expf(float) __attribute__((simd("notinbranch")));
double exp(double) __attribute__((simd("notinbranch")));
}

namespace hnn::spike::cpu::HNN_KERNEL_NS {
namespace {

constexpr int64_t kChunk = 8192;
constexpr int64_t kChunkBwd = 2048;  // backward: more work arrays, smaller chunks keep them in L2
// Chunk buffers of the calling thread, kept between calls: a fresh allocation per call goes back
// to the operating system when freed and has to be faulted in again (slow on large machines and VMs).
template <typename T>
T* thread_buffer(size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// The saved membrane as bfloat16 (SavedState::BFloat16): the upper half of the float, rounded up
// where the neuron spiked and down where it did not, so fire(h, theta) in the backward gives the
// forward's spike (h > theta, or >= when inclusive, holds for the rounded value exactly when it
// held for h). Truncation rounds toward zero, so a positive h that spiked and a negative one that
// did not take the next value away from zero. NaN stays NaN.
inline uint16_t bf16_keeping_spike(float h, float s) {
  uint32_t b;
  std::memcpy(&b, &h, sizeof b);
  uint32_t hi = b >> 16, lo = b & 0xFFFFu, negative = b >> 31, spiked = s != 0.0f;
  uint32_t special = (b & 0x7F800000u) == 0x7F800000u;  // inf or NaN: keep, with a NaN bit
  uint32_t up = (lo != 0) & (negative ^ spiked) & !special;
  return uint16_t(hi + up) | uint16_t(special & (lo != 0)) << 6;
}
inline float bf16_to_float(uint16_t v) {
  uint32_t b = uint32_t(v) << 16;
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
// Where a forward step puts h_t: the saved sequence in the input's type, bfloat16, or nowhere
// (inference). The backward's lean path reads it through the matching load.
template <typename T>
struct SaveFull {
  T* p;
  void operator()(int64_t i, T h, T) const { p[i] = h; }
};
template <typename T>
struct SaveBf16 {
  uint16_t* p;
  void operator()(int64_t i, T h, T s) const {
    if constexpr (std::is_same_v<T, float>) p[i] = bf16_keeping_spike(h, s);
  }
};
template <typename T>
struct SaveNone {
  void operator()(int64_t, T, T) const {}
};
template <typename T>
struct LoadBf16 {
  const uint16_t* p;
  T operator[](int64_t i) const { return T(bf16_to_float(p[i])); }
};
// Calls f with the save for step offset off.
template <typename T, typename F>
void with_save(const ForwardArgs<T>& A, int64_t off, F&& f) {
  if (A.h)
    f(SaveFull<T>{A.h + off});
  else if (A.h_bf16)
    f(SaveBf16<T>{A.h_bf16 + off});
  else
    f(SaveNone<T>{});
}
// Step t's saved membrane for a chunk (the general backward path): in place, or widened from
// bfloat16 into buf.
template <typename T>
const T* saved_h(const T* h, const uint16_t* h_bf16, int64_t off, int64_t n, T* __restrict buf) {
  if (!h_bf16) return h + off;
  const uint16_t* __restrict src = h_bf16 + off;
  for (int64_t i = 0; i < n; ++i) buf[i] = T(bf16_to_float(src[i]));
  return buf;
}

template <typename T>
void load(const ParamPtr<T>& p, int64_t i0, int64_t n, T* dst) {
  if (p.p && p.per_neuron) {
    std::memcpy(dst, p.p + i0, n * sizeof(T));
  } else {
    T v = p.p ? p.p[0] : p.def;
    std::fill(dst, dst + n, v);
  }
}

// Threshold of step t for this chunk: a pointer into the [T, N] sequence, or the chunk buffer.
template <typename T>
const T* theta_at(const ParamPtr<T>& p, bool per_step, int64_t t, int64_t N, int64_t i0, const T* buf) {
  return per_step ? p.p + t * N + i0 : buf;
}

template <Charge C, typename T>
inline T charge(T v, T x, T d, T vrest) {
  if constexpr (C == Charge::If) return v + x;
  if constexpr (C == Charge::LifDecay) return d * v + x;
  if constexpr (C == Charge::LifOde) return v + (x - (v - vrest)) * d;
}

struct Coeffs {
  double hard, soft, detach_keep, inclusive;
  explicit Coeffs(const NeuronSpec& s)
      : hard(s.reset == Reset::Hard),
        soft(s.reset == Reset::Soft),
        detach_keep(!s.detach_reset),
        inclusive(s.inclusive) {}
};

template <typename T>
inline T fire(T h, T the, T inclusive) {
  return static_cast<T>(h > the) + inclusive * static_cast<T>(h == the);
}

// v_t from h_t, s_t: Hard h(1-s) + vr s, Soft h - the s, None h (exact for s in {0, 1}).
template <typename T>
inline T reset(T h, T s, T the, T vr, T hard, T soft) {
  return h * (T(1) - hard * s) + hard * vr * s - soft * the * s;
}

// Chunks per parallel task: at least ~256k neuron-steps, so small problems stay on one thread.
int64_t grain_chunks(int64_t steps, int64_t chunk = kChunk) {
  return std::max<int64_t>(1, 262144 / (chunk * std::max<int64_t>(steps, 1)));
}

// Parameters seen by a step loop: one value per neuron, or one value for all (the common case,
// which saves a stream of loads per parameter).
template <typename T>
struct PerNeuron {
  const T* __restrict p;
  T operator[](int64_t i) const { return p[i]; }
};
template <typename T>
struct Uniform {
  T v;
  T operator[](int64_t) const { return v; }
};

// One forward step over a chunk (all pointers distinct, so the loop vectorises).
template <typename T, Charge C, bool Adaptive, typename PT, typename PP, typename Save>
void forward_step(int64_t n, T hard, T soft, T incl, const T* __restrict x, PT tht, PP d, PP vrest, PP vr, PP rho,
                  PP beta, T* __restrict v, T* __restrict a, T* __restrict s_out, Save save) {
  for (int64_t i = 0; i < n; ++i) {
    T the = Adaptive ? tht[i] + beta[i] * a[i] : tht[i];
    T h = charge<C>(v[i], x[i], d[i], vrest[i]);
    T s = fire(h, the, incl);
    v[i] = reset(h, s, the, vr[i], hard, soft);
    if (Adaptive) a[i] = rho[i] * a[i] + (T(1) - rho[i]) * s;
    s_out[i] = s;
    save(i, h, s);
  }
}

template <typename T, Charge C, bool Adaptive>
void forward_impl(const ForwardArgs<T>& A) {
  const int64_t N = A.n, TT = A.steps;
  const Coeffs k(A.spec);
  const T hard = k.hard, soft = k.soft, incl = k.inclusive;
  const int64_t chunks = (N + kChunk - 1) / kChunk;
  const bool uniform_theta = !A.theta.per_neuron;
  const bool uniform = !A.decay.per_neuron && !A.v_reset.per_neuron && !A.v_rest.per_neuron &&
                       (!Adaptive || (!A.rho.per_neuron && !A.beta.per_neuron));
  auto value = [](const ParamPtr<T>& p) { return p.p ? p.p[0] : p.def; };
  at::parallel_for(0, chunks, grain_chunks(TT), [&](int64_t cb, int64_t ce) {
    T *v = thread_buffer<T>(8 * kChunk), *a = v + kChunk, *th = a + kChunk, *d = th + kChunk, *vr = d + kChunk,
      *vrest = vr + kChunk, *rho = vrest + kChunk, *beta = rho + kChunk;
    for (int64_t c = cb; c < ce; ++c) {
      const int64_t i0 = c * kChunk, n = std::min(kChunk, N - i0);
      std::memcpy(v, A.v0 + i0, n * sizeof(T));
      load(A.decay, i0, n, d);
      load(A.v_reset, i0, n, vr);
      load(A.v_rest, i0, n, vrest);
      if (!A.theta_per_step) load(A.theta, i0, n, th);
      if (Adaptive) {
        std::memcpy(a, A.a0 + i0, n * sizeof(T));
        load(A.rho, i0, n, rho);
        load(A.beta, i0, n, beta);
      }
      for (int64_t t = 0; t < TT; ++t) {
        const int64_t off = t * N + i0;
        const T* tht = theta_at(A.theta, A.theta_per_step, t, N, i0, th);
        T* s_out = A.s + off;
        with_save(A, off, [&](auto save) {
          if (uniform) {
            Uniform<T> ud{value(A.decay)}, uvrest{value(A.v_rest)}, uvr{value(A.v_reset)}, urho{value(A.rho)},
                ubeta{value(A.beta)};
            if (uniform_theta) {
              forward_step<T, C, Adaptive>(n, hard, soft, incl, A.x + off, Uniform<T>{tht[0]}, ud, uvrest, uvr, urho,
                                           ubeta, v, a, s_out, save);
            } else {
              forward_step<T, C, Adaptive>(n, hard, soft, incl, A.x + off, PerNeuron<T>{tht}, ud, uvrest, uvr, urho,
                                           ubeta, v, a, s_out, save);
            }
          } else {
            forward_step<T, C, Adaptive>(n, hard, soft, incl, A.x + off, PerNeuron<T>{tht}, PerNeuron<T>{d},
                                         PerNeuron<T>{vrest}, PerNeuron<T>{vr}, PerNeuron<T>{rho}, PerNeuron<T>{beta},
                                         v, a, s_out, save);
          }
        });
        if (A.v_seq) std::memcpy(A.v_seq + off, v, n * sizeof(T));
        if (Adaptive) std::memcpy(A.a_seq + off, a, n * sizeof(T));
      }
      std::memcpy(A.v_last + i0, v, n * sizeof(T));
      if (Adaptive) std::memcpy(A.a_last + i0, a, n * sizeof(T));
    }
  });
}

// Gradients of step t: from the membrane h_t, the threshold, the incoming spike and membrane
// gradients, to dL/dh_t (gh) and dL/dtheta_t (gthe). ga is the adaptation carry's share.
template <typename T>
struct StepGrad {
  T gh, gthe, gs, s;
};
template <typename T, SurrogateKind K>
inline StepGrad<T> step_grad(T h, T the, T gs_in, T gv, T ga, T vr, T alpha, T hard, T soft, T keep, T incl) {
  T s = fire(h, the, incl);
  T sg = SurrogateFormula<K>::template derivative<T, T>(alpha, h - the);
  T dv_dh = T(1) - hard * s;
  T dv_ds = keep * (hard * (vr - h) - soft * the);
  T gs = gs_in + gv * dv_ds + ga;
  return {gv * dv_dh + gs * sg, -gs * sg - soft * gv * s, gs, s};
}

// dL/dh_t into the input gradient and the carry to step t-1 (v_{t-1} enters h_t through the charge).
template <Charge C, typename T>
inline void through_charge(T gh, T d, T& gx, T& cv) {
  if constexpr (C == Charge::If) {
    gx = gh;
    cv = gh;
  } else if constexpr (C == Charge::LifDecay) {
    gx = gh;
    cv = gh * d;
  } else {
    gx = gh * d;
    cv = gh * (T(1) - d);
  }
}

// The common case: no adaptation, no decay gradient, one threshold per neuron (not per step).
// Step t needs only h_t, so each step streams h, the spike gradient and the input gradient once
// and touches two chunk buffers (the membrane carry and the threshold gradient).
template <typename T, Charge C, SurrogateKind K, typename PP, typename H>
void backward_step_lean(int64_t n, T alpha, T hard, T soft, T keep, T incl, H h, const T* __restrict th,
                        const T* __restrict gs_in, const T* __restrict gv_in, PP d, PP vr, T* __restrict cv,
                        T* __restrict acc_th, T* __restrict gx) {
  for (int64_t i = 0; i < n; ++i) {
    auto g = step_grad<T, K>(h[i], th[i], gs_in[i], gv_in[i] + cv[i], T(0), vr[i], alpha, hard, soft, keep, incl);
    acc_th[i] += g.gthe;
    through_charge<C>(g.gh, d[i], gx[i], cv[i]);
  }
}

// One backward step over a chunk, general case: every pointer is distinct, so the loop vectorises.
template <typename T, Charge C, bool Adaptive, SurrogateKind K, typename PP>
void backward_step(int64_t n, T alpha, T hard, T soft, T keep, T incl, T use_prev, const T* __restrict hp,
                   const T* __restrict thp, const T* __restrict app, const T* __restrict v0, const T* __restrict gs_in,
                   const T* __restrict gv_in, const T* __restrict ap, const T* __restrict x, PP d, PP vr, PP vrest,
                   PP rho, PP beta, const T* __restrict cur_h, const T* __restrict cur_the, T* __restrict prev_h,
                   T* __restrict prev_the, T* __restrict cv, T* __restrict ca, T* __restrict acc_th,
                   T* __restrict acc_d, T* __restrict acc_rho, T* __restrict acc_beta, T* __restrict gx,
                   T* __restrict gthe_out) {
  for (int64_t i = 0; i < n; ++i) {
    // Recompute step t-1: membrane after reset, and keep h, threshold for the next pass.
    T hprev = hp[i];
    T the_prev = Adaptive ? thp[i] + beta[i] * app[i] : thp[i];
    T sprev = fire(hprev, the_prev, incl);
    T v_prev = use_prev * reset(hprev, sprev, the_prev, vr[i], hard, soft) + v0[i];
    prev_h[i] = hprev;
    prev_the[i] = the_prev;
    // Step t.
    T h = cur_h[i];
    auto g = step_grad<T, K>(h, cur_the[i], gs_in[i], gv_in[i] + cv[i], Adaptive ? ca[i] * (T(1) - rho[i]) : T(0),
                             vr[i], alpha, hard, soft, keep, incl);
    if (Adaptive) {
      acc_beta[i] += g.gthe * ap[i];
      acc_rho[i] += ca[i] * (ap[i] - g.s);
      ca[i] = ca[i] * rho[i] + g.gthe * beta[i];
    }
    acc_th[i] += g.gthe;
    gthe_out[i] = g.gthe;
    if constexpr (C == Charge::LifDecay) acc_d[i] += g.gh * v_prev;
    if constexpr (C == Charge::LifOde) acc_d[i] += g.gh * (x[i] - (v_prev - vrest[i]));
    through_charge<C>(g.gh, d[i], gx[i], cv[i]);
  }
}

template <typename T, Charge C, bool Adaptive, SurrogateKind K>
void backward_impl(const BackwardArgs<T>& A) {
  const int64_t N = A.n, TT = A.steps;
  const Coeffs k(A.spec);
  const T hard = k.hard, soft = k.soft, keep = k.detach_keep, incl = k.inclusive;
  const T alpha = (T)A.spec.surrogate.alpha;
  const bool want_decay = A.g_decay != nullptr;
  const bool lean = !Adaptive && !want_decay && !A.theta_per_step;
  const bool uniform = !A.decay.per_neuron && !A.v_reset.per_neuron && !A.v_rest.per_neuron &&
                       (!Adaptive || (!A.rho.per_neuron && !A.beta.per_neuron));
  auto value = [](const ParamPtr<T>& p) { return p.p ? p.p[0] : p.def; };
  const int64_t chunks = (N + kChunkBwd - 1) / kChunkBwd;
  at::parallel_for(0, chunks, grain_chunks(TT, kChunkBwd), [&](int64_t cb, int64_t ce) {
    T* p = thread_buffer<T>(20 * kChunkBwd);
    auto next = [&] {
      T* q = p;
      p += kChunkBwd;
      return q;
    };
    T *d = next(), *vr = next(), *vrest = next(), *rho = next(), *beta = next(), *th = next(), *zeros = next();
    T *cur_h = next(), *cur_the = next(), *prev_h = next(), *prev_the = next();
    T *cv = next(), *ca = next(), *acc_th = next(), *acc_d = next(), *acc_rho = next(), *acc_beta = next();
    T* scratch = next();
    T* hbuf = next();  // a step's membrane widened from bfloat16
    std::fill(zeros, zeros + kChunkBwd, T(0));
    // The chunk's gradients for the initial state and the per-neuron parameters.
    auto finish = [&](int64_t i0, int64_t n) {
      std::memcpy(A.g_v0 + i0, cv, n * sizeof(T));
      if (A.g_a0) std::memcpy(A.g_a0 + i0, ca, n * sizeof(T));
      if (A.g_theta && !A.theta_per_step) std::memcpy(A.g_theta + i0, acc_th, n * sizeof(T));
      if (A.g_decay) std::memcpy(A.g_decay + i0, acc_d, n * sizeof(T));
      if (A.g_rho) std::memcpy(A.g_rho + i0, acc_rho, n * sizeof(T));
      if (A.g_beta) std::memcpy(A.g_beta + i0, acc_beta, n * sizeof(T));
    };
    for (int64_t c = cb; c < ce; ++c) {
      const int64_t i0 = c * kChunkBwd, n = std::min(kChunkBwd, N - i0);
      load(A.decay, i0, n, d);
      load(A.v_reset, i0, n, vr);
      load(A.v_rest, i0, n, vrest);
      if (!A.theta_per_step) load(A.theta, i0, n, th);
      if (Adaptive) {
        load(A.rho, i0, n, rho);
        load(A.beta, i0, n, beta);
      }
      for (int64_t i = 0; i < n; ++i) {
        cv[i] = A.g_v_last ? A.g_v_last[i0 + i] : T(0);
        ca[i] = A.g_a_last ? A.g_a_last[i0 + i] : T(0);
        acc_th[i] = acc_d[i] = acc_rho[i] = acc_beta[i] = T(0);
      }
      if constexpr (!Adaptive) {
        if (lean) {
          for (int64_t t = TT - 1; t >= 0; --t) {
            const int64_t off = t * N + i0;
            auto run = [&](auto dd, auto vvr, auto h) {
              backward_step_lean<T, C, K>(n, alpha, hard, soft, keep, incl, h, th, A.g_s ? A.g_s + off : zeros,
                                          A.g_v ? A.g_v + off : zeros, dd, vvr, cv, acc_th, A.g_x + off);
            };
            // The saved membrane as stored: read in place, or widened from bfloat16 as it is read.
            auto with_h = [&](auto dd, auto vvr) {
              if (A.h_bf16)
                run(dd, vvr, LoadBf16<T>{A.h_bf16 + off});
              else
                run(dd, vvr, PerNeuron<T>{A.h + off});
            };
            if (uniform)
              with_h(Uniform<T>{value(A.decay)}, Uniform<T>{value(A.v_reset)});
            else
              with_h(PerNeuron<T>{d}, PerNeuron<T>{vr});
          }
          finish(i0, n);
          continue;
        }
      }
      // a_{t-1}, the adaptation before step t (a0 before the first step).
      auto a_before = [&](int64_t t) -> const T* { return t > 0 ? A.a_seq + (t - 1) * N + i0 : A.a0 + i0; };
      // Step T-1's membrane and effective threshold; later steps come from the previous pass.
      {
        const T* h = saved_h(A.h, A.h_bf16, (TT - 1) * N + i0, n, hbuf);
        const T* tht = theta_at(A.theta, A.theta_per_step, TT - 1, N, i0, th);
        const T* ap = Adaptive ? a_before(TT - 1) : zeros;
        for (int64_t i = 0; i < n; ++i) {
          cur_h[i] = h[i];
          cur_the[i] = Adaptive ? tht[i] + beta[i] * ap[i] : tht[i];
        }
      }
      for (int64_t t = TT - 1; t >= 0; --t) {
        const int64_t off = t * N + i0;
        const bool first = t == 0;
        // Step t-1 (for v_{t-1}); at t = 0 the state before is v0.
        auto run = [&](auto dd, auto vvr, auto vvrest, auto rr, auto bb) {
          backward_step<T, C, Adaptive, K>(
              n, alpha, hard, soft, keep, incl, first ? T(0) : T(1),
              first ? zeros : saved_h(A.h, A.h_bf16, off - N, n, hbuf),
              first ? zeros : theta_at(A.theta, A.theta_per_step, t - 1, N, i0, th),
              Adaptive && !first ? a_before(t - 1) : zeros, first ? A.v0 + i0 : zeros, A.g_s ? A.g_s + off : zeros,
              A.g_v ? A.g_v + off : zeros, Adaptive ? a_before(t) : zeros,
              want_decay && C == Charge::LifOde ? A.x + off : zeros, dd, vvr, vvrest, rr, bb, cur_h, cur_the, prev_h,
              prev_the, cv, ca, acc_th, acc_d, acc_rho, acc_beta, A.g_x + off,
              A.theta_per_step && A.g_theta ? A.g_theta + off : scratch);
        };
        if (uniform) {
          run(Uniform<T>{value(A.decay)}, Uniform<T>{value(A.v_reset)}, Uniform<T>{value(A.v_rest)},
              Uniform<T>{value(A.rho)}, Uniform<T>{value(A.beta)});
        } else {
          run(PerNeuron<T>{d}, PerNeuron<T>{vr}, PerNeuron<T>{vrest}, PerNeuron<T>{rho}, PerNeuron<T>{beta});
        }
        std::swap(cur_h, prev_h);
        std::swap(cur_the, prev_the);
      }
      finish(i0, n);
    }
  });
}

template <typename T, Charge C, bool Adaptive>
void backward_surrogate(const BackwardArgs<T>& A) {
  dispatch_surrogate(A.spec.surrogate.kind, [&](auto k) { backward_impl<T, C, Adaptive, decltype(k)::value>(A); });
}

// Calls F<Charge, Adaptive>::run(args) for the spec's charge form and adaptivity.
template <template <Charge, bool> class F, typename Args>
void dispatch(const NeuronSpec& s, const Args& a) {
  switch (s.charge) {
    case Charge::If:
      return s.adaptive ? F<Charge::If, true>::run(a) : F<Charge::If, false>::run(a);
    case Charge::LifDecay:
      return s.adaptive ? F<Charge::LifDecay, true>::run(a) : F<Charge::LifDecay, false>::run(a);
    case Charge::LifOde:
      return s.adaptive ? F<Charge::LifOde, true>::run(a) : F<Charge::LifOde, false>::run(a);
  }
}

template <typename T>
struct Fwd {
  template <Charge C, bool Ad>
  struct F {
    static void run(const ForwardArgs<T>& a) { forward_impl<T, C, Ad>(a); }
  };
};
template <typename T>
struct Bwd {
  template <Charge C, bool Ad>
  struct F {
    static void run(const BackwardArgs<T>& a) { backward_surrogate<T, C, Ad>(a); }
  };
};

}  // namespace

void forward(const ForwardArgs<float>& a) {
  dispatch<Fwd<float>::template F>(a.spec, a);
}
void forward(const ForwardArgs<double>& a) {
  dispatch<Fwd<double>::template F>(a.spec, a);
}
void backward(const BackwardArgs<float>& a) {
  dispatch<Bwd<float>::template F>(a.spec, a);
}
void backward(const BackwardArgs<double>& a) {
  dispatch<Bwd<double>::template F>(a.spec, a);
}

}  // namespace hnn::spike::cpu::HNN_KERNEL_NS
