#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/models/hsn/loss.h"
#include "test_util.h"

using namespace hnn::models::hsn;

TEST(HsnLoss, TargetMapRings) {
  auto gt = target_map(torch::tensor({{0.0, 0.0}}), 13)[0];
  EXPECT_EQ(gt[6][6].item<float>(), 1);   // the centre cell
  EXPECT_EQ(gt[6][7].item<float>(), 0);   // distance 1: neutral
  EXPECT_EQ(gt[7][7].item<float>(), 0);   // distance 1.41
  EXPECT_EQ(gt[6][8].item<float>(), -1);  // distance 2
  EXPECT_EQ((gt == 1).sum().item<int64_t>(), 1);
  auto off = target_map(torch::tensor({{2.5, -1.0}}), 13)[0];
  EXPECT_EQ(off[5][8].item<float>(), 1);  // (x = 2, y = -1) is 0.5 away
  EXPECT_EQ(off[5][9].item<float>(), 1);  // (x = 3, y = -1) is 0.5 away
}

TEST(HsnLoss, LossOnAHandCase) {
  auto gt = torch::tensor({1.0, 0.0, -1.0}).view({1, 1, 3});
  auto cm = torch::tensor({2.0, 5.0, 1.0}).view({1, 1, 3});
  // -(1*2 + 0 - 1) + 0.1 (2^2 + 1^2) = -1 + 0.5
  EXPECT_NEAR(tracking_loss(cm, gt).item<float>(), -0.5, 1e-6);
}

TEST(HsnLoss, DecodeLocationsOnPeaks) {
  auto cm = torch::zeros({2, 13, 13});
  cm[0][6][6] = 1;   // centre
  cm[1][2][10] = 1;  // x = 4, y = -4
  auto loc = decode_locations(cm);
  EXPECT_TRUE(torch::equal(loc, torch::tensor({{0.0f, 0.0f}, {4.0f, -4.0f}})));
  // Sub-cell: a response peaked between two cells decodes between them.
  auto smooth = torch::zeros({1, 13, 13});
  smooth[0][6][6] = 1;
  smooth[0][6][7] = 1;
  auto sub = decode_locations(smooth, 8);
  EXPECT_NEAR(sub[0][0].item<float>(), 0.5, 0.13);
  EXPECT_NEAR(sub[0][1].item<float>(), 0.0, 1e-6);
  EXPECT_TRUE(torch::allclose(loc_to_pixels(torch::tensor({0.0, 1.0})), torch::tensor({72.0, 80.0})));
  EXPECT_TRUE(torch::allclose(pixels_to_loc(torch::tensor({72.0, 80.0})), torch::tensor({0.0, 1.0})));
}

// A flat-topped response (what the plateau target trains): 1 within a cell of a sub-cell centre,
// falling to 0 at two cells, negative beyond. The argmax lands on the top's first cell; the
// centroid of the top finds the centre.
TEST(HsnLoss, DecodeCentroidFindsThePlateauCentre) {
  const double cx = 1.3, cy = -2.6;
  auto cells = torch::arange(13, torch::kDouble) - 6;
  auto d2 = (cells.view({1, 13}) - cx).square() + (cells.view({13, 1}) - cy).square();
  auto d = d2.sqrt();
  auto cm = torch::where(d <= 2, (2 - d).clamp_max(1), -0.1 * d).unsqueeze(0);
  auto argmax = decode_locations(cm, argmax_decoding(8));
  auto centroid = decode_locations(cm, DecodeOptions{});
  auto err = [&](const at::Tensor& loc) {
    return std::hypot(loc[0][0].item<double>() - cx, loc[0][1].item<double>() - cy);
  };
  EXPECT_GT(err(argmax), 0.3);
  EXPECT_LT(err(centroid), 0.1);
  // On the plain grid too.
  EXPECT_LT(err(decode_locations(cm, DecodeOptions{1, 2.0, 0.5})), 0.1);
  // A single-cell peak stays put; a map without a positive peak keeps the argmax.
  auto one = torch::full({1, 13, 13}, -1.0);
  one[0][3][9] = 2;
  EXPECT_TRUE(torch::allclose(decode_locations(one, DecodeOptions{1, 2.0, 0.5}),
                              torch::tensor({{3.0, -3.0}}).to(torch::kFloat)));
  auto negative = -d2.unsqueeze(0) - 1;
  EXPECT_TRUE(torch::allclose(decode_locations(negative, DecodeOptions{1, 2.0, 0.5}), decode_locations(negative)));
  EXPECT_THROW(decode_locations(cm, DecodeOptions{0, 2.0, 0.5}), hnn::Error);
  EXPECT_THROW(decode_locations(cm, DecodeOptions{8, 2.0, 1.0}), hnn::Error);
}
