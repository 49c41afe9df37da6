#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/anomaly.h"
#include "hnn/core/error.h"
#include "hnn/spike/neurons.h"
#include "test_util.h"

using namespace hnn::spike;
using torch::Tensor;

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
  EXPECT_THROW((void)Lif(NeuronOptions::integrate_and_fire()), hnn::Error);
  EXPECT_NO_THROW((void)Lif(NeuronOptions::lif_decay(0.5)));
  EXPECT_NO_THROW((void)IfNeuron(NeuronOptions::integrate_and_fire()));
}

// A modulation passed through forward() (also inside a Sequential, which fills in the default)
// replaces the module's own parameters for that call only.
TEST(NeuronModule, ModulationThroughForward) {
  Lif lif(NeuronOptions::lif(2.0));
  auto x = torch::rand({6, 3, 5}) * 2;
  auto theta = torch::full({5}, 0.3);
  NeuronParams p = lif->params();
  p.threshold = theta;
  auto expected = multistep(x, {}, p, lif->spec()).spikes;
  EXPECT_TRUE(torch::equal(lif(x, Modulation().threshold(theta)), expected));
  EXPECT_TRUE(torch::equal(lif->run(x, p).spikes, expected));  // a NeuronParams reads as a Modulation
  EXPECT_FALSE(torch::equal(lif(x), expected));                // the module's own threshold again
  torch::nn::Sequential seq{Lif(NeuronOptions::lif(2.0))};
  EXPECT_TRUE(torch::equal(seq->forward(x), lif(x)));
}

