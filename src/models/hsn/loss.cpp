#include "hnn/models/hsn/loss.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::models::hsn {

at::Tensor target_map(const at::Tensor& loc, int64_t size) {
  HNN_CHECK(loc.size(-1) == 2, "target_map: locations must end in (x, y), got shape {}", shape_str(loc.sizes()));
  auto cells = torch::arange(size, loc.options()) - (size - 1) / 2.0;  // -6 .. 6
  auto dx = cells.view({1, size}) - loc.select(-1, 0).unsqueeze(-1).unsqueeze(-1);
  auto dy = cells.view({size, 1}) - loc.select(-1, 1).unsqueeze(-1).unsqueeze(-1);
  auto dist = torch::sqrt(dx * dx + dy * dy);
  auto pos = (dist < 1).to(loc.scalar_type());
  auto neg = (dist >= 2).to(loc.scalar_type());
  return pos - neg;
}

at::Tensor tracking_loss(const at::Tensor& cm, const at::Tensor& target, bool balanced) {
  HNN_CHECK(cm.sizes() == target.sizes(), "tracking_loss: response {} and target {} differ", shape_str(cm.sizes()),
            shape_str(target.sizes()));
  auto mask = (target != 0).to(cm.scalar_type());
  auto term = -target * cm + 0.1 * (cm * mask).pow(2);  // per cell
  if (!balanced) return term.sum({-2, -1}).mean();
  // Each map's positive and negative cells weigh the same in total (a few positives against
  // ~150 negatives otherwise let "everything negative" dominate).
  auto pos = (target > 0).to(cm.scalar_type()), neg = (target < 0).to(cm.scalar_type());
  auto mean_over = [&](const at::Tensor& m) { return (term * m).sum({-2, -1}) / m.sum({-2, -1}).clamp_min(1); };
  return (mean_over(pos) + mean_over(neg)).mean();
}

at::Tensor decode_locations(const at::Tensor& cm, const DecodeOptions& o) {
  HNN_CHECK(cm.dim() >= 2, "decode_locations: expected maps [..., H, W], got shape {}", shape_str(cm.sizes()));
  HNN_CHECK(o.upsample >= 1 && o.radius >= 0 && o.floor >= 0 && o.floor < 1,
            "decode_locations: need upsample >= 1, radius >= 0 and 0 <= floor < 1 (got {}, {}, {})", o.upsample,
            o.radius, o.floor);
  const int64_t upsample = o.upsample;
  const int64_t H = cm.size(-2), W = cm.size(-1);
  auto flat = cm.detach().reshape({-1, 1, H, W}).to(torch::kFloat);
  int64_t h = H, w = W;
  if (upsample > 1) {
    h = (H - 1) * upsample + 1;
    w = (W - 1) * upsample + 1;
    namespace F = torch::nn::functional;
    flat = F::interpolate(
        flat, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBicubic).align_corners(true));
  }
  auto [peak, idx] = flat.view({flat.size(0), -1}).max(1);
  auto row = torch::div(idx, w, "floor").to(torch::kFloat), col = (idx % w).to(torch::kFloat);
  double scale = upsample > 1 ? (double)upsample : 1.0;
  if (o.radius > 0) {
    auto m = flat.view({flat.size(0), h, w});
    auto ys = torch::arange(h, m.options()).view({1, h, 1}), xs = torch::arange(w, m.options()).view({1, 1, w});
    const double r = o.radius * scale;
    auto near = (ys - row.view({-1, 1, 1})).square() + (xs - col.view({-1, 1, 1})).square() <= r * r;
    auto weight = torch::relu(m - o.floor * peak.view({-1, 1, 1})) * near;
    auto total = weight.sum({1, 2});
    auto ok = (peak > 0) & (total > 0);
    auto safe = total.clamp_min(1e-30);
    col = torch::where(ok, (weight * xs).sum({1, 2}) / safe, col);
    row = torch::where(ok, (weight * ys).sum({1, 2}) / safe, row);
  }
  auto x = col / scale - (W - 1) / 2.0, y = row / scale - (H - 1) / 2.0;
  auto shape = cm.sizes().slice(0, cm.dim() - 2).vec();
  shape.push_back(2);
  return torch::stack({x, y}, 1).view(shape);
}

at::Tensor loc_to_pixels(const at::Tensor& loc, int64_t crop_size) {
  return loc * kStride + (crop_size - 1) / 2.0;
}
at::Tensor pixels_to_loc(const at::Tensor& px, int64_t crop_size) {
  return (px - (crop_size - 1) / 2.0) / kStride;
}

}  // namespace hnn::models::hsn
