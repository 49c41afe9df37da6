#include "hnn/models/hmn/modulation.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::models::hmn {

at::Tensor conjugate_loss(const at::Tensor& a, const at::Tensor& b, double similarity, const ConjugateLossOptions& o) {
  HNN_CHECK(a.dim() == 2 && a.sizes() == b.sizes() && a.size(0) > 0,
            "conjugate_loss: expected two gate batches [B, C] of one shape, got {} and {}", shape_str(a.sizes()),
            shape_str(b.sizes()));
  HNN_CHECK(similarity >= 0 && similarity <= 1, "conjugate_loss: similarity {} is not in [0, 1]", similarity);
  const int64_t B = a.size(0);
  const at::Tensor g = torch::cat({a, b});
  const at::Tensor norms = g.norm(2, 1, true);
  const at::Tensor d = 1 - g.mm(g.t()) / (norms * norms.t() + o.eps);
  // Y = 1 - [[1, s], [s, 1]] in B x B blocks.
  at::Tensor y = torch::full({2 * B, 2 * B}, 1 - similarity, g.options());
  y.slice(0, 0, B).slice(1, 0, B).zero_();
  y.slice(0, B, 2 * B).slice(1, B, 2 * B).zero_();
  const at::Tensor fit = ((d - y).square() - d * y).mean();
  const at::Tensor spread = o.floor_weight * (torch::relu(o.floor - a.mean()) + torch::relu(o.floor - b.mean()));
  return fit + spread;
}

at::Tensor task_signal(const at::Tensor& gates, double threshold) {
  HNN_CHECK(gates.dim() == 2 && gates.size(0) > 0, "task_signal: expected gate activations [N, C], got {}",
            shape_str(gates.sizes()));
  return gates.mean(0).gt(threshold).to(gates.scalar_type());
}

}  // namespace hnn::models::hmn
