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
    if (b.key().find("decay") != std::string::npos || b.key().find("head.neuron.threshold") != std::string::npos)
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

// The hybrid link is hu::TemplateMatch with its defaults (tests/hu/test_template_match.cpp checks
// them against the reference's sampling); here: the tracker's halves give its forward.
TEST(HsnNetwork, TrackerHalvesGiveTheForward) {
  torch::manual_seed(1);
  NetworkOptions o;
  o.width = 0.0625;
  Tracker t(o, Mode::Hybrid);
  t->eval();
  auto aps = torch::rand({1, 1, 145, 145}), dvs = (torch::rand({2, 1, 2, 145, 145}) > 0.9).to(torch::kFloat);
  auto loc = torch::tensor({{{1.0, -2.0}, {0.5, 3.0}}});
  auto cm = t(aps, dvs, loc);
  EXPECT_EQ(cm.sizes(), torch::IntArrayRef({2, 1, 2, 13, 13}));
  EXPECT_TRUE(torch::equal(cm, t->respond(dvs, t->templates(aps, loc))));
  // The ANN-only tracker: templates from the APS frame, search in `search` when given (the frame
  // at the window centre), which is what respond_ann does with the frame it is handed.
  Tracker a(o, Mode::AnnOnly);
  a->eval();
  auto later = torch::rand({1, 1, 145, 145}) * 255;
  auto ca = a(aps, dvs, loc, later);
  EXPECT_TRUE(torch::equal(ca[1], a->respond_ann(later, a->templates(aps, loc))[0]));
  EXPECT_TRUE(torch::equal(a(aps, dvs, loc, aps), a(aps, dvs, loc)));
  EXPECT_TRUE(torch::equal(t->templates(aps, loc), hnn::hu::extract_templates(t->ann(aps), loc)));
}

TEST(HsnNetwork, SnnThresholdsAndBatchNormStartAsTheReference) {
  NetworkOptions o;
  o.width = 0.125;
  SnnBackbone snn(o);
  auto named = snn->named_parameters();
  for (auto* key : {"l0.neuron.threshold", "b1c.bn.weight", "b1c_bypass_bn.weight", "b2c_bypass_bn.weight",
                    "b1a.bn.weight", "head.conv.weight"})
    EXPECT_TRUE(named.contains(key)) << key;
  for (auto& p : named) {
    if (p.key().find("neuron.threshold") != std::string::npos) {
      EXPECT_TRUE(torch::all(p.value() == 0.5).item<bool>()) << p.key();
    }
    if (p.key() == "b1c.bn.weight" || p.key() == "b1c_bypass_bn.weight" || p.key() == "b2c_bypass_bn.weight") {
      EXPECT_NEAR(p.value()[0].item<float>(), 0.5 / std::sqrt(2.0), 1e-6) << p.key();
    }
    if (p.key() == "b1a.bn.weight") {
      EXPECT_NEAR(p.value()[0].item<float>(), 0.5, 1e-6);
    }
  }
}
