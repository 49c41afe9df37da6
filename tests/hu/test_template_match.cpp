// Template matching (the HSN's hybrid link) as a general hybrid-unit part: sampling exactly as the
// reference, maximal response at the template's own location, shapes, errors and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/hu/template_match.h"
#include "test_util.h"

using namespace hnn::hu;

// grid_sample with align_corners maps u to pixel 7 + 7u on a 15x15 map; the reference's samples
// sit at offsets {-0.2, 0, 0.2} around loc / 7.5: pixels 7 + 0.9333 loc +- 1.4.
TEST(TemplateMatch, SamplesExactlyLikeTheReference) {
  auto map = torch::arange(15 * 15, torch::kDouble).view({1, 1, 15, 15});  // value = 15 y + x
  auto loc = torch::tensor({{{1.5, -0.75}}}, torch::kDouble);
  auto k = extract_templates(map, loc);
  ASSERT_EQ(k.sizes(), torch::IntArrayRef({1, 1, 1, 3, 3}));
  // Bilinear sampling of a linear function is exact: value(px, py) = 15 py + px.
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double px = 7 + 7 * ((j - 1) * 0.2 + 1.5 / 7.5), py = 7 + 7 * ((i - 1) * 0.2 - 0.75 / 7.5);
      EXPECT_NEAR(k[0][0][0][i][j].item<double>(), 15 * py + px, 1e-9) << i << "," << j;
    }
}

// The reference's computation, written out: the default must give the same numbers bit for bit.
TEST(TemplateMatch, DefaultEqualsTheHsnReferenceBitForBit) {
  torch::manual_seed(7);
  const int64_t B = 2, C = 5, S = 15, O = 3;
  auto map = torch::randn({B, C, S, S});
  auto loc = torch::rand({B, O, 2}, torch::kDouble) * 8 - 4;
  const double half = S / 2.0;
  auto offsets = torch::linspace(-1, 1, 3, map.options()) * (3.0 / S);
  auto l = loc.to(map.scalar_type());
  auto u = offsets.view({1, 1, 1, 3}) + (l.select(2, 0) / half).view({B, O, 1, 1});
  auto v = offsets.view({1, 1, 3, 1}) + (l.select(2, 1) / half).view({B, O, 1, 1});
  auto grid = torch::stack({u.expand({B, O, 3, 3}), v.expand({B, O, 3, 3})}, -1).reshape({B * O, 3, 3, 2});
  auto input = map.unsqueeze(1).expand({B, O, C, S, S}).reshape({B * O, C, S, S});
  namespace F = torch::nn::functional;
  auto ref =
      F::grid_sample(input, grid,
                     F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(true))
          .view({B, O, C, 3, 3});
  EXPECT_TRUE(torch::equal(extract_templates(map, loc), ref));
}

TEST(TemplateMatch, GroupedCorrelationEqualsPerSampleConvolution) {
  auto maps = torch::rand({2, 3, 4, 15, 15}, torch::kDouble);
  auto tmpl = torch::rand({3, 2, 4, 3, 3}, torch::kDouble);
  auto cm = correlate(maps, tmpl);
  ASSERT_EQ(cm.sizes(), torch::IntArrayRef({2, 3, 2, 13, 13}));
  for (int t = 0; t < 2; ++t)
    for (int b = 0; b < 3; ++b) {
      auto ref = torch::conv2d(maps[t][b].unsqueeze(0), tmpl[b]);  // [1, O, 13, 13]
      EXPECT_TENSOR_NEAR(cm[t][b], ref[0], 1e-10);
    }
}

// With a spacing of one cell, a template taken at an integer pixel is the map's own patch, and
// on a map of +-1 values (every patch has the same norm) no other patch correlates as strongly.
TEST(TemplateMatch, TemplateCutAtAnIntegerLocationPeaksThere) {
  torch::manual_seed(11);
  const int64_t B = 2, C = 4, S = 15;
  auto map = torch::randint(0, 2, {B, C, S, S}, torch::kDouble) * 2 - 1;
  std::vector<std::vector<std::pair<int, int>>> pixels{{{3, 4}, {10, 7}, {12, 12}}, {{1, 1}, {7, 9}, {13, 2}}};
  auto loc = torch::zeros({B, 3, 2}, torch::kDouble);
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < 3; ++o) {
      auto [px, py] = pixels[b][o];
      // column = (S - 1) / 2 + x (S - 1) / S
      loc[b][o][0] = (px - 7) * 15.0 / 14.0;
      loc[b][o][1] = (py - 7) * 15.0 / 14.0;
    }
  TemplateMatch match(TemplateMatchOptions().spacing(1.0));
  auto tmpl = match->templates(map, loc);
  auto response = match(map, loc, map.unsqueeze(0));
  ASSERT_EQ(response.sizes(), torch::IntArrayRef({1, B, 3, 13, 13}));
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < 3; ++o) {
      auto [px, py] = pixels[b][o];
      EXPECT_TENSOR_NEAR(tmpl[b][o], map[b].slice(1, py - 1, py + 2).slice(2, px - 1, px + 2), 1e-12);
      auto r = response[0][b][o];
      int64_t best = r.argmax().item<int64_t>();
      EXPECT_EQ(best / 13, py - 1) << b << "," << o;
      EXPECT_EQ(best % 13, px - 1) << b << "," << o;
      EXPECT_NEAR(r.max().item<double>(), 9.0 * C, 1e-9);
    }
}

