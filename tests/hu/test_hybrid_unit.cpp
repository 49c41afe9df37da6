// Composition, freezing, and the three ways of training an HU from the paper (Fig. 1e): jointly
// with the network on one side of it, independently with its own objective then frozen, and as
// part of the complete model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/hu/presets.h"
#include "hnn/nn/spiking_layers.h"
#include "test_util.h"

using namespace hnn;
using namespace hnn::hu;

TEST(HybridUnit, ComposesQFHW) {
  HybridUnit hu(HybridUnitOptions(), Window(WindowOptions::fixed(2)), Kernel(KernelOptions::sum()), nl::sigmoid(1.0),
                Quantizer(QuantizerOptions::threshold(0.8)));
  auto x = (torch::rand({6, 3, 4}) > 0.5).to(torch::kFloat);
  auto manual = (torch::sigmoid(x.view({3, 2, 3, 4}).sum(1)) > 0.8).to(torch::kFloat);
  EXPECT_TRUE(torch::equal(hu(x), manual));
  EXPECT_FALSE(hu->learnable());
}

TEST(HybridUnit, OptionsNameDirectionAndSqueeze) {
  auto s = (torch::rand({6, 3, 4}) > 0.5).to(torch::kFloat);
  HybridUnit whole(HybridUnitOptions("mean").direction(Direction::SnnToAnn).squeeze(true),
                   Window(WindowOptions::whole()), Kernel(KernelOptions::mean()));
  EXPECT_EQ(whole->options.name(), "mean");
  EXPECT_EQ(whole->options.direction(), Direction::SnnToAnn);
  EXPECT_TRUE(torch::allclose(whole(s), s.mean(0)));  // [B, F]: one window, squeezed
  HybridUnit kept(HybridUnitOptions().direction(Direction::SnnToAnn), Window(WindowOptions::whole()),
                  Kernel(KernelOptions::mean()));
  EXPECT_EQ(kept(s).sizes(), torch::IntArrayRef({1, 3, 4}));
  // Several windows are never squeezed.
  HybridUnit windows(HybridUnitOptions().squeeze(true), Window(WindowOptions::fixed(2)), Kernel(KernelOptions::sum()));
  EXPECT_EQ(windows(s).sizes(), torch::IntArrayRef({3, 3, 4}));
  // Presets: window 0 always squeezes; squeeze = true does it for one window of length T.
  EXPECT_EQ(rate_decoder()(s).sizes(), torch::IntArrayRef({3, 4}));
  EXPECT_EQ(learnable_window_decoder(6)(s).sizes(), torch::IntArrayRef({1, 3, 4}));
  EXPECT_EQ(learnable_window_decoder(6, 0, true)(s).sizes(), torch::IntArrayRef({3, 4}));
  EXPECT_EQ(learnable_window_decoder(3, 0, true)(s).sizes(), torch::IntArrayRef({2, 3, 4}));
}

namespace {
HybridUnit clone_of(const HybridUnit& hu) {
  return HybridUnit(std::dynamic_pointer_cast<HybridUnitImpl>(hu->clone()));
}
}  // namespace

// clone() is a deep copy: changing the original's parameters leaves the clone and its output as
// they were, for every kind of learnable part (window, kernel, module non-linearity).
TEST(HybridUnit, CloneIsDeep) {
  torch::manual_seed(4);
  auto spikes = (torch::rand({8, 2, 3}) > 0.5).to(torch::kFloat);
  auto features = torch::rand({2, 3});
  struct Case {
    HybridUnit hu;
    torch::Tensor input;
  };
  HybridUnit with_mlp(HybridUnitOptions("mlp"), Window(WindowOptions::fixed(4)), Kernel(KernelOptions::mean()),
                      nl::mlp({3, 5, 3}));
  std::vector<Case> cases{{learnable_window_decoder(4, 3), spikes},
                          {learnable_sampler(5), features},
                          {threshold_modulator(3, 4, 1.0, 2.0), features},
                          {with_mlp, spikes}};
  for (auto& c : cases) {
    SCOPED_TRACE(c.hu->options.name());
    auto before = c.hu(c.input).detach().clone();
    auto copy = clone_of(c.hu);
    EXPECT_EQ(copy->options.name(), c.hu->options.name());
    EXPECT_EQ(copy->options.direction(), c.hu->options.direction());
    auto orig = c.hu->named_parameters(), cloned = copy->named_parameters();
    ASSERT_EQ(orig.size(), cloned.size());
    ASSERT_GT(orig.size(), 0u);
    for (auto& p : orig) {
      ASSERT_TRUE(cloned.contains(p.key())) << p.key();
      EXPECT_TRUE(torch::equal(cloned[p.key()], p.value())) << p.key();
      EXPECT_NE(cloned[p.key()].data_ptr(), p.value().data_ptr()) << p.key();
      EXPECT_TRUE(cloned[p.key()].requires_grad()) << p.key();
    }
    {
      torch::NoGradGuard ng;
      for (auto& p : c.hu->parameters()) p.add_(0.25);
    }
    EXPECT_TRUE(torch::equal(copy(c.input), before));
    EXPECT_FALSE(torch::equal(c.hu(c.input), before));
  }
  // Parts without parameters clone too.
  auto rate = rate_decoder(4);
  EXPECT_TRUE(torch::equal(clone_of(rate)(spikes), rate(spikes)));
}

