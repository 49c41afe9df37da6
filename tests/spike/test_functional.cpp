// The fused multi-step kernels against the plain per-step autograd loop: values and gradients
// in double precision for every neuron x reset mode x surrogate.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <tuple>

#include "hnn/core/error.h"
#include "hnn/spike/neuron.h"
#include "test_util.h"

using namespace hnn::spike;
using torch::Tensor;

namespace {

enum class Kind { If, Lif, LifDecay, Plif, Alif };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::If:
      return "IF";
    case Kind::Lif:
      return "LIF";
    case Kind::LifDecay:
      return "LIFdecay";
    case Kind::Plif:
      return "PLIF";
    case Kind::Alif:
      return "ALIF";
  }
  return "?";
}

struct Leaves {
  Tensor x, v0, a0, theta, decay_raw, rho, beta;
};

// Builds leaf tensors: per-feature threshold and decay, random initial state.
Leaves make_leaves(Kind k, int64_t T, int64_t B, int64_t F, uint64_t seed) {
  torch::manual_seed(seed);
  auto o = torch::TensorOptions().dtype(torch::kDouble);
  Leaves l;
  l.x = (torch::rand({T, B, F}, o) * 1.6 - 0.2).requires_grad_();
  l.v0 = (torch::rand({B, F}, o) * 0.5).requires_grad_();
  l.theta = (torch::rand({F}, o) * 0.4 + 0.8).requires_grad_();
  if (k == Kind::Plif) {
    l.decay_raw = (torch::randn({F}, o) * 0.5).requires_grad_();  // logit of k
  } else {
    l.decay_raw = (torch::rand({F}, o) * 0.6 + 0.2).requires_grad_();
  }
  if (k == Kind::Alif) {
    l.a0 = (torch::rand({B, F}, o) * 0.3).requires_grad_();
    l.rho = (torch::rand({F}, o) * 0.5 + 0.4).requires_grad_();
    l.beta = (torch::rand({F}, o) * 0.5 + 0.1).requires_grad_();
  }
  return l;
}

NeuronSpec make_spec(Kind k, Reset r, SurrogateKind s, bool detach) {
  NeuronSpec spec;
  spec.charge = k == Kind::If ? Charge::If : k == Kind::LifDecay ? Charge::LifDecay : Charge::LifOde;
  spec.reset = r;
  spec.detach_reset = detach;
  spec.adaptive = k == Kind::Alif;
  spec.surrogate = Surrogate::make(s);
  return spec;
}

NeuronParams make_params(Kind k, const Leaves& l) {
  NeuronParams p;
  p.threshold = l.theta;
  p.decay = k == Kind::Plif ? torch::sigmoid(l.decay_raw) : l.decay_raw;
  p.v_reset = torch::scalar_tensor(-0.1, torch::kDouble);
  p.v_rest = torch::scalar_tensor(0.05, torch::kDouble);
  p.rho = l.rho;
  p.beta = l.beta;
  return p;
}

struct Grads {
  Tensor spikes, membrane, v_last, a_last;
  std::vector<Tensor> grads;
};

// frozen: decay and threshold without gradients (the kernel's lean backward path); the decay is
// one value for the even seeds and one per feature for the odd ones.
Grads run(bool fused, Kind k, const NeuronSpec& spec, uint64_t seed, bool frozen = false) {
  Leaves l = make_leaves(k, 7, 3, 5, seed);
  NeuronParams p = make_params(k, l);
  if (frozen) {
    p.decay = seed % 2 ? p.decay.detach() : p.decay.detach()[0];
    p.threshold = p.threshold.detach();
  }
  NeuronState st{l.v0, l.a0};
  SequenceResult r = fused ? multistep(l.x, st, p, spec, true) : multistep_loop(l.x, st, p, spec, true);
  torch::manual_seed(seed + 1);
  auto o = torch::TensorOptions().dtype(torch::kDouble);
  Tensor loss = (r.spikes * torch::randn(r.spikes.sizes(), o)).sum() +
                (r.membrane * torch::randn(r.membrane.sizes(), o)).sum() +
                (r.state.v * torch::randn(r.state.v.sizes(), o)).sum();
  if (spec.adaptive) loss = loss + (r.state.a * torch::randn(r.state.a.sizes(), o)).sum();
  loss.backward();
  Grads g{
      r.spikes.detach(), r.membrane.detach(), r.state.v.detach(), spec.adaptive ? r.state.a.detach() : Tensor(), {}};
  for (auto* t : {&l.x, &l.v0, &l.theta, &l.decay_raw, &l.a0, &l.rho, &l.beta}) {
    if (t->defined()) g.grads.push_back(t->grad().defined() ? t->grad() : torch::zeros_like(*t));
  }
  return g;
}

