#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/models/hsn/network.h"
#include "test_util.h"

using namespace hnn::models::hsn;

namespace {
int64_t count(const std::vector<torch::Tensor>& ts) {
  int64_t n = 0;
  for (auto& t : ts) n += t.numel();
  return n;
}
}  // namespace

// The reference model's sizes (spec section 2.3): ANN 1,899,456 parameters; SNN 1,906,048
// including its thresholds and (fixed) decays. Here the decays and the head's unused threshold
// are buffers: 1,903,808 trainable + 2,240 fixed.
TEST(HsnNetwork, FullWidthParameterCountsMatchTheReference) {
  NetworkOptions o;
  AnnBackbone ann(o);
  EXPECT_EQ(count(ann->parameters()), 1899456);
  SnnBackbone snn(o);
  int64_t trainable = count(snn->parameters());
  int64_t fixed = 0;
  for (auto& b : snn->named_buffers())
    if (b.key().find("decay") != std::string::npos || b.key().find("head_neuron.threshold") != std::string::npos)
      fixed += b.value().numel();
  EXPECT_EQ(trainable, 1903808);
  EXPECT_EQ(trainable + fixed, 1906048);
}

TEST(HsnNetwork, ShapesThroughTheStages) {
  NetworkOptions o;
  o.width = 0.125;
  AnnBackbone ann(o);
  EXPECT_EQ(ann(torch::rand({2, 1, 145, 145})).sizes(), torch::IntArrayRef({2, 64, 15, 15}));
  SnnBackbone snn(o);
  auto dvs = (torch::rand({3, 2, 2, 145, 145}) > 0.9).to(torch::kFloat);
  auto maps = snn(dvs);
  EXPECT_EQ(maps.sizes(), torch::IntArrayRef({3, 2, 64, 15, 15}));
  EXPECT_TRUE(snn->last_spike_rates.empty());
  snn->record_spike_rates = true;
  snn(dvs);
  ASSERT_EQ(snn->last_spike_rates.size(), 7u);
  for (double r : snn->last_spike_rates) {
    EXPECT_GE(r, 0);
    EXPECT_LE(r, 1);
  }
  Tracker t(o, Mode::Hybrid);
  auto cm = t(torch::rand({2, 1, 145, 145}), torch::rand({4, 2, 2, 145, 145}), torch::zeros({2, 3, 2}));
  EXPECT_EQ(cm.sizes(), torch::IntArrayRef({4, 2, 3, 13, 13}));
  for (auto m : {Mode::AnnOnly, Mode::SnnOnly}) {
    Tracker b(o, m);
    EXPECT_EQ(b(torch::rand({2, 1, 145, 145}), torch::rand({4, 2, 2, 145, 145}), torch::zeros({2, 3, 2})).sizes(),
              torch::IntArrayRef({4, 2, 3, 13, 13}));
  }
  EXPECT_THROW(ann(torch::rand({1, 145, 145})), hnn::Error);
}

// grid_sample with align_corners maps u to pixel 7 + 7u on a 15x15 map; the reference's samples
// sit at offsets {-0.2, 0, 0.2} around loc / 7.5: pixels 7 + 0.9333 loc +- 1.4.
TEST(HsnNetwork, TemplatesSampleExactlyLikeTheReference) {
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

TEST(HsnNetwork, GroupedCorrelationEqualsPerSampleConvolution) {
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

TEST(HsnNetwork, SnnThresholdsAndBatchNormStartAsTheReference) {
  NetworkOptions o;
  o.width = 0.125;
  SnnBackbone snn(o);
  for (auto& p : snn->named_parameters()) {
    if (p.key().find("neuron.threshold") != std::string::npos) {
      EXPECT_TRUE(torch::all(p.value() == 0.5).item<bool>()) << p.key();
    }
    if (p.key() == "b1c.bn.weight" || p.key() == "b1c.bypass_bn.weight") {
      EXPECT_NEAR(p.value()[0].item<float>(), 0.5 / std::sqrt(2.0), 1e-6) << p.key();
    }
    if (p.key() == "b1a.bn.weight") {
      EXPECT_NEAR(p.value()[0].item<float>(), 0.5, 1e-6);
    }
  }
}