TEST(HybridUnit, FreezeStopsTraining) {
  auto hu = learnable_window_decoder(4);
  EXPECT_TRUE(hu->learnable());
  hu->freeze();
  EXPECT_FALSE(hu->learnable());
  hu->freeze(false);
  EXPECT_TRUE(hu->learnable());
}

// An HU trained alone learns a known mapping: a learnable window decoder recovers the intensity
// p of a Bernoulli (Poisson) spike train of T = 32 steps. The best possible estimator (the mean)
// has RMSE sqrt(E[p(1-p)]/T) = 0.072 for p ~ U(0, 1); we require below 0.085.
TEST(HybridUnit, TrainedAloneRecoversPoissonIntensity) {
  torch::manual_seed(3);
  const int64_t T = 32;
  auto dec = learnable_window_decoder(T);
  {
    torch::NoGradGuard ng;
    dec->kernel->weight.uniform_(0, 0.01);  // start far from the answer
  }
  torch::optim::Adam opt(dec->parameters(), torch::optim::AdamOptions(0.01));
  auto rmse = [&](int64_t n) {
    auto p = torch::rand({n, 1});
    auto s = torch::bernoulli(p.unsqueeze(0).expand({T, n, 1}));
    return std::pair{(dec(s).squeeze(0) - p).pow(2).mean(), p};
  };
  double before = rmse(2000).first.sqrt().item<double>();
  for (int i = 0; i < 300; ++i) {
    opt.zero_grad();
    auto [loss, _] = rmse(256);
    loss.backward();
    opt.step();
  }
  torch::NoGradGuard ng;
  double after = rmse(20000).first.sqrt().item<double>();
  EXPECT_GT(before, 0.3);
  EXPECT_LT(after, 0.085) << "before " << before;
}

namespace {

// ANN front end -> learnable A2S HU -> SNN -> S2A HU -> ANN head, on a toy task.
struct Toy {
  torch::nn::Linear front{4, 8};
  HybridUnit a2s = learnable_sampler(8);
  nn::SpikingLinear snn{nn::SpikingLinearOptions(8, 8).neuron(
      spike::NeuronOptions::lif(2.0).threshold(0.3).surrogate(spike::Surrogate::parse("sigmoid:4")))};
  HybridUnit s2a = learnable_window_decoder(8);
  torch::nn::Linear head{8, 2};

  torch::Tensor forward(const torch::Tensor& x) { return head(s2a(snn(a2s(torch::sigmoid(front(x))))).squeeze(0)); }
  std::vector<torch::Tensor> params(std::initializer_list<torch::nn::Module*> mods) {
    std::vector<torch::Tensor> all;
    for (auto* m : mods)
      for (auto& p : m->parameters()) all.push_back(p);
    return all;
  }
  std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
    std::vector<torch::Tensor> s;
    for (auto& p : m.parameters()) s.push_back(p.detach().clone());
    return s;
  }
  static bool same(const std::vector<torch::Tensor>& a, torch::nn::Module& m) {
    auto p = m.parameters();
    for (size_t i = 0; i < a.size(); ++i)
      if (!torch::equal(a[i], p[i].detach())) return false;
    return true;
  }
};