using Case = std::tuple<Kind, Reset, SurrogateKind, bool>;

class FusedVsLoop : public ::testing::TestWithParam<Case> {};

TEST_P(FusedVsLoop, ValuesAndGradientsMatch) {
  auto [kind, reset, sg, detach] = GetParam();
  NeuronSpec spec = make_spec(kind, reset, sg, detach);
  using SeedCase = std::pair<uint64_t, bool>;
  for (auto [seed, frozen] :
       {SeedCase{11, false}, SeedCase{12, false}, SeedCase{13, false}, SeedCase{14, true}, SeedCase{15, true}}) {
    Grads a = run(true, kind, spec, seed, frozen), b = run(false, kind, spec, seed, frozen);
    EXPECT_TRUE(torch::equal(a.spikes, b.spikes)) << "spikes differ, seed " << seed;
    EXPECT_TENSOR_NEAR(a.membrane, b.membrane, 1e-12);
    EXPECT_TENSOR_NEAR(a.v_last, b.v_last, 1e-12);
    if (spec.adaptive) {
      EXPECT_TENSOR_NEAR(a.a_last, b.a_last, 1e-12);
    }
    ASSERT_EQ(a.grads.size(), b.grads.size());
    for (size_t i = 0; i < a.grads.size(); ++i) {
      EXPECT_LE(max_abs_diff(a.grads[i], b.grads[i]), 1e-10) << "gradient " << i << ", seed " << seed;
    }
    // Spikes must actually happen for the test to mean something.
    EXPECT_GT(a.spikes.sum().item<double>(), 0);
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  auto [kind, reset, sg, detach] = info.param;
  std::string s = Surrogate::make(sg).name();
  s = s.substr(0, s.find(':'));
  return std::string(kind_name(kind)) + "_" + to_string(reset) + "_" + s + (detach ? "_detach" : "");
}

INSTANTIATE_TEST_SUITE_P(
    AllNeurons, FusedVsLoop,
    ::testing::Combine(::testing::Values(Kind::If, Kind::Lif, Kind::LifDecay, Kind::Plif, Kind::Alif),
                       ::testing::Values(Reset::Hard, Reset::Soft, Reset::None),
                       ::testing::ValuesIn(Surrogate::kinds()),  // every surrogate of surrogate_math.h
                       ::testing::Values(false, true)),
    case_name);

}  // namespace

// Hand-computed IF sequence with hard reset: v accumulates x until it passes theta = 1.
TEST(Functional, IfHandComputed) {
  NeuronSpec spec;
  spec.charge = Charge::If;
  auto x = torch::tensor({0.4, 0.4, 0.4, 0.4, 1.5}, torch::kDouble).view({5, 1, 1});
  auto r = multistep(x, {}, {}, spec, true);
  EXPECT_TRUE(torch::equal(r.spikes.flatten(), torch::tensor({0.0, 0.0, 1.0, 0.0, 1.0}, torch::kDouble)));
  EXPECT_TENSOR_NEAR(r.membrane.flatten(), torch::tensor({0.4, 0.8, 0.0, 0.4, 0.0}, torch::kDouble), 1e-15);
}

// The reference systems' decay form: u_t = d u_{t-1} (1 - s_{t-1}) + I_t, with d = 0 (HSN)
// the neuron is memoryless and spikes wherever I_t > theta.
TEST(Functional, DecayFormWithZeroDecayIsMemoryless) {
  NeuronSpec spec;
  spec.charge = Charge::LifDecay;
  NeuronParams p;
  p.decay = torch::scalar_tensor(0.0);
  p.threshold = torch::scalar_tensor(0.5);
  auto x = torch::rand({10, 4, 8});
  auto r = multistep(x, {}, p, spec);
  EXPECT_TRUE(torch::equal(r.spikes, (x > 0.5).to(torch::kFloat)));
}

TEST(Functional, InclusiveFiring) {
  NeuronSpec spec;
  spec.charge = Charge::If;
  spec.inclusive = true;
  NeuronParams p;
  p.threshold = torch::scalar_tensor(100.0);
  auto x = torch::tensor({100.0, 99.0}).view({2, 1});
  auto r = multistep(x, {}, p, spec);
  EXPECT_EQ(r.spikes[0].item<float>(), 1.0f);
  spec.inclusive = false;
  EXPECT_EQ(multistep(x, {}, p, spec).spikes[0].item<float>(), 0.0f);
}

