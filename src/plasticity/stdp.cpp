#include "hnn/plasticity/stdp.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::plasticity {

StdpStep stdp_step(const at::Tensor& s_pre, const at::Tensor& s_post, const StdpTraces& traces, const StdpOptions& o) {
  HNN_CHECK(s_pre.dim() == 2 && s_post.dim() == 2 && s_pre.size(0) == s_post.size(0),
            "stdp_step: expected spikes [B, N_in] and [B, N_out], got {} and {}", shape_str(s_pre.sizes()),
            shape_str(s_post.sizes()));
  StdpStep r;
  r.traces.pre = traces.pre.defined() ? traces.pre * o.pre_decay + s_pre : s_pre;
  r.traces.post = traces.post.defined() ? traces.post * o.post_decay + s_post : s_post;
  const double inv_b = 1.0 / static_cast<double>(s_pre.size(0));
  r.delta = (r.traces.pre.t().mm(s_post) * (o.a_plus * inv_b)) - (s_pre.t().mm(r.traces.post) * (o.a_minus * inv_b));
  return r;
}

}  // namespace hnn::plasticity
