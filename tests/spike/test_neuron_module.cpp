#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/spike/neurons.h"
#include "test_util.h"

using namespace hnn::spike;

TEST(NeuronModule, ForwardMatchesFunctional) {
  Lif lif(NeuronOptions::lif(3.0).threshold(0.8).reset(Reset::Soft));
  auto x = torch::rand({10, 4, 16}) * 1.5;
  auto y = lif(x);
  NeuronParams p;
  p.threshold = torch::scalar_tensor(0.8);
  p.decay = torch::scalar_tensor(1.0 / 3.0);
  NeuronSpec spec = lif->spec();
  EXPECT_TRUE(torch::equal(y, multistep(x, {}, p, spec).spikes));
}

TEST(NeuronModule, StepByStepEqualsSequence) {
  Alif alif;
  auto x = torch::rand({12, 2, 8}) * 2;
  auto whole = alif(x);
  alif->reset_state();
  std::vector<torch::Tensor> steps;
  for (int64_t t = 0; t < 12; ++t) steps.push_back(alif->step(x[t]));
  EXPECT_TRUE(torch::equal(whole, torch::stack(steps)));
}

TEST(NeuronModule, StatelessForwardStartsAfreshStatefulContinues) {
  IfNeuron a, b(NeuronOptions::integrate_and_fire().stateful(true));
  auto x = torch::full({3, 1, 1}, 0.4);
  a(x);
  auto again = a(x);  // starts from zero again: no spike within 3 steps of 0.4? 0.4,0.8,1.2 -> spike at t=2
  EXPECT_EQ(again[2].item<float>(), 1.0f);
  b(x);                                        // v = 0 after reset at t=2
  auto cont = b(torch::full({2, 1, 1}, 0.6));  // 0.6, 1.2 -> spike at t=1
  EXPECT_EQ(cont[1].item<float>(), 1.0f);
  reset_states(*b);
  EXPECT_FALSE(b->state().v.defined());
}

TEST(NeuronModule, ResetStatesReachesNestedNeurons) {
  torch::nn::Sequential seq{Lif(), torch::nn::Identity(), Alif()};
  auto x = torch::rand({2, 3, 4});
  seq->push_back(Lif(NeuronOptions::lif().stateful(true)));
  auto* last = seq->ptr(3)->as<LifImpl>();
  last->step(x[0]);
  EXPECT_TRUE(last->state().v.defined());
  reset_states(*seq);
  EXPECT_FALSE(last->state().v.defined());
}

TEST(NeuronModule, LearnablePerChannelThresholdTrains) {
  Neuron n(NeuronOptions::lif_decay(0.0).threshold_shape({3, 1, 1}).learn_threshold(true));
  ASSERT_EQ(n->parameters().size(), 1u);
  EXPECT_EQ(n->threshold.sizes(), torch::IntArrayRef({3, 1, 1}));
  auto x = torch::rand({4, 2, 3, 5, 5});
  n(x).sum().backward();
  EXPECT_TRUE(n->threshold.grad().defined());
  EXPECT_LT(n->threshold.grad().sum().item<float>(), 0);  // raising theta lowers the spike count
}

TEST(NeuronModule, PlifLearnsTau) {
  Plif plif(NeuronOptions::plif(2.0));
  ASSERT_EQ(plif->parameters().size(), 1u);
  EXPECT_NEAR(torch::sigmoid(plif->decay).item<float>(), 0.5f, 1e-6);
  auto x = torch::rand({6, 2, 10}) * 2;
  plif(x).sum().backward();
  EXPECT_NE(plif->decay.grad().item<float>(), 0.0f);
}

TEST(NeuronModule, MembraneOutputAndModulatedThreshold) {
  Neuron n(NeuronOptions::lif_decay(0.0).reset(Reset::None).output(Output::Membrane));
  auto x = torch::rand({5, 2, 3});
  EXPECT_TRUE(torch::equal(n(x), x));  // decay 0, no reset: membrane is the input
  Neuron m(NeuronOptions::lif_decay(0.0));
  NeuronParams mod;
  mod.threshold = torch::full({2, 1}, 0.5);  // per-sample threshold from a modulator
  auto r = m->run(x, mod);
  EXPECT_TRUE(torch::equal(r.spikes, (x > 0.5).to(torch::kFloat)));
}

TEST(NeuronModule, MakeNeuronByName) {
  for (auto k : {"if", "lif", "lif_decay", "plif", "alif"}) EXPECT_NO_THROW(make_neuron(k));
  EXPECT_THROW(make_neuron("hh"), hnn::Error);
  EXPECT_THROW(Neuron(NeuronOptions::plif(0.5)), hnn::Error);  // tau < 1 gives k > 1
}

TEST(NeuronModule, AnotherBatchShapeNeedsAReset) {
  Lif lif(NeuronOptions::lif().stateful(true));
  lif(torch::rand({3, 2, 4}));
  try {
    lif(torch::rand({3, 5, 4}));  // a batch of 5 after a batch of 2
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("reset_state"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
  }
  lif->step(torch::rand({2, 4}));  // same shape: continues
  EXPECT_THROW(lif->step(torch::rand({1, 4})), hnn::Error);
  reset_states(*lif);
  EXPECT_EQ(lif(torch::rand({3, 5, 4})).sizes(), torch::IntArrayRef({3, 5, 4}));
}

TEST(NeuronModule, LifRefusesIntegrateAndFireOptions) {
  EXPECT_THROW(Lif(NeuronOptions::integrate_and_fire()), hnn::Error);
  EXPECT_NO_THROW(Lif(NeuronOptions::lif_decay(0.5)));
  EXPECT_NO_THROW(IfNeuron(NeuronOptions::integrate_and_fire()));
}