TEST(Functional, PerChannelThresholdBroadcastsOnConvMaps) {
  NeuronSpec spec;
  spec.charge = Charge::LifDecay;
  auto x = torch::rand({4, 2, 3, 5, 5}, torch::kDouble);
  auto theta = torch::tensor({0.2, 0.5, 0.9}, torch::kDouble).view({3, 1, 1});
  NeuronParams p;
  p.threshold = theta;
  p.decay = torch::scalar_tensor(0.0, torch::kDouble);
  auto r = multistep(x, {}, p, spec);
  EXPECT_TRUE(torch::equal(r.spikes, (x > theta).to(torch::kDouble)));
  // Gradient reaches each channel's threshold with the per-channel shape.
  auto th = theta.clone().requires_grad_();
  p.threshold = th;
  multistep(x, {}, p, spec).spikes.sum().backward();
  EXPECT_EQ(th.grad().sizes(), th.sizes());
}

TEST(Functional, PerStepThresholdMatchesLoop) {
  NeuronSpec spec;
  spec.charge = Charge::LifOde;
  auto x = torch::rand({6, 2, 4}, torch::kDouble).mul(2).requires_grad_();
  auto th = (torch::rand({6, 2, 1}, torch::kDouble) + 0.5).requires_grad_();
  NeuronParams p;
  p.threshold = th;
  auto a = multistep(x, {}, p, spec, true);
  (a.spikes * 3 + a.membrane).sum().backward();
  auto gx = x.grad().clone(), gth = th.grad().clone();
  x.grad().zero_();
  th.grad().zero_();
  auto b = multistep_loop(x, {}, p, spec, true);
  (b.spikes * 3 + b.membrane).sum().backward();
  EXPECT_TRUE(torch::equal(a.spikes, b.spikes));
  EXPECT_TENSOR_NEAR(gx, x.grad(), 1e-12);
  EXPECT_TENSOR_NEAR(gth, th.grad(), 1e-12);
}

TEST(Functional, ChunkedStateMatchesOneSequence) {
  // Running [0, T) then [T, 2T) from the carried state equals one run over [0, 2T).
  NeuronSpec spec;
  spec.charge = Charge::LifOde;
  spec.adaptive = true;
  auto x = torch::rand({8, 3, 300}, torch::kDouble) * 1.5;  // > one kernel chunk of neurons
  auto whole = multistep(x, {}, {}, spec);
  auto first = multistep(x.slice(0, 0, 4), {}, {}, spec);
  auto second = multistep(x.slice(0, 4, 8), first.state, {}, spec);
  EXPECT_TRUE(torch::equal(whole.spikes, torch::cat({first.spikes, second.spikes})));
  EXPECT_TENSOR_NEAR(whole.state.v, second.state.v, 1e-14);
}

TEST(Functional, FloatMatchesDouble) {
  NeuronSpec spec;
  spec.charge = Charge::LifOde;
  auto x = torch::rand({20, 4, 64}, torch::kDouble) * 1.2;
  auto d = multistep(x, {}, {}, spec, true);
  auto f = multistep(x.to(torch::kFloat), {}, {}, spec, true);
  EXPECT_TENSOR_NEAR(f.membrane, d.membrane, 1e-4);
}

TEST(Functional, EmptySequenceKeepsState) {
  NeuronSpec spec;
  auto v0 = torch::rand({2, 3});
  auto r = multistep(torch::empty({0, 2, 3}), {v0, {}}, {}, spec);
  EXPECT_EQ(r.spikes.size(0), 0);
  EXPECT_TRUE(torch::equal(r.state.v, v0));
}