TEST(TemplateMatch, ShapesOnNonSquareMapsAndOtherSizes) {
  // Value 100 y + x: bilinear samples are exact, so the sample positions can be read back.
  auto ys = torch::arange(9, torch::kDouble).view({9, 1}), xs = torch::arange(13, torch::kDouble).view({1, 13});
  auto map = (100 * ys + xs).view({1, 1, 9, 13});
  // Centre at column 6 + x * 12/13 and row 4 + y * 8/9; a 5x5 template, samples 1 cell apart.
  auto loc = torch::tensor({{{13.0 / 12.0, -9.0 / 8.0}}}, torch::kDouble);  // column 7, row 3
  auto k = extract_templates(map, loc, TemplateMatchOptions().size(5).spacing(1.0));
  ASSERT_EQ(k.sizes(), torch::IntArrayRef({1, 1, 1, 5, 5}));
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_NEAR(k[0][0][0][i][j].item<double>(), 100 * (1 + i) + (5 + j), 1e-9);
  EXPECT_EQ(extract_templates(map, loc, TemplateMatchOptions().size(1)).sizes(), torch::IntArrayRef({1, 1, 1, 1, 1}));
  TemplateMatch match(TemplateMatchOptions().size(5));
  auto out = match(torch::rand({2, 3, 9, 13}), torch::zeros({2, 4, 2}), torch::rand({6, 2, 3, 11, 20}));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({6, 2, 4, 7, 16}));
  auto copy = std::dynamic_pointer_cast<TemplateMatchImpl>(match->clone());
  EXPECT_EQ(copy->options.size(), 5);
}

TEST(TemplateMatch, BadShapesThrow) {
  auto map = torch::rand({2, 3, 15, 15}), loc = torch::zeros({2, 1, 2});
  EXPECT_THROW(extract_templates(map[0], loc), hnn::Error);                   // map not 4-D
  EXPECT_THROW(extract_templates(map, torch::zeros({2, 1, 3})), hnn::Error);  // not (x, y)
  EXPECT_THROW(extract_templates(map, torch::zeros({3, 1, 2})), hnn::Error);  // batch mismatch
  EXPECT_THROW(extract_templates(map, loc, TemplateMatchOptions().size(0)), hnn::Error);
  EXPECT_THROW(TemplateMatch(TemplateMatchOptions().spacing(-1)), hnn::Error);
  auto tmpl = torch::rand({2, 1, 3, 3, 3});
  EXPECT_THROW(correlate(map, tmpl), hnn::Error);                             // maps not [T, B, ...]
  EXPECT_THROW(correlate(torch::rand({1, 2, 4, 15, 15}), tmpl), hnn::Error);  // channels
  EXPECT_THROW(correlate(torch::rand({1, 3, 3, 15, 15}), tmpl), hnn::Error);  // batch
  EXPECT_THROW(correlate(torch::rand({1, 2, 3, 2, 15}), tmpl),
               hnn::Error);  // template larger than map
  try {
    correlate(torch::rand({1, 2, 4, 15, 15}), tmpl);
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[T, B, C, H, W]"), std::string::npos) << e.what();
  }
}

// Gradients for the ANN map, the locations and the SNN maps against central differences.
TEST(TemplateMatch, GradientsMatchFiniteDifferences) {
  torch::manual_seed(5);
  auto ann = torch::rand({2, 2, 6, 6}, torch::kDouble).requires_grad_();
  auto loc = (torch::rand({2, 2, 2}, torch::kDouble) * 3 - 1.5).requires_grad_();
  auto snn = torch::rand({2, 2, 2, 6, 6}, torch::kDouble).requires_grad_();
  TemplateMatch match;
  double err =
      gradcheck([&](const std::vector<torch::Tensor>& in) { return match(in[0], in[1], in[2]); }, {ann, loc, snn});
  EXPECT_LT(err, 1e-7);
  TemplateMatch spaced(TemplateMatchOptions().spacing(0.7));
  err = gradcheck([&](const std::vector<torch::Tensor>& in) { return spaced(in[0], in[1], in[2]); }, {ann, loc, snn});
  EXPECT_LT(err, 1e-7);
}
