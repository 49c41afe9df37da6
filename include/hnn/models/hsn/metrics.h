// Tracking metrics the reference code lacks: centre error in pixels, IoU of predicted and true
// boxes, mean IoU, and the success plot (fraction of predictions with IoU above each threshold,
// its area under the curve). Boxes are [..., 4] = (x0, y0, x1, y1) in pixels; a predicted box has
// the true box's size, centred on the predicted location (the tracker does not estimate scale).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "hnn/viz/plot.h"

namespace hnn::models::hsn {

// IoU of boxes a and b [..., 4] -> [...].
at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b);
// Boxes of the true boxes' sizes centred on centres [..., 2] -> [..., 4].
at::Tensor boxes_at(const at::Tensor& centres, const at::Tensor& true_boxes);
at::Tensor box_centres(const at::Tensor& boxes);

struct TrackMetrics {
  double mean_iou = 0;
  double center_error_px = 0;               // mean Euclidean distance
  double precision_20px = 0;                // fraction within 20 px (a common tracking precision score)
  double success_auc = 0;                   // mean of the success curve over thresholds 0, 0.05, ..., 1
  std::vector<double> thresholds, success;  // the success curve
  int64_t count = 0;
};

// pred_centres [..., 2] and true_boxes [..., 4] in pixels (any leading shape).
TrackMetrics track_metrics(const at::Tensor& pred_centres, const at::Tensor& true_boxes);

// A success-plot series for viz::Panel.
viz::Series success_series(const TrackMetrics& m, const std::string& label);

}  // namespace hnn::models::hsn
