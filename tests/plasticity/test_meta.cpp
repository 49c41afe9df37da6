#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/plasticity/meta.h"
#include "hnn/plasticity/plastic_linear.h"
#include "hnn/plasticity/stdp.h"
#include "test_util.h"

using namespace hnn::plasticity;

namespace {

TEST(Stdp, HandComputedPairs) {
  // One synapse, a+ 1, a- 0.5, both traces halve each step. Pre spike at 0, post at 2, pre at 3:
  // step 2 potentiates by the pre trace 0.25, step 3 depresses by 0.5 x the post trace 0.5.
  StdpOptions o{1.0, 0.5, 0.5, 0.5};
  const double pre[] = {1, 0, 0, 1}, post[] = {0, 0, 1, 0};
  const double want[] = {0, 0, 0.25, -0.25};
  StdpTraces tr;
  for (int t = 0; t < 4; ++t) {
    auto d =
        stdp_step(torch::full({1, 1}, pre[t], torch::kDouble), torch::full({1, 1}, post[t], torch::kDouble), tr, o);
    tr = d.traces;
    EXPECT_NEAR(d.delta.item<double>(), want[t], 1e-12) << "step " << t;
  }
  EXPECT_NEAR(tr.pre.item<double>(), 1.125, 1e-12);
  EXPECT_NEAR(tr.post.item<double>(), 0.5, 1e-12);
}

TEST(Stdp, BatchMeanAndLayout) {
  // dW is [N_in, N_out], averaged over the batch.
  auto s_pre = torch::tensor({{1.0, 0.0, 1.0}, {0.0, 0.0, 1.0}}, torch::kDouble);
  auto s_post = torch::tensor({{1.0, 0.0}, {1.0, 1.0}}, torch::kDouble);
  auto d = stdp_step(s_pre, s_post, {}, StdpOptions{1.0, 0.0, 0.5, 0.5});
  EXPECT_EQ(d.delta.sizes(), torch::IntArrayRef({3, 2}));
  EXPECT_TENSOR_NEAR(d.delta, s_pre.t().mm(s_post) / 2, 1e-12);
}

TEST(Meta, JointOptimizerIsTwoAdams) {
  torch::manual_seed(7);
  auto w = torch::randn({4}, torch::requires_grad()), a = torch::randn({2}, torch::requires_grad());
  auto w2 = w.detach().clone().requires_grad_(true), a2 = a.detach().clone().requires_grad_(true);
  ParameterSplit split{{w}, {a}};
  auto joint = joint_optimizer(split, 1e-2, 5e-3);
  torch::optim::Adam ow({w2}, torch::optim::AdamOptions(1e-2)), oa({a2}, torch::optim::AdamOptions(5e-3));
  for (int i = 0; i < 3; ++i) {
    joint->zero_grad();
    ow.zero_grad();
    oa.zero_grad();
    ((w * w).sum() * a.sum()).backward();
    ((w2 * w2).sum() * a2.sum()).backward();
    joint->step();
    ow.step();
    oa.step();
  }
  EXPECT_TENSOR_NEAR(w, w2, 1e-7);
  EXPECT_TENSOR_NEAR(a, a2, 1e-7);
}

TEST(Meta, BilevelGradientFiniteDifference) {
  // L_val = |w|^2/2 + |m|^2/2 (g_w = w, g_m = m); L_train = sum(w * m), so dL_train/dm = w and the
  // finite difference of it along g_w is g_w = w exactly: the result is m - xi * clamp(w).
  auto w = torch::tensor({0.3, -2.0, 0.5}, torch::dtype(torch::kDouble).requires_grad(true));
  auto m = torch::tensor({0.1, 0.2, -0.4}, torch::dtype(torch::kDouble).requires_grad(true));
  auto before = w.detach().clone();
  BilevelOptions o;
  o.clip_grad_norm = 0;
  auto g = bilevel_meta_gradient(
      {w}, {m}, [&] { return (w * w).sum() / 2 + (m * m).sum() / 2; }, [&] { return (w * m).sum(); }, o);
  ASSERT_EQ(g.size(), 1u);
  auto want = m.detach() - 0.1 * w.detach().clamp(-1, 1);
  EXPECT_TENSOR_NEAR(g[0], want, 1e-9);
  EXPECT_TENSOR_NEAR(w, before, 0);  // weights restored exactly
  o.xi = 0;
  EXPECT_TENSOR_NEAR(
      bilevel_meta_gradient(
          {w}, {m}, [&] { return (w * w).sum() / 2 + (m * m).sum() / 2; }, [&] { return (w * m).sum(); }, o)[0],
      m.detach(), 0);
  // Clipping to a global norm of 0.01.
  o.xi = 0.1;
  o.clip_grad_norm = 0.01;
  auto c = bilevel_meta_gradient(
      {w}, {m}, [&] { return (w * w).sum() / 2 + (m * m).sum() / 2; }, [&] { return (w * m).sum(); }, o);
  EXPECT_NEAR(c[0].norm().item<double>(), 0.01, 1e-6);
  assign_gradients({m}, c);
  EXPECT_TENSOR_NEAR(m.grad(), c[0], 0);
}

TEST(Meta, MetaPhaseTrainsOnlyTheLocalParameters) {
  torch::manual_seed(8);
  PlasticLinear l(PlasticLinearOptions(6, 3).threshold(0.2).alpha_init({0.5, 0.5}).beta_init({0.5, 1.0}));
  auto split = split_parameters(*l);
  torch::optim::Adam local(split.local, torch::optim::AdamOptions(1e-2));
  auto w0 = l->weight.clone(), b0 = l->bias.clone(), a0 = l->alpha.clone();
  auto x = torch::rand({4, 2, 6});
  const double mean = meta_phase(local, split.global, 3, [&](int64_t) { return l->forward(x).membrane.pow(2).mean(); });
  EXPECT_GT(mean, 0);
  EXPECT_TENSOR_NEAR(l->weight, w0, 0);
  EXPECT_TENSOR_NEAR(l->bias, b0, 0);
  EXPECT_GT(max_abs_diff(l->alpha, a0), 0);
  EXPECT_THROW(meta_phase(local, split.global, 1, [&](int64_t) { return torch::full({}, NAN); }), hnn::Error);
}

}  // namespace
