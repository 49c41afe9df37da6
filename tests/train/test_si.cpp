#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/train/ewc.h"
#include "hnn/train/sgd_momentum.h"
#include "hnn/train/si.h"

using namespace hnn;

namespace {

// Two SGD steps on sum(a p^2): omega = sum over steps of -g * delta, by hand; Omega after the task
// = omega / (Delta^2 + xi); the penalty and its gradient from their definitions.
TEST(SynapticIntelligence, PathIntegralImportanceAndPenaltyByHand) {
  auto p = torch::tensor({1.0, -2.0, 0.5}, torch::kDouble).requires_grad_(true);
  const auto a = torch::tensor({1.0, 0.5, 3.0}, torch::kDouble);
  const double lr = 0.1, xi = 0.01;
  train::SynapticIntelligence si({p}, xi);
  torch::optim::SGD opt({p}, torch::optim::SGDOptions(lr));
  auto expected = torch::zeros({3}, torch::kDouble);
  const auto start = p.detach().clone();
  for (int step = 0; step < 2; ++step) {
    const auto before = p.detach().clone();
    opt.zero_grad();
    (a * p.square()).sum().backward();
    const auto g = p.grad().clone();
    opt.step();
    si.update();
    expected -= g * (p.detach() - before);
  }
  EXPECT_TRUE(torch::allclose(si.running()[0], expected, 1e-12, 1e-12));
  EXPECT_EQ(si.penalty(1.0).item<double>(), 0.0);  // nothing consolidated yet
  si.consolidate();
  const auto omega = expected / ((p.detach() - start).square() + xi);
  EXPECT_TRUE(torch::allclose(si.importance()[0], omega, 1e-12, 1e-12));
  EXPECT_EQ(si.running()[0].abs().sum().item<double>(), 0.0);
  EXPECT_EQ(si.tasks(), 1);
  // Move away from the anchor: penalty c * sum Omega (p - anchor)^2 and gradient 2 c Omega (p - anchor).
  const auto anchor = p.detach().clone();
  {
    torch::NoGradGuard ng;
    p.add_(torch::tensor({0.3, -0.1, 0.2}, torch::kDouble));
  }
  const double c = 0.7;
  auto pen = si.penalty(c);
  EXPECT_NEAR(pen.item<double>(), (c * omega * (p.detach() - anchor).square()).sum().item<double>(), 1e-12);
  auto grad = torch::autograd::grad({pen}, {p})[0];
  EXPECT_TRUE(torch::allclose(grad, 2 * c * omega * (p.detach() - anchor), 1e-12, 1e-12));
}

// A step against the gradient gives a negative path integral: no importance, not a negative one
// (which would make the penalty unbounded below).
TEST(SynapticIntelligence, NegativePathIntegralsCountAsNoImportance) {
  auto p = torch::tensor({1.0, 1.0}, torch::kDouble).requires_grad_(true);
  train::SynapticIntelligence si({p}, 0.1);
  p.mutable_grad() = torch::tensor({1.0, 1.0}, torch::kDouble);
  {
    torch::NoGradGuard ng;
    p.add_(torch::tensor({-0.5, 0.5}, torch::kDouble));  // with, then against the gradient
  }
  si.update();
  si.consolidate();
  EXPECT_NEAR(si.importance()[0][0].item<double>(), 0.5 / (0.25 + 0.1), 1e-12);
  EXPECT_EQ(si.importance()[0][1].item<double>(), 0.0);
  EXPECT_GE(si.penalty(1.0).item<double>(), 0.0);
}

TEST(SynapticIntelligence, StateRoundTripAndErrors) {
  auto p = torch::randn({2, 3}, torch::kDouble).requires_grad_(true);
  train::SynapticIntelligence si({p});
  torch::optim::SGD opt({p}, torch::optim::SGDOptions(0.1));
  opt.zero_grad();
  p.square().sum().backward();
  opt.step();
  si.update();
  si.consolidate();
  train::SynapticIntelligence other({p});
  other.load_state(si.state());
  EXPECT_EQ(other.tasks(), 1);
  EXPECT_NEAR(other.penalty(2.0).item<double>(), si.penalty(2.0).item<double>(), 1e-12);
  EXPECT_TRUE(torch::equal(other.importance()[0], si.importance()[0]));
  EXPECT_THROW(other.load_state({}), Error);
  EXPECT_THROW(train::SynapticIntelligence({}), Error);
  EXPECT_THROW(train::SynapticIntelligence({p}, 0.0), Error);
}

TEST(Ewc, StateRoundTrip) {
  auto p = torch::randn({4}, torch::kDouble).requires_grad_(true);
  train::Ewc ewc({p});
  ewc.consolidate({torch::rand({4}, torch::kDouble)});
  {
    torch::NoGradGuard ng;
    p.add_(0.5);
  }
  ewc.consolidate({torch::rand({4}, torch::kDouble)});
  {
    torch::NoGradGuard ng;
    p.add_(-0.2);
  }
  train::Ewc other({p});
  other.load_state(ewc.state());
  EXPECT_EQ(other.tasks(), 2);
  EXPECT_NEAR(other.penalty(3.0).item<double>(), ewc.penalty(3.0).item<double>(), 1e-12);
  EXPECT_THROW(other.load_state({torch::zeros({4})}), Error);
}

// The momentum buffers of SGD by parameter: none before the first step, then what SGD keeps (the
// first step's gradient), and a buffer set from outside is the one the next step uses.
TEST(SgdMomentum, ReadAndWrittenByParameter) {
  auto a = torch::zeros({3}, torch::requires_grad()), b = torch::zeros({2, 2}, torch::requires_grad());
  torch::optim::SGD opt({a, b}, torch::optim::SGDOptions(0.1).momentum(0.5));
  EXPECT_FALSE(train::sgd_momentum(opt, a).defined());
  (a.sum() * 2 + b.sum()).backward();
  opt.step();
  EXPECT_TRUE(torch::allclose(train::sgd_momentum(opt, a), torch::full({3}, 2.0)));
  EXPECT_TRUE(torch::allclose(train::sgd_momentum(opt, b), torch::ones({2, 2})));
  train::set_sgd_momentum(opt, a, torch::full({3}, 10.0));
  opt.zero_grad();
  a.sum().backward();  // grad 1: buffer 0.5 * 10 + 1 = 6, a = -0.2 - 0.6
  opt.step();
  EXPECT_TRUE(torch::allclose(train::sgd_momentum(opt, a), torch::full({3}, 6.0)));
  EXPECT_TRUE(torch::allclose(a, torch::full({3}, -0.8)));
  EXPECT_THROW(train::set_sgd_momentum(opt, a, torch::zeros({2})), Error);
}

// penalty_only_sgd_steps equals torch's SGD with momentum on the EWC penalty alone, step by step
// (weights, momentum, the penalty before each step), over more elements than one block and with a
// schedule; skipped elements are left as they were. The CPU path, in float and double.
TEST(SgdMomentum, PenaltyOnlyStepsEqualSgdOnTheEwcPenalty) {
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    torch::manual_seed(2);
    const int64_t n = 40000;
    auto p = torch::randn({n}, dtype).requires_grad_(true);
    train::Ewc ewc({p});
    {
      torch::NoGradGuard ng;
      ewc.consolidate({torch::rand({n}, dtype).mul_(torch::rand({n}, dtype).gt(0.3))});  // some zeros
      p.add_(torch::randn({n}, dtype));
    }
    const double lambda = 3, momentum = 0.9;
    const std::vector<double> lrs = {0.05, 0.05, 0.05, 0.005, 0.005};
    torch::optim::SGD opt({p}, torch::optim::SGDOptions(lrs[0]).momentum(momentum));
    train::set_sgd_momentum(opt, p, torch::randn({n}, dtype));
    at::Tensor w = p.detach().clone(), v = train::sgd_momentum(opt, p).clone();
    const at::Tensor w0 = w.clone(), v0 = v.clone();
    std::vector<double> expected;
    for (double lr : lrs) {
      opt.param_groups()[0].options().set_lr(lr);
      opt.zero_grad();
      const auto loss = ewc.penalty(lambda);
      expected.push_back(loss.item<double>() - 0.5 * lambda * ewc.offset());
      loss.backward();
      opt.step();
    }
    const auto got =
        train::penalty_only_sgd_steps(w, v, ewc.precision()[0], ewc.anchor()[0], {}, lambda, momentum, lrs);
    const double tol = dtype == torch::kDouble ? 1e-10 : 1e-4;
    ASSERT_EQ(got.size(), expected.size());
    for (size_t j = 0; j < got.size(); ++j) EXPECT_NEAR(got[j], expected[j], tol * std::abs(expected[j])) << j;
    EXPECT_TRUE(torch::allclose(w, p.detach(), tol, tol));
    EXPECT_TRUE(torch::allclose(v, train::sgd_momentum(opt, p), tol, tol));

    // Skipped elements stay; the others move as before; the penalty counts only them.
    at::Tensor w2 = w0.clone(), v2 = v0.clone();
    const at::Tensor skip = torch::arange(n) % 3 == 0;
    const auto part =
        train::penalty_only_sgd_steps(w2, v2, ewc.precision()[0], ewc.anchor()[0], skip, lambda, momentum, lrs);
    EXPECT_TRUE(torch::equal(w2.masked_select(skip), w0.masked_select(skip)));
    EXPECT_TRUE(torch::equal(v2.masked_select(skip), v0.masked_select(skip)));
    EXPECT_TRUE(torch::equal(w2.masked_select(~skip), w.masked_select(~skip)));
    const at::Tensor d = w0 - ewc.anchor()[0];
    const double first = 0.5 * lambda * (ewc.precision()[0] * d * d).masked_select(~skip).sum().item<double>();
    EXPECT_NEAR(part[0], first, tol * first);

    // The tensor-operation path (other devices; here through a non-contiguous view) gives the same.
    at::Tensor w3 = w0.clone().reshape({200, 200}).t(), v3 = v0.clone().reshape({200, 200}).t();
    ASSERT_FALSE(w3.is_contiguous());
    const auto ops = train::penalty_only_sgd_steps(w3, v3, ewc.precision()[0].reshape({200, 200}).t(),
                                                   ewc.anchor()[0].reshape({200, 200}).t(),
                                                   skip.reshape({200, 200}).t(), lambda, momentum, lrs);
    EXPECT_TRUE(torch::allclose(w3.t().reshape({n}), w2, tol, tol));
    EXPECT_TRUE(torch::allclose(v3.t().reshape({n}), v2, tol, tol));
    for (size_t j = 0; j < ops.size(); ++j) EXPECT_NEAR(ops[j], part[j], tol * std::abs(part[j])) << j;
    EXPECT_THROW(train::penalty_only_sgd_steps(w2, v2, ewc.precision()[0], ewc.anchor()[0], skip.slice(0, 1), lambda,
                                               momentum, lrs),
                 Error);
  }
}

}  // namespace