TEST(Functional, BadShapesGiveClearErrors) {
  NeuronSpec spec;
  NeuronParams p;
  p.threshold = torch::ones({7});
  try {
    multistep(torch::rand({3, 2, 5}), {}, p, spec);
    FAIL() << "no throw";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("threshold"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[7]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(multistep(torch::rand({5}), {}, {}, spec), hnn::Error);
}

TEST(Functional, FusedIsUsedForCpuFloatAndDouble) {
  EXPECT_TRUE(has_fused_kernel(torch::rand({2, 2})));
  EXPECT_TRUE(has_fused_kernel(torch::rand({2, 2}, torch::kDouble)));
  EXPECT_FALSE(has_fused_kernel(torch::rand({2, 2}).to(torch::kBFloat16)));
  // Other dtypes fall back to the loop and still work.
  NeuronSpec spec;
  auto r = multistep(torch::ones({3, 2}).to(torch::kBFloat16) * 2, {}, {}, spec);
  EXPECT_EQ(r.spikes.scalar_type(), torch::kBFloat16);
}

// SavedState::BFloat16: the forward is unchanged (spikes, membrane), and the gradients stay close
// to those of the full-precision saved state (relative L2 error, float, 60 steps; docs/spiking.md
// reports these values).
TEST(Functional, BFloat16SavedStateKeepsForwardAndBoundsGradientError) {
  for (Kind k : {Kind::Lif, Kind::Alif}) {
    for (bool frozen : {true, false}) {
      for (SurrogateKind sk : {SurrogateKind::Rectangular, SurrogateKind::Sigmoid, SurrogateKind::Arctan}) {
        NeuronSpec spec = make_spec(k, Reset::Hard, sk, false);
        auto once = [&](SavedState saved) {
          spec.saved_state = saved;
          Leaves l = make_leaves(k, 60, 8, 300, 7);
          auto f = [](Tensor& t) {
            if (t.defined()) t = t.detach().to(torch::kFloat).requires_grad_();
          };
          for (Tensor* t : {&l.x, &l.v0, &l.a0, &l.theta, &l.decay_raw, &l.rho, &l.beta}) f(*t);
          NeuronParams p = make_params(k, l);
          p.v_reset = p.v_reset.to(torch::kFloat);
          p.v_rest = p.v_rest.to(torch::kFloat);
          if (frozen) {
            p.threshold = p.threshold.detach();
            p.decay = p.decay.detach();
          }
          SequenceResult r = multistep(l.x, {l.v0, l.a0}, p, spec, true);
          torch::manual_seed(3);
          (r.spikes * torch::randn(r.spikes.sizes()))
              .sum()
              .add((r.state.v * torch::randn(r.state.v.sizes())).sum())
              .backward();
          std::vector<Tensor> out = {r.spikes, r.membrane, l.x.grad(), l.v0.grad()};
          if (!frozen) out.insert(out.end(), {l.theta.grad(), l.decay_raw.grad()});
          return out;
        };
        auto full = once(SavedState::Full), half = once(SavedState::BFloat16);
        std::string what = std::string(kind_name(k)) + (frozen ? " frozen " : " learned ") + Surrogate::make(sk).name();
        EXPECT_TRUE(torch::equal(full[0], half[0])) << what;
        EXPECT_TRUE(torch::equal(full[1], half[1])) << what;
        for (size_t i = 2; i < full.size(); ++i) {
          double rel = ((half[i] - full[i]).norm() / full[i].norm()).item<double>();
          // Measured: 0.4-0.7% for sigmoid and arctan, 5-10% for rect (its box edges are steps:
          // the few membranes that rounding moves across an edge change their gradient by 1).
          EXPECT_LT(rel, sk == SurrogateKind::Rectangular ? 0.15 : 0.015) << what << " gradient " << i;
        }
      }
    }
  }
}

TEST(Functional, SavedStateNames) {
  EXPECT_EQ(parse_saved_state("bfloat16"), SavedState::BFloat16);
  EXPECT_EQ(to_string(SavedState::Full), "full");
  EXPECT_THROW(parse_saved_state("half"), hnn::Error);
}

// Without a gradient to come (no_grad, or no input requiring one) the kernel saves no membrane;
// the outputs are those of a training forward.
TEST(Functional, InferenceForwardMatchesTrainingForward) {
  for (bool adaptive : {false, true}) {
    NeuronSpec spec;
    spec.charge = Charge::LifOde;
    spec.adaptive = adaptive;
    auto x = torch::rand({9, 3, 70}) * 1.5;
    auto train = multistep(x.clone().requires_grad_(), {}, {}, spec, true);
    SequenceResult infer;
    {
      torch::NoGradGuard no_grad;
      infer = multistep(x, {}, {}, spec, true);
    }
    auto plain = multistep(x, {}, {}, spec, true);  // no input requires a gradient
    for (const auto& r : {infer, plain}) {
      EXPECT_TRUE(torch::equal(r.spikes, train.spikes.detach()));
      EXPECT_TRUE(torch::equal(r.membrane, train.membrane.detach()));
      EXPECT_TRUE(torch::equal(r.state.v, train.state.v.detach()));
    }
  }
}
