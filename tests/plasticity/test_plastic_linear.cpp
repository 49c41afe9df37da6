// The plastic layer against an independent per-step reference written from the spec's equations
// (the reference's [B, N_in, N_out] bmm-then-mean trace update, its LIF with the reset before the
// decay, the box surrogate as a straight-through expression), values and gradients in double.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/plasticity/meta.h"
#include "hnn/plasticity/plastic_linear.h"
#include "hnn/spike/neurons.h"
#include "test_util.h"

using namespace hnn;
using namespace hnn::plasticity;

namespace {

// Heaviside(x) forward, 1[|x| < 0.5] backward: written without hnn::spike.
torch::Tensor box_spike(const torch::Tensor& x) {
  auto box = (x.abs() < 0.5).to(x.dtype()).detach();
  auto g = box * x;
  return (x > 0).to(x.dtype()).detach() + g - g.detach();
}

struct RefOut {
  torch::Tensor spikes, membrane, trace;
};

// The spec's equations, step by step (§1.1, §2.2, §2.3).
RefOut reference(const torch::Tensor& x, const PlasticLinearImpl& l, const torch::Tensor& h0,
                 const torch::Tensor& mask) {
  const auto& o = l.options;
  const double th = o.threshold(), lam = o.decay();
  const int64_t B = x.size(1);
  auto u = torch::zeros({B, o.out_features()}, x.options());
  auto s = torch::zeros_like(u);
  auto h = h0;
  std::vector<torch::Tensor> ss, us;
  for (int64_t t = 0; t < x.size(0); ++t) {
    auto p = x[t];
    torch::Tensor w_eff;
    torch::Tensor i;
    switch (o.combine()) {
      case Combine::Additive:
        i = p.mm(l.weight.t()) + (l.bias.defined() ? l.bias : torch::zeros({}, x.options()));
        if (o.rule() != Rule::None) i = i + l.alpha * p.mm(h);
        break;
      case Combine::Masked:
        w_eff = l.weight.t() * mask;
        if (o.rule() != Rule::None) w_eff = w_eff + l.alpha * h * (1 - mask);
        i = p.mm(w_eff);
        break;
      case Combine::Convex:
        w_eff = l.alpha * l.weight.t();
        if (o.rule() != Rule::None) w_eff = w_eff + (1 - l.alpha) * h;
        i = p.mm(w_eff);
        break;
    }
    if (o.combine() != Combine::Additive && l.bias.defined()) i = i + l.bias;
    u = o.reset() == hnn::spike::Reset::Soft ? lam * (u - th * s) + i : lam * u * (1 - s) + i;
    s = box_spike(u - th);
    ss.push_back(s);
    us.push_back(u);
    if (o.rule() == Rule::None) continue;
    torch::Tensor pre, post;
    double sign = 1;
    if (o.rule() == Rule::SoftmaxHebb) {
      pre = p * l.eta.clamp_max(o.trace().eta_max);
      post = torch::softmax(u - l.beta.reshape({1, -1}), 1);
    } else {
      auto b = l.beta.reshape({1, -1});
      if (o.rule() == Rule::AntiHebb && o.trace().beta_nonnegative) b = b.clamp_min(0);
      pre = b * p;
      post = u / th - l.eta.reshape({1, -1});
      if (o.rule() == Rule::TanhHebb) post = post.tanh();
      if (o.rule() == Rule::AntiHebb) sign = -1;
    }
    auto outer = torch::bmm(pre.unsqueeze(2), post.unsqueeze(1)).mean(0);  // [N_in, N_out]
    h = o.trace().decay * h + sign * outer;
    if (o.trace().clamp > 0) h = h.clamp(-o.trace().clamp, o.trace().clamp);
  }
  return {torch::stack(ss), torch::stack(us), h};
}

using Case = std::tuple<Rule, Combine, hnn::spike::Reset>;
class PlasticVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(PlasticVsReference, ValuesAndGradientsMatch) {
  auto [rule, combine, reset] = GetParam();
  torch::manual_seed(3);
  const int64_t T = 6, B = 3, I = 5, O = 4;
  auto opts = PlasticLinearOptions(I, O)
                  .rule(rule)
                  .combine(combine)
                  .reset(reset)
                  .threshold(0.3)
                  .decay(0.6)
                  .bias(combine == Combine::Additive)
                  .trace(TraceOptions{0.9, 0.5, true, 0.1})
                  .alpha_init({0.2, 0.8})
                  .beta_init({-0.5, 1.0})
                  .eta_init({0.0, 0.3});
  PlasticLinear l(opts);
  l->to(torch::kDouble);
  auto mask = (torch::rand({I, O}, torch::kDouble) < 0.5).to(torch::kDouble);
  auto x = (torch::rand({T, B, I}, torch::kDouble) * 1.2).requires_grad_(true);
  auto h0 = torch::randn({I, O}, torch::kDouble) * 0.3;
  {
    torch::NoGradGuard ng;
    l->trace.copy_(h0);
  }
  l->options.persistent(true);
  l->eval();  // start from the kept trace, keep it unchanged
  auto out = l->forward(x, combine == Combine::Masked ? mask : torch::Tensor());
  auto ref = reference(x, *l, h0, mask);
  EXPECT_TENSOR_NEAR(out.spikes, ref.spikes, 1e-12);  // the reference's straight-through adds ~1e-16
  EXPECT_TENSOR_NEAR(out.membrane, ref.membrane, 1e-12);
  if (rule != Rule::None) {
    EXPECT_TENSOR_NEAR(out.state.trace, ref.trace, 1e-12);
  }
  EXPECT_TENSOR_NEAR(l->trace, h0, 0);  // evaluation windows do not change the kept trace
  EXPECT_GT(out.spikes.sum().item<double>(), 0);

