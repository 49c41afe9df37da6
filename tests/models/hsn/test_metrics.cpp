#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/models/hsn/metrics.h"
#include "test_util.h"

using namespace hnn::models::hsn;

TEST(HsnMetrics, IouAndCentres) {
  auto a = torch::tensor({0.0, 0.0, 10.0, 10.0}), b = torch::tensor({5.0, 0.0, 15.0, 10.0});
  EXPECT_NEAR(box_iou(a, b).item<float>(), 50.0 / 150.0, 1e-6);
  EXPECT_NEAR(box_iou(a, torch::tensor({20.0, 20.0, 30.0, 30.0})).item<float>(), 0.0, 1e-9);
  EXPECT_TRUE(torch::equal(box_centres(a), torch::tensor({5.0, 5.0})));
  EXPECT_TRUE(torch::equal(boxes_at(torch::tensor({7.0, 5.0}), a), torch::tensor({2.0, 0.0, 12.0, 10.0})));
}

TEST(HsnMetrics, PerfectAndShiftedPredictions) {
  auto boxes = torch::tensor({{0.0, 0.0, 20.0, 20.0}, {40.0, 40.0, 60.0, 60.0}});
  auto perfect = track_metrics(box_centres(boxes), boxes);
  EXPECT_NEAR(perfect.mean_iou, 1.0, 1e-9);
  EXPECT_NEAR(perfect.center_error_px, 0.0, 1e-9);
  EXPECT_NEAR(perfect.success_auc, 20.0 / 21, 1e-9);  // IoU 1 is above every threshold but 1
  auto shifted = track_metrics(box_centres(boxes) + torch::tensor({10.0, 0.0}), boxes);
  EXPECT_NEAR(shifted.mean_iou, 10.0 * 20 / (2 * 400 - 200), 1e-9);
  EXPECT_NEAR(shifted.center_error_px, 10.0, 1e-9);
  EXPECT_EQ(shifted.success.size(), 21u);
  EXPECT_THROW(track_metrics(torch::zeros({3, 2}), torch::zeros({2, 4})), hnn::Error);
}
