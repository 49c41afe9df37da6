#include "hnn/models/hsn/metrics.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::models::hsn {

at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b) {
  auto ix0 = torch::max(a.select(-1, 0), b.select(-1, 0)), iy0 = torch::max(a.select(-1, 1), b.select(-1, 1));
  auto ix1 = torch::min(a.select(-1, 2), b.select(-1, 2)), iy1 = torch::min(a.select(-1, 3), b.select(-1, 3));
  auto inter = (ix1 - ix0).clamp_min(0) * (iy1 - iy0).clamp_min(0);
  auto area = [](const at::Tensor& x) {
    return (x.select(-1, 2) - x.select(-1, 0)).clamp_min(0) * (x.select(-1, 3) - x.select(-1, 1)).clamp_min(0);
  };
  auto uni = area(a) + area(b) - inter;
  return torch::where(uni > 0, inter / uni.clamp_min(1e-12), torch::zeros_like(uni));
}

at::Tensor box_centres(const at::Tensor& boxes) {
  return torch::stack(
      {(boxes.select(-1, 0) + boxes.select(-1, 2)) / 2, (boxes.select(-1, 1) + boxes.select(-1, 3)) / 2}, -1);
}

at::Tensor boxes_at(const at::Tensor& centres, const at::Tensor& true_boxes) {
  auto w = true_boxes.select(-1, 2) - true_boxes.select(-1, 0), h = true_boxes.select(-1, 3) - true_boxes.select(-1, 1);
  auto cx = centres.select(-1, 0), cy = centres.select(-1, 1);
  return torch::stack({cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, -1);
}

TrackMetrics track_metrics(const at::Tensor& pred, const at::Tensor& boxes) {
  HNN_CHECK(pred.size(-1) == 2 && boxes.size(-1) == 4 &&
                pred.sizes().slice(0, pred.dim() - 1) == boxes.sizes().slice(0, boxes.dim() - 1),
            "track_metrics: centres {} and boxes {} do not match", shape_str(pred.sizes()), shape_str(boxes.sizes()));
  auto p = pred.to(torch::kDouble).reshape({-1, 2}), b = boxes.to(torch::kDouble).reshape({-1, 4});
  TrackMetrics m;
  m.count = p.size(0);
  if (m.count == 0) return m;
  auto iou = box_iou(boxes_at(p, b), b);
  auto err = (p - box_centres(b)).pow(2).sum(-1).sqrt();
  m.mean_iou = iou.mean().item<double>();
  m.center_error_px = err.mean().item<double>();
  m.precision_20px = (err <= 20).to(torch::kDouble).mean().item<double>();
  double auc = 0;
  for (int i = 0; i <= 20; ++i) {
    double th = i / 20.0;
    double s = (iou > th).to(torch::kDouble).mean().item<double>();
    m.thresholds.push_back(th);
    m.success.push_back(s);
    auc += s;
  }
  m.success_auc = auc / 21;
  return m;
}

viz::Series success_series(const TrackMetrics& m, const std::string& label) {
  return {m.thresholds, m.success, fmt::format("{} [{:.3f}]", label, m.success_auc), viz::Style::Line};
}

}  // namespace hnn::models::hsn
