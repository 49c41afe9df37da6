// Functional spiking neurons: one pure step and a fused multi-step over a whole sequence.
// Shapes: a step takes input [B, ...] and state [B, ...]; a sequence takes input [T, B, ...]
// (time-major) and returns spikes and (optionally) membrane [T, B, ...] plus the final state.
//
// Every neuron is charge -> fire -> reset:
//   charge  If:        h_t = v_{t-1} + x_t
//           LifOde:    h_t = v_{t-1} + k (x_t - (v_{t-1} - v_rest))          (k = 1 / tau)
//           LifDecay:  h_t = d v_{t-1} + x_t     (with hard reset to 0 this is the reference
//                      systems' u_t = d u_{t-1} (1 - s_{t-1}) + I_t)
//   fire    s_t = H(h_t - theta_t)  (">" or, when inclusive, ">="), surrogate gradient backward
//           adaptive (ALIF): theta_t = theta + beta a_{t-1},  a_t = rho a_{t-1} + (1 - rho) s_t
//   reset   Hard: v_t = h_t (1 - s_t) + v_reset s_t;  Soft: v_t = h_t - theta_t s_t;  None: v_t = h_t
// Every parameter is a tensor broadcast against the state [B, ...]: a scalar, per channel
// (e.g. [C, 1, 1]) or per neuron. A threshold with as many dimensions as the input sequence
// varies per time step.
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>
#include <string>

#include "hnn/spike/surrogate.h"

namespace hnn::spike {

enum class Charge : int32_t { If = 0, LifOde = 1, LifDecay = 2 };
enum class Reset : int32_t { Hard = 0, Soft = 1, None = 2 };
// What the fused kernel keeps of the forward for the backward: the pre-spike membrane h [T, B, ...]
// as the input's type (Full), or as bfloat16 (half the bytes: training memory and bandwidth),
// rounded toward the side of the threshold the neuron was on, so the backward recomputes the same
// spikes; h is then off by less than 2^-7 relative (docs/spiking.md has the measured gradient
// error). BFloat16 applies to float inputs of the fused CPU kernel; double inputs and the
// per-step loop keep full precision.
enum class SavedState : int32_t { Full = 0, BFloat16 = 1 };

struct NeuronSpec {
  Charge charge = Charge::LifDecay;
  Reset reset = Reset::Hard;
  bool detach_reset = false;  // no gradient through the reset's dependence on the spike
  bool inclusive = false;     // fire on h >= theta instead of h > theta
  bool adaptive = false;      // ALIF adaptive threshold
  Surrogate surrogate;
  SavedState saved_state = SavedState::Full;
};

std::string to_string(Charge c);
std::string to_string(Reset r);
Charge parse_charge(const std::string& s);  // "if", "lif_ode", "lif_decay"
Reset parse_reset(const std::string& s);    // "hard", "soft", "none"
std::string to_string(SavedState s);
SavedState parse_saved_state(const std::string& s);  // "full", "bfloat16"

// Undefined tensors take the defaults in brackets.
struct NeuronParams {
  at::Tensor threshold;  // theta [1]
  at::Tensor decay;      // LifOde: k = 1/tau [0.5]; LifDecay: d [0.5]; If: unused
  at::Tensor v_reset;    // hard-reset value and initial membrane [0]
  at::Tensor v_rest;     // LifOde leak target [0]
  at::Tensor rho;        // adaptive: trace decay [0.9]
  at::Tensor beta;       // adaptive: threshold increase per unit trace [0.5]
};

struct NeuronState {
  at::Tensor v;  // membrane [B, ...]
  at::Tensor a;  // adaptation trace [B, ...] (adaptive neurons only)
};

struct StepResult {
  at::Tensor spikes;    // [B, ...]
  at::Tensor membrane;  // v_t after reset [B, ...]
  at::Tensor charged;   // h_t, after charging and before the reset [B, ...]
  NeuronState state;
};

struct SequenceResult {
  at::Tensor spikes;    // [T, B, ...]
  at::Tensor membrane;  // v_t after reset [T, B, ...]; undefined unless asked for
  NeuronState state;    // state after the last step
};

// A custom neuron: the parts of a step as functions, for dynamics the built-in charge forms do not
// cover (SpikingJelly's neuronal_charge). Parts left empty are the built-in ones of the spec, so
// giving only `charge` keeps the spec's fire (surrogate) and reset. In the functions, `p` has every
// parameter defined (defaults filled in) and `theta` is this step's threshold (with the adaptive
// part). A custom neuron runs the per-step loop with autograd (no fused kernel); see
// docs/spiking.md for adding a fused one. Example, a quadratic integrate-and-fire neuron:
//   NeuronDynamics qif;
//   qif.charge = [](const at::Tensor& v, const at::Tensor& x, const NeuronParams& p) {
//     return v + p.decay * (x + (v - p.v_rest) * (v - p.v_rest));
//   };
struct NeuronDynamics {
  // h_t from the previous membrane v_{t-1} and the input x_t.
  std::function<at::Tensor(const at::Tensor& v, const at::Tensor& x, const NeuronParams& p)> charge;
  // s_t from h_t (built-in: spike(h - theta) with the spec's surrogate).
  std::function<at::Tensor(const at::Tensor& h, const at::Tensor& theta, const NeuronParams& p)> fire;
  // v_t from h_t and s_t (built-in: the spec's reset, with detach_reset).
  std::function<at::Tensor(const at::Tensor& h, const at::Tensor& s, const at::Tensor& theta, const NeuronParams& p)>
      reset;
  bool custom() const { return charge || fire || reset; }
};

// The state a neuron starts from: v = v_reset (broadcast), a = 0. step_input is [B, ...].
NeuronState initial_state(const at::Tensor& step_input, const NeuronParams& p, const NeuronSpec& spec);

// One time step in plain LibTorch ops (autograd through the surrogate spike function).
// theta must not be per time step here; pass the slice for this step.
StepResult step(const at::Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec);

// The same with some or all parts given as functions (a custom neuron).
StepResult step(const at::Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                const NeuronDynamics& dynamics);

// A whole sequence [T, B, ...]. Runs the fused CPU kernel for float and double CPU tensors,
// else (other devices and types, a learned v_reset or v_rest, whose gradients the kernel does
// not compute) the step loop. Undefined state means initial_state().
SequenceResult multistep(const at::Tensor& x, const NeuronState& state, const NeuronParams& p, const NeuronSpec& spec,
                         bool want_membrane = false);

// The same through a plain per-step loop of step(): the reference for tests and benchmarks.
SequenceResult multistep_loop(const at::Tensor& x, const NeuronState& state, const NeuronParams& p,
                              const NeuronSpec& spec, bool want_membrane = false);
// The step loop of a custom neuron (autograd through every step).
SequenceResult multistep_loop(const at::Tensor& x, const NeuronState& state, const NeuronParams& p,
                              const NeuronSpec& spec, const NeuronDynamics& dynamics, bool want_membrane = false);

// True when multistep() will use a fused kernel for this input.
bool has_fused_kernel(const at::Tensor& x);

// The instruction set the fused CPU kernels run with on this machine: "avx512", "avx2" or "sse2"
// (capped by the environment variable HNN_CPU_ISA).
const char* fused_kernel_isa();

}  // namespace hnn::spike
