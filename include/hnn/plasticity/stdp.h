// Pair-based STDP with exponential traces, as a local rule (SpikingJelly's STDPLearner, snnTorch's
// and Norse's stdp): each synapse keeps a pre-synaptic trace x [B, N_in] and a post-synaptic trace
// y [B, N_out]; per step
//   x' = pre_decay x + s_pre,   y' = post_decay y + s_post,
//   dW = (1/B) (a_plus x'^T s_post - a_minus s_pre^T y')          [N_in, N_out]
// so a post spike after a pre spike potentiates (by a_plus times the pre trace) and a pre spike
// after a post spike depresses. Applied to a plastic layer's trace (Rule::Stdp, plastic_linear.h)
// or, transposed, to a weight directly.
#pragma once
#include <ATen/core/Tensor.h>

namespace hnn::plasticity {

struct StdpOptions {
  double a_plus = 1e-2;     // potentiation per (pre trace x post spike)
  double a_minus = 1e-2;    // depression per (pre spike x post trace)
  double pre_decay = 0.8;   // exp(-1 / tau_pre)
  double post_decay = 0.8;  // exp(-1 / tau_post)
};

struct StdpTraces {
  at::Tensor pre;   // [B, N_in]
  at::Tensor post;  // [B, N_out]
};

struct StdpStep {
  at::Tensor delta;  // dW in [N_in, N_out] layout
  StdpTraces traces;
};

// One step from the spikes s_pre [B, N_in] and s_post [B, N_out]; undefined traces start at 0.
StdpStep stdp_step(const at::Tensor& s_pre, const at::Tensor& s_post, const StdpTraces& traces, const StdpOptions& o);

}  // namespace hnn::plasticity