  // Gradients of one loss on membrane, spikes and final trace through both.
  auto w1 = torch::randn_like(ref.membrane), w2 = torch::randn_like(ref.spikes), w3 = torch::randn_like(h0);
  auto loss_of = [&, rule = rule](const torch::Tensor& u, const torch::Tensor& s, const torch::Tensor& h) {
    auto loss = (u * w1).sum() + (s * w2).sum();
    return rule == Rule::None ? loss : loss + (h * w3).sum();
  };
  std::vector<torch::Tensor> params = {x, l->weight, l->alpha, l->beta, l->eta};
  if (l->bias.defined()) params.push_back(l->bias);
  auto g_layer =
      torch::autograd::grad({loss_of(out.membrane, out.spikes, out.state.trace)}, params, {}, true, false, true);
  auto g_ref = torch::autograd::grad({loss_of(ref.membrane, ref.spikes, ref.trace)}, params, {}, true, false, true);
  for (size_t k = 0; k < params.size(); ++k) {
    ASSERT_EQ(g_layer[k].defined(), g_ref[k].defined()) << "parameter " << k;
    if (g_ref[k].defined()) {
      EXPECT_TENSOR_NEAR(g_layer[k], g_ref[k], 1e-10) << "parameter " << k;
    }
  }
  if (rule == Rule::TanhHebb || rule == Rule::AntiHebb) {
    // beta and eta learn only through the unrolled trace ("differentiable plasticity").
    EXPECT_GT(g_ref[3].abs().sum().item<double>(), 0);
    EXPECT_GT(g_ref[4].abs().sum().item<double>(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(AllRules, PlasticVsReference,
                         ::testing::Combine(::testing::Values(Rule::None, Rule::TanhHebb, Rule::AntiHebb,
                                                              Rule::SoftmaxHebb),
                                            ::testing::Values(Combine::Additive, Combine::Masked, Combine::Convex),
                                            ::testing::Values(hnn::spike::Reset::Soft, hnn::spike::Reset::Hard)),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return to_string(std::get<0>(info.param)) + "_" + to_string(std::get<1>(info.param)) + "_" +
                                  hnn::spike::to_string(std::get<2>(info.param));
                         });

TEST(Hebbian, GemmFormEqualsBmmForm) {
  torch::manual_seed(1);
  auto p = torch::rand({7, 9}), u = torch::randn({7, 4}), h = torch::randn({9, 4});
  auto beta = torch::rand({9}), eta = torch::rand({4});
  TraceOptions o{0.95, 0, false, 0.1};
  auto gemm = hebbian_update(h, p, u, beta, eta, 0.35, Rule::TanhHebb, o);
  auto bmm = 0.95 * h + torch::bmm((beta * p).unsqueeze(2), (u / 0.35 - eta).tanh().unsqueeze(1)).mean(0);
  EXPECT_TENSOR_NEAR(gemm, bmm, 1e-6);
}

TEST(Hebbian, OneStepHandComputed) {
  // B = 1, two inputs, one output: H' = k H + (beta * p) tanh(u / theta - eta), then clamp.
  auto h = torch::tensor({{0.5}, {-1.0}}, torch::kDouble);
  auto p = torch::tensor({{1.0, 0.5}}, torch::kDouble);
  auto u = torch::tensor({{0.7}}, torch::kDouble);
  auto beta = torch::tensor({0.2, 0.4}, torch::kDouble), eta = torch::tensor({0.5}, torch::kDouble);
  auto out = hebbian_update(h, p, u, beta, eta, 0.35, Rule::TanhHebb, TraceOptions{0.9, 0.6});
  const double g = std::tanh(0.7 / 0.35 - 0.5);
  EXPECT_NEAR(out[0][0].item<double>(), std::min(0.6, 0.9 * 0.5 + 0.2 * 1.0 * g), 1e-12);
  EXPECT_NEAR(out[1][0].item<double>(), std::max(-0.6, -0.9 + 0.4 * 0.5 * g), 1e-12);
  auto anti = hebbian_update(h, p, u, beta, eta, 0.35, Rule::AntiHebb, TraceOptions{0.9, 0});
  EXPECT_NEAR(anti[1][0].item<double>(), -0.9 - 0.4 * 0.5 * (0.7 / 0.35 - 0.5), 1e-12);
}

TEST(Readout, MembraneAndEarlyExit) {
  auto u = torch::tensor({{0.1, 0.9}, {0.2, 0.3}, {0.6, 0.0}, {0.0, 0.1}});
  EXPECT_TENSOR_NEAR(membrane_readout(u, 0.5, 1.1), (u / 0.5).clamp_max(1.1), 0);
  EXPECT_TENSOR_NEAR(membrane_readout(u, 0.5, 0), u / 0.5, 0);
  // Rows with an output above 0.5: 2 of 4.
  EXPECT_TRUE(early_exit(u, 0.5, 0.4));
  EXPECT_FALSE(early_exit(u, 0.5, 0.5));
  EXPECT_DOUBLE_EQ(attenuation(0, 40), 1.0);
  EXPECT_NEAR(attenuation(9, 40), std::exp(-9.0 / 40), 1e-15);
  EXPECT_DOUBLE_EQ(attenuation(5, 0), 1.0);
}

TEST(Hebbian, BadShapesRaise) {
  auto h = torch::zeros({3, 2});
  EXPECT_THROW(hebbian_update(h, torch::zeros({4, 5}), torch::zeros({4, 2}), torch::zeros({3}), torch::zeros({2}), 0.5,
                              Rule::TanhHebb, {}),
               hnn::Error);
  EXPECT_THROW(hebbian_update(h, torch::zeros({4, 3}), torch::zeros({4, 2}), torch::zeros({3}), torch::zeros({2}), 0.5,
                              Rule::None, {}),
               hnn::Error);
  PlasticLinear l(PlasticLinearOptions(3, 2).combine(Combine::Masked));
  EXPECT_THROW(l->forward(torch::zeros({2, 1, 3})), hnn::Error);  // no mask
  EXPECT_THROW(l->forward(torch::zeros({2, 1, 4})), hnn::Error);
  EXPECT_THROW(parse_rule("hebb"), hnn::Error);
  EXPECT_EQ(parse_combine("convex"), Combine::Convex);
}

TEST(PlasticLinear, GlobalModeIsAPlainSpikingLayer) {
  // Rule::None: a linear layer feeding spike's LifDecay neuron with soft reset.
  torch::manual_seed(2);
  PlasticLinear l(PlasticLinearOptions(6, 3).rule(Rule::None).threshold(0.4).decay(0.5));
  auto x = torch::rand({5, 2, 6});
  auto out = l->forward(x);
  hnn::spike::NeuronSpec spec;
  spec.reset = hnn::spike::Reset::Soft;
  hnn::spike::NeuronParams np;
  np.threshold = torch::tensor(0.4);
  np.decay = torch::tensor(0.5);
  auto i = torch::matmul(x, l->weight.t()) + l->bias;
  auto ref = hnn::spike::multistep(i, {}, np, spec);
  EXPECT_TENSOR_NEAR(out.spikes, ref.spikes, 0);
  EXPECT_FALSE(out.state.trace.defined());
}

TEST(PlasticLinear, PersistentTraceCarriesAcrossTrainingWindowsOnly) {
  torch::manual_seed(4);
  PlasticLinear l(PlasticLinearOptions(4, 3).persistent(true).threshold(0.2).beta_init({0.5, 1.0}));
  auto x = torch::rand({4, 2, 4});
  l->train();
  auto a = l->forward(x);
  EXPECT_TENSOR_NEAR(l->trace, a.state.trace, 0);
  EXPECT_FALSE(l->trace.requires_grad());
  auto b = l->forward(x);  // starts from a's final trace
  EXPECT_GT(max_abs_diff(b.state.trace, a.state.trace), 0);
  l->eval();
  auto kept = l->trace.clone();
  l->forward(x);
  EXPECT_TENSOR_NEAR(l->trace, kept, 0);
  // Not persistent: every window from zero, so two windows agree.
  PlasticLinear z(PlasticLinearOptions(4, 3).threshold(0.2));
  auto z1 = z->forward(x), z2 = z->forward(x);
  EXPECT_TENSOR_NEAR(z1.membrane, z2.membrane, 0);
}

TEST(PlasticLinear, FreezeAndSplit) {
  PlasticLinear l(PlasticLinearOptions(4, 3));
  auto split = split_parameters(*l);
  EXPECT_EQ(split.global.size(), 2u);  // weight, bias
  EXPECT_EQ(split.local.size(), 3u);   // alpha, beta, eta
  l->freeze_global();
  split = split_parameters(*l);
  EXPECT_EQ(split.global.size(), 0u);
  EXPECT_EQ(split.local.size(), 3u);
  l->freeze_global(true);
  EXPECT_EQ(split_parameters(*l).local.size(), 0u);
  auto c = std::dynamic_pointer_cast<PlasticLinearImpl>(PlasticLinear(PlasticLinearOptions(4, 3))->clone());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->weight.sizes(), torch::IntArrayRef({3, 4}));
}

// forward_scaled (the trace in the batch's span) against forward on the stacked sequence.
void check_scaled(Rule rule, double clamp, bool expect_spikes = true) {
  torch::manual_seed(11);
  const int64_t B = 4, I = 6, O = 5;
  PlasticLinear l(PlasticLinearOptions(I, O)
                      .rule(rule)
                      .threshold(0.3)
                      .decay(0.5)
                      .persistent(true)
                      .trace(TraceOptions{0.9, clamp, true})
                      .alpha_init({0.3, 0.9})
                      .beta_init({-0.2, 0.6})
                      .eta_init({0.0, 0.4}));
  l->to(torch::kDouble);
  {
    torch::NoGradGuard ng;
    l->trace.copy_(torch::randn({I, O}, torch::kDouble) * 0.2);
  }
  auto x = torch::rand({B, I}, torch::kDouble).requires_grad_(true);
  std::vector<double> scale = {1.0, 0.9, 0.8, 0.7, 0.6};
  l->eval();
  auto fast = l->forward_scaled(x, scale);
  auto slow = l->forward(torch::stack({x * 1.0, x * 0.9, x * 0.8, x * 0.7, x * 0.6}));
  EXPECT_TENSOR_NEAR(fast.spikes, slow.spikes, 0);
  EXPECT_TENSOR_NEAR(fast.membrane, slow.membrane, 1e-12);
  const bool traced = rule != Rule::None;
  if (traced) {
    EXPECT_TENSOR_NEAR(fast.state.trace, slow.state.trace, 1e-12);
  }
  if (expect_spikes) {
    EXPECT_GT(fast.spikes.sum().item<double>(), 0);
  }
  auto w = torch::randn_like(fast.membrane), w2 = torch::randn({I, O}, torch::kDouble);
  auto loss = [&](const PlasticSequence& r) {
    auto v = (r.membrane * w).sum();
    return traced ? v + (r.state.trace * w2).sum() : v;
  };
  std::vector<torch::Tensor> params = {x, l->weight, l->bias};
  if (traced) params.insert(params.end(), {l->alpha, l->beta, l->eta});
  auto gf = torch::autograd::grad({loss(fast)}, params, {}, true, false, true);
  auto gs = torch::autograd::grad({loss(slow)}, params, {}, true, false, true);
  for (size_t k = 0; k < params.size(); ++k) {
    EXPECT_TENSOR_NEAR(gf[k], gs[k], 1e-10) << "parameter " << k;
  }
  if (!traced) return;
  // Training mode keeps the same final trace either way.
  l->train();
  auto kept = l->trace.clone();
  l->forward_scaled(x, scale);
  auto a = l->trace.clone();
  {
    torch::NoGradGuard ng;
    l->trace.copy_(kept);
  }
  l->forward(torch::stack({x * 1.0, x * 0.9, x * 0.8, x * 0.7, x * 0.6}));
  EXPECT_TENSOR_NEAR(a, l->trace, 1e-12);
}

TEST(PlasticLinear, ScaledWindowMatchesSequence) {
  check_scaled(Rule::TanhHebb, 100.0);  // fast path: the clamp cannot be reached
  check_scaled(Rule::TanhHebb, 0.05);   // clamp reachable: the step loop
  check_scaled(Rule::AntiHebb, 0.0);    // fast path
  check_scaled(Rule::AntiHebb, 0.5);    // step loop
  check_scaled(Rule::None, 0.0);
}

TEST(PlasticLinear, StdpRuleUpdatesTheTrace) {
  // Rule::Stdp: the trace follows stdp_step with the layer's own output spikes.
  torch::manual_seed(5);
  StdpOptions so{0.1, 0.05, 0.5, 0.5};
  PlasticLinear l(PlasticLinearOptions(3, 2).rule(Rule::Stdp).stdp(so).threshold(0.1).trace(TraceOptions{1.0, 0}));
  auto x = (torch::rand({4, 1, 3}) > 0.4).to(torch::kFloat);
  auto out = l->forward(x);
  StdpTraces tr;
  auto h = torch::zeros({3, 2});
  for (int64_t t = 0; t < 4; ++t) {
    auto d = stdp_step(x[t], out.spikes[t], tr, so);
    tr = d.traces;
    h = h + d.delta;
  }
  EXPECT_TENSOR_NEAR(out.state.trace, h, 1e-6);
}

}  // namespace