std::pair<torch::Tensor, torch::Tensor> toy_data(int64_t n) {
  auto x = torch::randn({n, 4});
  auto y = (x.sum(1) > 0).to(torch::kLong);
  return {x, y};
}

// Trains `params` and returns the held-out loss after training over the loss before.
double train(Toy& m, const std::vector<torch::Tensor>& params, int steps) {
  auto held_out = toy_data(2048);  // (clang captures no structured binding before C++20)
  auto xe = held_out.first, ye = held_out.second;
  auto eval = [&] {
    torch::NoGradGuard ng;
    return torch::nn::functional::cross_entropy(m.forward(xe), ye).item<double>();
  };
  double before = eval();
  torch::optim::Adam opt(params, torch::optim::AdamOptions(0.01));
  for (int i = 0; i < steps; ++i) {
    auto [x, y] = toy_data(128);
    opt.zero_grad();
    torch::nn::functional::cross_entropy(m.forward(x), y).backward();
    opt.step();
  }
  return eval() / before;
}

}  // namespace

TEST(HybridUnit, TrainedJointlyWithFrontEnd) {
  torch::manual_seed(1);
  Toy m;
  // An SNN back end trained before (with some front end), then frozen; a new ANN front end and a
  // new A2S HU learn together to drive it.
  train(m, m.params({m.front.ptr().get(), m.a2s.ptr().get(), m.snn.ptr().get(), m.s2a.ptr().get(), m.head.ptr().get()}),
        200);
  m.front = torch::nn::Linear(4, 8);
  m.a2s = learnable_sampler(8);
  auto snn_before = m.snapshot(*m.snn), head_before = m.snapshot(*m.head), hu_before = m.snapshot(*m.a2s);
  double ratio = train(m, m.params({m.front.ptr().get(), m.a2s.ptr().get()}), 200);
  EXPECT_LT(ratio, 0.8);
  EXPECT_TRUE(Toy::same(snn_before, *m.snn));
  EXPECT_TRUE(Toy::same(head_before, *m.head));
  EXPECT_FALSE(Toy::same(hu_before, *m.a2s));  // the HU learned with the ANN front end
}

TEST(HybridUnit, TrainedIndependentlyThenFrozen) {
  torch::manual_seed(2);
  Toy m;
  // Own objective for the A2S HU: its spike rate should be the square of its input (it starts as
  // a linear rate code, mean error 1/6).
  auto error = [&] {
    torch::NoGradGuard ng;
    auto v = torch::rand({4096, 8});
    return (m.a2s(v).mean(0) - v * v).abs().mean().item<double>();
  };
  double before = error();
  torch::optim::Adam own(m.a2s->parameters(), torch::optim::AdamOptions(0.02));
  for (int i = 0; i < 200; ++i) {
    auto v = torch::rand({256, 8});
    own.zero_grad();
    auto loss = (m.a2s(v).mean(0) - v * v).pow(2).mean();
    loss.backward();
    own.step();
  }
  EXPECT_GT(before, 0.14);
  EXPECT_LT(error(), 0.09);
  m.a2s->freeze();
  auto hu_before = m.snapshot(*m.a2s);
  std::vector<torch::Tensor> rest =
      m.params({m.front.ptr().get(), m.snn.ptr().get(), m.s2a.ptr().get(), m.head.ptr().get()});
  EXPECT_LT(train(m, rest, 150), 0.8);
  EXPECT_TRUE(Toy::same(hu_before, *m.a2s));
}

TEST(HybridUnit, TrainedWithCompleteModel) {
  torch::manual_seed(3);
  Toy m;
  auto a2s = m.snapshot(*m.a2s), s2a = m.snapshot(*m.s2a), snn = m.snapshot(*m.snn);
  auto all =
      m.params({m.front.ptr().get(), m.a2s.ptr().get(), m.snn.ptr().get(), m.s2a.ptr().get(), m.head.ptr().get()});
  EXPECT_LT(train(m, all, 150), 0.8);
  EXPECT_FALSE(Toy::same(a2s, *m.a2s));
  EXPECT_FALSE(Toy::same(s2a, *m.s2a));
  EXPECT_FALSE(Toy::same(snn, *m.snn));
}
