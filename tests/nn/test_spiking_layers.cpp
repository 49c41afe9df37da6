#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/nn/time_fold.h"
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
  // The extra current is optional in containers too.
  torch::nn::Sequential seq(conv);
  conv->eval();
  conv->neuron->options.stateful(false);
  EXPECT_TRUE(torch::equal(seq->forward(x), conv(x)));
}

TEST(SpikingLayers, GradientsReachWeightsAndThresholds) {
  nn::SpikingConv2d conv(nn::SpikingConv2dOptions(1, 2, 3).neuron(
      spike::NeuronOptions::lif_decay(0.0).threshold(0.5).threshold_shape({2, 1, 1}).learn_threshold(true)));
  auto y = conv(torch::rand({3, 2, 1, 6, 6}));
  y.sum().backward();
  EXPECT_TRUE(conv->conv->weight.grad().defined());
  EXPECT_EQ(conv->neuron->threshold.grad().sizes(), torch::IntArrayRef({2, 1, 1}));
}

namespace {
nn::SpikingConv2dOptions per_step_options() {
  return nn::SpikingConv2dOptions(3, 4, 3).padding(1).bn_per_step(true).bn_weight(0.7).neuron(
      spike::NeuronOptions::lif_decay(0.5).threshold(0.2));
}
}  // namespace

// Per-step BatchNorm in training is T separate BatchNorm2d calls, one per step in time order:
// the same outputs and, after one forward, the same running statistics (momentum applied T times).
TEST(SpikingLayers, PerStepBatchNormEqualsSeparateCallsPerStep) {
  torch::manual_seed(2);
  nn::SpikingConv2d layer(per_step_options());
  torch::nn::BatchNorm2d ref(4);
  {
    torch::NoGradGuard ng;
    layer->bn->bias.uniform_(-0.5, 0.5);
    ref->weight.copy_(layer->bn->weight);
    ref->bias.copy_(layer->bn->bias);
  }
  EXPECT_TRUE(torch::all(layer->bn->weight == 0.7f).item<bool>());
  const int64_t T = 5;
  auto x = torch::rand({T, 2, 3, 8, 8}) + torch::arange(T).view({T, 1, 1, 1, 1});  // statistics differ per step
  auto cur = layer->current(x);
  ASSERT_EQ(cur.sizes(), torch::IntArrayRef({T, 2, 4, 8, 8}));
  for (int64_t t = 0; t < T; ++t) EXPECT_TENSOR_NEAR(cur[t], ref(layer->conv(x[t])), 1e-5) << t;
  EXPECT_TENSOR_NEAR(layer->bn->running_mean, ref->running_mean, 1e-6);
  EXPECT_TENSOR_NEAR(layer->bn->running_var, ref->running_var, 1e-5);
  EXPECT_EQ(layer->bn->num_batches_tracked.item<int64_t>(), T);
  // Not the same as one BatchNorm over all T*B samples.
  torch::nn::BatchNorm2d folded(4);
  folded(layer->conv(nn::fold_time(x)));
  EXPECT_GT(max_abs_diff(folded->running_mean, ref->running_mean), 1e-3);
}

// In eval mode the running statistics normalise every step: per-step and folded BN are the same.
TEST(SpikingLayers, PerStepBatchNormInEvalEqualsFolded) {
  torch::manual_seed(3);
  nn::SpikingConv2d layer(per_step_options());
  layer(torch::rand({4, 2, 3, 8, 8}));  // some running statistics
  layer->eval();
  auto x = torch::rand({4, 2, 3, 8, 8});
  auto per_step = layer->current(x);
  auto folded_ref = nn::unfold_time(layer->bn(layer->conv(nn::fold_time(x))), 4);
  EXPECT_TRUE(torch::equal(per_step, folded_ref));
  layer->options.bn_per_step(false);
  EXPECT_TRUE(torch::equal(layer->current(x), per_step));
  EXPECT_THROW(nn::batch_norm_sequence(*layer->bn, x[0], true), hnn::Error);
}

