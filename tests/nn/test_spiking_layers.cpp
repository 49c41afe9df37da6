#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/nn/spiking_layers.h"
#include "test_util.h"

using namespace hnn;

TEST(SpikingLayers, LinearSequenceEqualsSteps) {
  nn::SpikingLinear layer(nn::SpikingLinearOptions(6, 5).neuron(spike::NeuronOptions::lif(2.0).threshold(0.3)));
  auto x = torch::rand({7, 3, 6});
  auto seq = layer(x);
  ASSERT_EQ(seq.sizes(), torch::IntArrayRef({7, 3, 5}));
  nn::reset_states(*layer);
  for (int64_t t = 0; t < 7; ++t) EXPECT_TRUE(torch::equal(layer->step(x[t]), seq[t])) << t;
  EXPECT_GT(seq.sum().item<float>(), 0);
  EXPECT_THROW(layer(torch::rand({7, 3, 4})), hnn::Error);
}

TEST(SpikingLayers, ConvShapesPerStepBatchNormAndReset) {
  nn::SpikingConv2d conv(nn::SpikingConv2dOptions(2, 4, 3).stride(2).padding(1).bn_per_step(true));
  auto x = torch::rand({5, 2, 2, 9, 9});
  auto y = conv(x);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({5, 2, 4, 5, 5}));
  // Per-step BN in training mode normalises each step over its own batch.
  auto cur = conv->current(x);
  for (int t = 0; t < 5; ++t) EXPECT_NEAR(cur[t].mean().item<float>(), 0.0f, 1e-4);
  conv->neuron->options.stateful(true);
  conv(x);
  EXPECT_TRUE(conv->neuron->state().v.defined());
  nn::reset_states(*conv);
  EXPECT_FALSE(conv->neuron->state().v.defined());
}

TEST(SpikingLayers, GradientsReachWeightsAndThresholds) {
  nn::SpikingConv2d conv(nn::SpikingConv2dOptions(1, 2, 3).neuron(
      spike::NeuronOptions::lif_decay(0.0).threshold(0.5).threshold_shape({2, 1, 1}).learn_threshold(true)));
  auto y = conv(torch::rand({3, 2, 1, 6, 6}));
  y.sum().backward();
  EXPECT_TRUE(conv->conv->weight.grad().defined());
  EXPECT_EQ(conv->neuron->threshold.grad().sizes(), torch::IntArrayRef({2, 1, 1}));
}