// Every parameter can be a learned parameter, a buffer or a tensor of any broadcast shape.
TEST(NeuronModule, EveryParameterLearnableOrBuffer) {
  Alif alif(NeuronOptions::alif(2.0).learn_rho(true).learn_beta(true).learn_v_rest(true).learn_v_reset(true));
  EXPECT_EQ(alif->parameters().size(), 4u);
  std::vector<std::string> buffers;
  for (auto& b : alif->named_buffers()) buffers.push_back(b.key());
  EXPECT_EQ(buffers, (std::vector<std::string>{"threshold", "decay"}));
  alif->set_param(Param::VRest, torch::full({4}, 0.1), /*learn=*/true);
  alif->set_param(Param::Threshold, torch::full({4}, 0.7), /*learn=*/false);
  EXPECT_EQ(alif->v_rest.sizes(), torch::IntArrayRef({4}));
  EXPECT_EQ(alif->named_parameters().size(), 4u);
  auto x = torch::rand({8, 2, 4}, torch::kDouble) * 2;
  alif->to(torch::kDouble);
  alif(x).sum().backward();
  for (auto& p : alif->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
  // Learned v_rest takes the step loop: its gradient equals the loop's.
  Tensor g = alif->v_rest.grad().clone();
  alif->zero_grad();
  multistep_loop(x, {}, alif->params(), alif->spec()).spikes.sum().backward();
  EXPECT_TENSOR_NEAR(alif->v_rest.grad(), g, 1e-12);
  EXPECT_THROW(alif->set_param(Param::Beta, torch::ones({2}, torch::kLong), false), hnn::Error);
}

// clone() deep-copies parameters (also replaced ones), keeps the named type and LibTorch's reset()
// re-creates the parameters from the options.
TEST(NeuronModule, CloneAndReset) {
  Lif lif(NeuronOptions::lif(2.0).threshold_shape({3}).learn_threshold(true));
  lif->set_param(Param::VRest, torch::full({3}, 0.2), true);
  auto copy = std::dynamic_pointer_cast<LifImpl>(lif->clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->parameters().size(), 2u);
  EXPECT_TRUE(torch::equal(copy->v_rest, lif->v_rest));
  torch::NoGradGuard ng;
  lif->threshold.fill_(5.0);
  EXPECT_TRUE(torch::equal(copy->threshold, torch::ones({3})));
  lif->reset();
  EXPECT_TRUE(torch::equal(lif->threshold, torch::ones({3})));
  EXPECT_EQ(lif->v_rest.dim(), 0);
  torch::nn::Sequential seq{Alif(), IfNeuron()};
  auto seq2 = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(seq->clone());
  EXPECT_NE(seq2->ptr(0)->as<AlifImpl>(), nullptr);
}

// A custom neuron from a charge function: given the built-in LIF-decay charge it equals the fused
// kernel (values and gradients, double); with its own fire and reset it follows them.
TEST(NeuronModule, CustomNeuronFromChargeFunction) {
  NeuronDynamics decay_charge;
  decay_charge.charge = [](const Tensor& v, const Tensor& x, const NeuronParams& p) { return p.decay * v + x; };
  auto o = torch::TensorOptions().dtype(torch::kDouble);
  auto x1 = (torch::rand({9, 3, 6}, o) * 1.5).requires_grad_();
  auto x2 = x1.detach().clone().requires_grad_();
  Neuron custom(NeuronOptions::lif_decay(0.6).dynamics(decay_charge).learn_threshold(true));
  Neuron builtin(NeuronOptions::lif_decay(0.6).learn_threshold(true));
  custom->to(torch::kDouble);
  builtin->to(torch::kDouble);
  auto a = custom(x1), b = builtin(x2);
  EXPECT_TRUE(torch::equal(a, b));
  (a * torch::arange(6, o)).sum().backward();
  (b * torch::arange(6, o)).sum().backward();
  EXPECT_TENSOR_NEAR(x1.grad(), x2.grad(), 1e-12);
  EXPECT_TENSOR_NEAR(custom->threshold.grad(), builtin->threshold.grad(), 1e-12);

  // Quadratic integrate-and-fire with a reset to -0.5 and a fire at 2 theta, hand-checked.
  NeuronDynamics qif;
  qif.charge = [](const Tensor& v, const Tensor& x, const NeuronParams&) { return v + x + v * v; };
  qif.fire = [](const Tensor& h, const Tensor& theta, const NeuronParams&) {
    return spike(h - 2 * theta, Surrogate{});
  };
  qif.reset = [](const Tensor& h, const Tensor& s, const Tensor&, const NeuronParams&) {
    return h * (1 - s) - 0.5 * s;
  };
  auto r = multistep_loop(torch::full({4, 1, 1}, 0.5, o), {}, {}, NeuronSpec{}, qif, true);
  // h: 0.5, 0.5+0.5+0.25 = 1.25, 1.25+0.5+1.5625 = 3.3125 -> spike, v = -0.5; h = -0.5+0.5+0.25 = 0.25
  EXPECT_TENSOR_NEAR(r.membrane.flatten(), torch::tensor({0.5, 1.25, -0.5, 0.25}, o), 1e-12);
  EXPECT_TENSOR_NEAR(r.spikes.flatten(), torch::tensor({0.0, 0.0, 1.0, 0.0}, o), 0);
  NeuronDynamics bad;
  bad.charge = [](const Tensor& v, const Tensor& x, const NeuronParams&) { return x.sum(); };
  EXPECT_THROW(multistep_loop(torch::ones({2, 1, 3}), {}, {}, NeuronSpec{}, bad), hnn::Error);
}

// Anomaly detection (hnn/core/anomaly.h): the first step where a neuron's membrane or input stops
// being finite, in forward() and in step(); nothing is checked when it is off.
TEST(NeuronModule, AnomalyDetectionFindsTheFirstNonFiniteStep) {
  using namespace hnn::spike;
  Neuron n(NeuronOptions::integrate_and_fire());
  auto x = torch::zeros({4, 2, 3});
  x[1][1][2] = -3e38;
  x[2][1][2] = -3e38;  // the membrane of neuron 2 of sample 1 overflows to -inf at step 2
  {
    hnn::anomaly::Guard off(false);
    EXPECT_NO_THROW(n(x));
  }
  hnn::anomaly::Guard on;
  try {
    n(x);
    FAIL() << "no error";
  } catch (const hnn::anomaly::NonFinite& e) {
    EXPECT_NE(std::string(e.what()).find("the membrane potential is -inf at time step 2 of 4, sample 1 (element [2, 1, "
                                         "2] of shape [4, 2, 3])"),
              std::string::npos)
        << e.what();
  }
  n->reset_state();
  for (int t = 0; t < 2; ++t) EXPECT_NO_THROW(n->step(torch::ones({2, 3})));
  auto bad = torch::ones({2, 3});
  bad[0][1] = std::numeric_limits<float>::infinity();
  try {
    n->step(bad);
    FAIL() << "no error";
  } catch (const hnn::anomaly::NonFinite& e) {
    EXPECT_NE(std::string(e.what()).find("the input is inf at time step 2, sample 0"), std::string::npos) << e.what();
  }
}

// The saved-state option reaches the kernel: the same spikes, a gradient of the input's type.
TEST(NeuronModule, BFloat16SavedStateOption) {
  Lif full(NeuronOptions::lif(2.0));
  Lif half(NeuronOptions::lif(2.0).saved_state(SavedState::BFloat16));
  EXPECT_EQ(half->spec().saved_state, SavedState::BFloat16);
  auto x = (torch::rand({12, 2, 33}) * 1.5).requires_grad_();
  auto s = half(x);
  EXPECT_TRUE(torch::equal(s, full(x.detach())));
  s.sum().backward();
  EXPECT_EQ(x.grad().scalar_type(), torch::kFloat);
}