// step() on one step equals forward() on a sequence of one step, with and without an extra
// current; forward(x, extra) drives the neuron with current(x) + extra.
TEST(SpikingLayers, StepEqualsForwardForOneStepAndExtraCurrent) {
  torch::manual_seed(4);
  for (bool training : {true, false}) {
    nn::SpikingConv2d layer(per_step_options());
    layer->train(training);
    auto x = torch::rand({1, 3, 3, 6, 6});
    auto extra = torch::randn({1, 3, 4, 6, 6});
    auto seq = layer(x);
    nn::reset_states(*layer);
    EXPECT_TRUE(torch::equal(layer->step(x[0]), seq[0])) << training;
    auto seq_extra = layer(x, extra);
    nn::reset_states(*layer);
    EXPECT_TRUE(torch::equal(layer->step(x[0], extra[0]), seq_extra[0])) << training;
    EXPECT_FALSE(torch::equal(seq, seq_extra));
    nn::reset_states(*layer);
    EXPECT_TRUE(torch::equal(layer->neuron(layer->current(x) + extra), seq_extra));
    EXPECT_THROW(layer(x, extra.narrow(2, 0, 2)), hnn::Error);
    EXPECT_THROW(layer->step(x), hnn::Error);
  }
}

TEST(SpikingLayers, KaimingFanOutInitialisation) {
  torch::manual_seed(5);
  nn::SpikingConv2d layer(nn::SpikingConv2dOptions(32, 64, 3).kaiming_init(true));
  double want = std::sqrt(2.0 / (64 * 9));  // kaiming_normal_, mode fan_out, ReLU gain
  EXPECT_NEAR(layer->conv->weight.std().item<double>(), want, 0.05 * want);
  EXPECT_FALSE(layer->conv->bias.defined());
  EXPECT_TRUE(torch::all(layer->bn->weight == 1).item<bool>());
}

// clone() deep-copies the layer; the clone keeps its outputs when the original's parameters change.
TEST(SpikingLayers, CloneIsDeep) {
  torch::manual_seed(6);
  nn::SpikingConv2d layer(nn::SpikingConv2dOptions(2, 3, 3).padding(1).neuron(
      spike::NeuronOptions::lif_decay(0.3).threshold(0.1).threshold_shape({3, 1, 1}).learn_threshold(true)));
  {
    torch::NoGradGuard ng;
    layer->neuron->threshold.uniform_(0.05, 0.3);
  }
  layer(torch::rand({3, 2, 2, 7, 7}));  // running statistics
  layer->eval();
  auto x = torch::rand({4, 2, 2, 7, 7});
  auto before = layer(x);
  auto copy = nn::SpikingConv2d(std::dynamic_pointer_cast<nn::SpikingConv2dImpl>(layer->clone()));
  EXPECT_TRUE(torch::equal(copy(x), before));
  {
    torch::NoGradGuard ng;
    for (auto& p : layer->parameters()) p.mul_(1.5).add_(0.1);
  }
  EXPECT_FALSE(torch::equal(layer(x), before));
  EXPECT_TRUE(torch::equal(copy(x), before));
  EXPECT_EQ(copy->named_parameters().size(), layer->named_parameters().size());
  EXPECT_NE(copy->neuron.get(), layer->neuron.get());
}

// TimeDistributed and SpikingLinear clone deeply too.
TEST(SpikingLayers, TimeDistributedCloneIsDeep) {
  nn::TimeDistributed td(torch::nn::AnyModule(torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3).padding(1))));
  auto x = torch::rand({2, 2, 2, 5, 5});
  auto before = td(x);
  auto copy = nn::TimeDistributed(std::dynamic_pointer_cast<nn::TimeDistributedImpl>(td->clone()));
  {
    torch::NoGradGuard ng;
    for (auto& p : td->parameters()) p.add_(1.0);
  }
  EXPECT_TRUE(torch::equal(copy(x), before));
  EXPECT_FALSE(torch::equal(td(x), before));
  nn::SpikingLinear lin(nn::SpikingLinearOptions(4, 3).batch_norm(true));
  auto lcopy = std::dynamic_pointer_cast<nn::SpikingLinearImpl>(lin->clone());
  ASSERT_TRUE(lcopy);
  EXPECT_NE(lcopy->fc->weight.data_ptr(), lin->fc->weight.data_ptr());
  EXPECT_TRUE(torch::equal(lcopy->fc->weight, lin->fc->weight));
}
