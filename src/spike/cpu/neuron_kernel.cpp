// Fused CPU kernels. Work is split into chunks of kChunk neurons; each chunk runs the whole
// time loop with its state in small local arrays (L1), so every sequence element is read or
// written exactly once, nothing is allocated per step, and the inner loops (one per stage, with
// the mode switches hoisted out) vectorise. Chunks run in parallel with at::parallel_for.
#include "spike/cpu/neuron_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>

namespace hnn::spike::cpu {
namespace {

constexpr int64_t kChunk = 256;

template <typename T>
void load(const ParamPtr<T>& p, int64_t i0, int64_t n, T* dst) {
  if (p.p && p.per_neuron) {
    std::memcpy(dst, p.p + i0, n * sizeof(T));
  } else {
    T v = p.p ? p.p[0] : p.def;
    for (int64_t i = 0; i < n; ++i) dst[i] = v;
  }
}

template <typename T>
void load_theta(const ParamPtr<T>& p, bool per_step, int64_t t, int64_t N, int64_t i0, int64_t n, T* dst) {
  if (per_step) {
    std::memcpy(dst, p.p + t * N + i0, n * sizeof(T));
  } else {
    load(p, i0, n, dst);
  }
}

template <typename T>
void charge(Charge c, int64_t n, const T* __restrict v, const T* __restrict x, const T* __restrict d,
            const T* __restrict vrest, T* __restrict h) {
  switch (c) {
    case Charge::If:
      for (int64_t i = 0; i < n; ++i) h[i] = v[i] + x[i];
      break;
    case Charge::LifDecay:
      for (int64_t i = 0; i < n; ++i) h[i] = d[i] * v[i] + x[i];
      break;
    case Charge::LifOde:
      for (int64_t i = 0; i < n; ++i) h[i] = v[i] + (x[i] - (v[i] - vrest[i])) * d[i];
      break;
  }
}

template <typename T>
void fire(bool inclusive, int64_t n, const T* __restrict h, const T* __restrict the, T* __restrict s) {
  if (inclusive) {
    for (int64_t i = 0; i < n; ++i) s[i] = h[i] >= the[i] ? T(1) : T(0);
  } else {
    for (int64_t i = 0; i < n; ++i) s[i] = h[i] > the[i] ? T(1) : T(0);
  }
}

template <typename T>
void reset(Reset r, int64_t n, const T* __restrict h, const T* __restrict s, const T* __restrict the,
           const T* __restrict vr, T* __restrict v) {
  switch (r) {
    case Reset::Hard:
      for (int64_t i = 0; i < n; ++i) v[i] = h[i] * (T(1) - s[i]) + vr[i] * s[i];
      break;
    case Reset::Soft:
      for (int64_t i = 0; i < n; ++i) v[i] = h[i] - the[i] * s[i];
      break;
    case Reset::None:
      for (int64_t i = 0; i < n; ++i) v[i] = h[i];
      break;
  }
}

// Effective threshold theta_t (+ beta a_{t-1} when adaptive).
template <typename T>
void effective_threshold(bool adaptive, int64_t n, const T* __restrict th, const T* __restrict beta,
                         const T* __restrict a_prev, T* __restrict the) {
  if (adaptive) {
    for (int64_t i = 0; i < n; ++i) the[i] = th[i] + beta[i] * a_prev[i];
  } else {
    std::memcpy(the, th, n * sizeof(T));
  }
}

template <typename T, SurrogateKind K>
void surrogate_loop(int64_t n, T alpha, const T* __restrict h, const T* __restrict the, T* __restrict sg) {
  for (int64_t i = 0; i < n; ++i) sg[i] = surrogate_derivative<T>(K, alpha, h[i] - the[i]);
}

template <typename T>
void surrogate(const Surrogate& s, int64_t n, const T* h, const T* the, T* sg) {
  T a = (T)s.alpha;
  switch (s.kind) {
    case SurrogateKind::Rectangular: return surrogate_loop<T, SurrogateKind::Rectangular>(n, a, h, the, sg);
    case SurrogateKind::Sigmoid: return surrogate_loop<T, SurrogateKind::Sigmoid>(n, a, h, the, sg);
    case SurrogateKind::Arctan: return surrogate_loop<T, SurrogateKind::Arctan>(n, a, h, the, sg);
    case SurrogateKind::FastSigmoid: return surrogate_loop<T, SurrogateKind::FastSigmoid>(n, a, h, the, sg);
    case SurrogateKind::Triangle: return surrogate_loop<T, SurrogateKind::Triangle>(n, a, h, the, sg);
  }
}

int64_t grain_chunks(int64_t steps) {
  // Aim for >= ~64k element-steps per task so small problems stay on one thread.
  return std::max<int64_t>(1, 65536 / (kChunk * std::max<int64_t>(steps, 1)));
}

}  // namespace

template <typename T>
void neuron_forward(const ForwardArgs<T>& A) {
  const int64_t N = A.n, TT = A.steps;
  const NeuronSpec& sp = A.spec;
  const int64_t chunks = (N + kChunk - 1) / kChunk;
  at::parallel_for(0, chunks, grain_chunks(TT), [&](int64_t cb, int64_t ce) {
    alignas(64) T v[kChunk], a[kChunk], th[kChunk], the[kChunk], d[kChunk], vr[kChunk], vrest[kChunk],
        rho[kChunk], beta[kChunk], h[kChunk], s[kChunk];
    for (int64_t c = cb; c < ce; ++c) {
      const int64_t i0 = c * kChunk, n = std::min(kChunk, N - i0);
      std::memcpy(v, A.v0 + i0, n * sizeof(T));
      load(A.decay, i0, n, d);
      load(A.v_reset, i0, n, vr);
      load(A.v_rest, i0, n, vrest);
      if (!A.theta_per_step) load(A.theta, i0, n, th);
      if (sp.adaptive) {
        std::memcpy(a, A.a0 + i0, n * sizeof(T));
        load(A.rho, i0, n, rho);
        load(A.beta, i0, n, beta);
      }
      for (int64_t t = 0; t < TT; ++t) {
        const int64_t off = t * N + i0;
        if (A.theta_per_step) load_theta(A.theta, true, t, N, i0, n, th);
        effective_threshold(sp.adaptive, n, th, beta, a, the);
        charge(sp.charge, n, v, A.x + off, d, vrest, h);
        fire(sp.inclusive, n, h, the, s);
        reset(sp.reset, n, h, s, the, vr, v);
        if (sp.adaptive) {
          for (int64_t i = 0; i < n; ++i) a[i] = rho[i] * a[i] + (T(1) - rho[i]) * s[i];
          std::memcpy(A.a_seq + off, a, n * sizeof(T));
        }
        std::memcpy(A.s + off, s, n * sizeof(T));
        std::memcpy(A.h + off, h, n * sizeof(T));
        if (A.v_seq) std::memcpy(A.v_seq + off, v, n * sizeof(T));
      }
      std::memcpy(A.v_last + i0, v, n * sizeof(T));
      if (sp.adaptive) std::memcpy(A.a_last + i0, a, n * sizeof(T));
    }
  });
}

template <typename T>
void neuron_backward(const BackwardArgs<T>& A) {
  const int64_t N = A.n, TT = A.steps;
  const NeuronSpec& sp = A.spec;
  const int64_t chunks = (N + kChunk - 1) / kChunk;
  const bool hard = sp.reset == Reset::Hard, soft = sp.reset == Reset::Soft;
  at::parallel_for(0, chunks, grain_chunks(TT), [&](int64_t cb, int64_t ce) {
    alignas(64) T d[kChunk], vr[kChunk], vrest[kChunk], rho[kChunk], beta[kChunk];
    alignas(64) T th[kChunk], cur_h[kChunk], cur_s[kChunk], cur_the[kChunk];
    alignas(64) T prev_h[kChunk], prev_s[kChunk], prev_the[kChunk], v_prev[kChunk], zeros[kChunk];
    alignas(64) T cv[kChunk], ca[kChunk], sg[kChunk], gh[kChunk], gthe[kChunk], gx[kChunk];
    alignas(64) T acc_th[kChunk], acc_d[kChunk], acc_rho[kChunk], acc_beta[kChunk];
    std::fill(zeros, zeros + kChunk, T(0));
    for (int64_t c = cb; c < ce; ++c) {
      const int64_t i0 = c * kChunk, n = std::min(kChunk, N - i0);
      load(A.decay, i0, n, d);
      load(A.v_reset, i0, n, vr);
      load(A.v_rest, i0, n, vrest);
      if (sp.adaptive) {
        load(A.rho, i0, n, rho);
        load(A.beta, i0, n, beta);
      }
      for (int64_t i = 0; i < n; ++i) {
        cv[i] = A.g_v_last ? A.g_v_last[i0 + i] : T(0);
        ca[i] = A.g_a_last ? A.g_a_last[i0 + i] : T(0);
        acc_th[i] = acc_d[i] = acc_rho[i] = acc_beta[i] = T(0);
      }
      // a_{t-1} for step t (a0 before the first step).
      auto a_before = [&](int64_t t) -> const T* {
        return t > 0 ? A.a_seq + (t - 1) * N + i0 : A.a0 + i0;
      };
      // Recomputes threshold and spikes of step t from the saved membrane.
      auto recompute = [&](int64_t t, T* hh, T* ss, T* tt) {
        std::memcpy(hh, A.h + t * N + i0, n * sizeof(T));
        load_theta(A.theta, A.theta_per_step, t, N, i0, n, th);
        effective_threshold(sp.adaptive, n, th, beta, sp.adaptive ? a_before(t) : zeros, tt);
        fire(sp.inclusive, n, hh, tt, ss);
      };
      recompute(TT - 1, cur_h, cur_s, cur_the);
      for (int64_t t = TT - 1; t >= 0; --t) {
        const int64_t off = t * N + i0;
        if (t > 0) {
          recompute(t - 1, prev_h, prev_s, prev_the);
          reset(sp.reset, n, prev_h, prev_s, prev_the, vr, v_prev);
        } else {
          std::memcpy(v_prev, A.v0 + i0, n * sizeof(T));
        }
        surrogate(sp.surrogate, n, cur_h, cur_the, sg);
        const T* gs_in = A.g_s ? A.g_s + off : zeros;
        const T* gv_in = A.g_v ? A.g_v + off : zeros;
        const T* a_prev = sp.adaptive ? a_before(t) : zeros;
        for (int64_t i = 0; i < n; ++i) {
          T gv = gv_in[i] + cv[i];
          T dv_ds = T(0), dv_dh = T(1), dv_dthe = T(0);
          if (hard) {
            dv_dh = T(1) - cur_s[i];
            if (!sp.detach_reset) dv_ds = vr[i] - cur_h[i];
          } else if (soft) {
            dv_dthe = -cur_s[i];
            if (!sp.detach_reset) dv_ds = -cur_the[i];
          }
          T gs = gs_in[i] + gv * dv_ds;
          if (sp.adaptive) gs += ca[i] * (T(1) - rho[i]);
          gh[i] = gv * dv_dh + gs * sg[i];
          gthe[i] = -gs * sg[i] + gv * dv_dthe;
        }
        if (sp.adaptive) {
          for (int64_t i = 0; i < n; ++i) {
            acc_beta[i] += gthe[i] * a_prev[i];
            acc_rho[i] += ca[i] * (a_prev[i] - cur_s[i]);
            ca[i] = ca[i] * rho[i] + gthe[i] * beta[i];
          }
        }
        if (A.theta_per_step) {
          if (A.g_theta) std::memcpy(A.g_theta + off, gthe, n * sizeof(T));
        } else {
          for (int64_t i = 0; i < n; ++i) acc_th[i] += gthe[i];
        }
        switch (sp.charge) {
          case Charge::If:
            for (int64_t i = 0; i < n; ++i) gx[i] = cv[i] = gh[i];
            break;
          case Charge::LifDecay:
            for (int64_t i = 0; i < n; ++i) {
              gx[i] = gh[i];
              acc_d[i] += gh[i] * v_prev[i];
              cv[i] = gh[i] * d[i];
            }
            break;
          case Charge::LifOde:
            if (A.g_decay) {
              const T* xt = A.x + off;
              for (int64_t i = 0; i < n; ++i) acc_d[i] += gh[i] * (xt[i] - (v_prev[i] - vrest[i]));
            }
            for (int64_t i = 0; i < n; ++i) {
              gx[i] = gh[i] * d[i];
              cv[i] = gh[i] * (T(1) - d[i]);
            }
            break;
        }
        std::memcpy(A.g_x + off, gx, n * sizeof(T));
        std::swap_ranges(cur_h, cur_h + n, prev_h);
        std::swap_ranges(cur_s, cur_s + n, prev_s);
        std::swap_ranges(cur_the, cur_the + n, prev_the);
      }
      std::memcpy(A.g_v0 + i0, cv, n * sizeof(T));
      if (A.g_a0) std::memcpy(A.g_a0 + i0, ca, n * sizeof(T));
      if (A.g_theta && !A.theta_per_step) std::memcpy(A.g_theta + i0, acc_th, n * sizeof(T));
      if (A.g_decay) std::memcpy(A.g_decay + i0, acc_d, n * sizeof(T));
      if (A.g_rho) std::memcpy(A.g_rho + i0, acc_rho, n * sizeof(T));
      if (A.g_beta) std::memcpy(A.g_beta + i0, acc_beta, n * sizeof(T));
    }
  });
}

template void neuron_forward<float>(const ForwardArgs<float>&);
template void neuron_forward<double>(const ForwardArgs<double>&);
template void neuron_backward<float>(const BackwardArgs<float>&);
template void neuron_backward<double>(const BackwardArgs<double>&);

}  // namespace hnn::spike::cpu
