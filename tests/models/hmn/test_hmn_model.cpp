#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "hnn/core/error.h"
#include "hnn/models/hmn/model.h"
#include "hnn/models/hmn/train.h"

using namespace hnn;
using namespace hnn::models::hmn;

namespace {

// Two equal networks.
Branch copy_of(const Branch& a) {
  Branch b(a->config);
  b->to(a->fc1->weight.scalar_type());
  torch::NoGradGuard ng;
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (auto& kv : pa) pb[kv.key()].copy_(kv.value());
  return b;
}

// The paper's modulation (raised thresholds, the fused kernel) against the reference's gating of
// the spikes (a per-step autograd loop), values and gradients, in double precision.
TEST(HmnBranch, RaisedThresholdsEqualGatedSpikesAtLargeVt) {
  torch::manual_seed(5);
  BranchConfig c;
  c.inputs = 12, c.channels = 7, c.classes = 3, c.vt = 1000;
  Branch a(c);
  a->to(torch::kDouble);
  {
    torch::NoGradGuard ng;
    for (auto& p : a->parameters()) p.mul_(3);  // enough input that many neurons fire
  }
  Branch b = copy_of(a);
  const auto x = torch::rand({6, 5, 12}, torch::kDouble).gt(0.5).to(torch::kDouble);
  for (bool per_sample : {false, true}) {
    const auto g = per_sample ? torch::rand({2, 5, 7}, torch::kDouble).gt(0.4).to(torch::kDouble)
                              : torch::tensor({{1, 0, 1, 1, 0, 1, 0}, {0, 1, 1, 0, 1, 1, 1}}, torch::kDouble);
    auto oa = a->forward(x, g, Modulate::Threshold);
    auto ob = b->forward(x, g, Modulate::SpikeGate);
    EXPECT_GT(oa.hidden1.sum().item<double>(), 0);
    EXPECT_TRUE(torch::allclose(oa.out, ob.out, 0, 1e-12));
    EXPECT_TRUE(torch::allclose(oa.hidden1, ob.hidden1, 0, 1e-12));
    EXPECT_TRUE(torch::allclose(oa.hidden2, ob.hidden2, 0, 1e-12));
    // Switched-off neurons are silent.
    const auto off = (1 - g[0]).expand_as(oa.hidden1);
    EXPECT_EQ((oa.hidden1 * off).sum().item<double>(), 0);
    const auto w = torch::randn_like(oa.out);
    a->zero_grad(), b->zero_grad();
    (oa.out * w).sum().backward();
    (ob.out * w).sum().backward();
    for (const char* name : {"fc1.weight", "fc2.weight", "fc3.weight"}) {
      const auto& ga = a->named_parameters()[name].grad();
      const auto& gb = b->named_parameters()[name].grad();
      EXPECT_GT(ga.abs().sum().item<double>(), 0) << name;
      EXPECT_TRUE(torch::allclose(ga, gb, 1e-9, 1e-12)) << name;
    }
  }
  // No signals = every neuron on.
  auto none = a->forward(x);
  auto ones = b->forward(x, torch::ones({2, 7}, torch::kDouble), Modulate::SpikeGate);
  EXPECT_TRUE(torch::allclose(none.out, ones.out, 0, 1e-12));
  EXPECT_THROW(a->forward(x, torch::ones({2, 6}, torch::kDouble)), Error);
  EXPECT_THROW(a->forward(torch::zeros({6, 5, 11}, torch::kDouble)), Error);
}

// An active-only branch computes the switched-on neurons alone: the same outputs, hidden activity
// and weight gradients as the whole modulated branch, and active_part() is that part as a branch.
TEST(HmnBranch, ActivePartEqualsTheModulatedBranch) {
  torch::manual_seed(6);
  for (bool spiking : {true, false}) {
    BranchConfig c;
    c.inputs = 12, c.channels = 7, c.classes = 3, c.spiking = spiking;
    Branch a(c);
    a->to(torch::kDouble);
    {
      torch::NoGradGuard ng;
      for (auto& p : a->parameters()) p.mul_(3);
    }
    Branch b = copy_of(a);
    b->config.active_only = true;
    ASSERT_EQ(a->parameters().size(), 3u);
    const auto x = torch::rand({6, 5, 12}, torch::kDouble).gt(0.5).to(torch::kDouble);
    const auto g = torch::tensor({{1, 0, 1, 1, 0, 1, 0}, {0, 1, 1, 0, 1, 1, 1}}, torch::kDouble);
    auto oa = a->forward(x, g), ob = b->forward(x, g);
    EXPECT_GT(oa.hidden2.sum().item<double>(), 0);
    EXPECT_TRUE(torch::allclose(oa.out, ob.out, 1e-12, 1e-12)) << spiking;
    EXPECT_TRUE(torch::allclose(oa.hidden1, ob.hidden1, 0, 1e-12)) << spiking;
    EXPECT_TRUE(torch::allclose(oa.hidden2, ob.hidden2, 0, 1e-12)) << spiking;
    const auto w = torch::randn_like(oa.out);
    a->zero_grad(), b->zero_grad();
    (oa.out * w).sum().backward();
    (ob.out * w).sum().backward();
    const ActiveSet on = ActiveSet::of(g);
    EXPECT_EQ(on.on1.numel(), 4);
    const auto blocks = active_blocks(*a, on);
    for (size_t k = 0; k < 3; ++k) {
      const auto ga = a->parameters()[k].grad(), gb = b->parameters()[k].grad();
      EXPECT_GT(gb.abs().sum().item<double>(), 0) << k;
      EXPECT_TRUE(torch::allclose(ga, gb, 1e-9, 1e-12)) << spiking << " " << k;
      // Outside its block every gradient is 0: the optimiser only decays their momentum.
      auto outside = ga.clone();
      scatter_block(outside, blocks[k], torch::zeros_like(gather_block(ga, blocks[k])));
      EXPECT_EQ(outside.abs().sum().item<double>(), 0) << k;
    }
    Branch part = active_part(a, on);
    EXPECT_EQ(part->fc2->weight.sizes(), (std::vector<int64_t>{5, 4}));
    EXPECT_TRUE(torch::allclose(part->forward(x).out, oa.out, 1e-12, 1e-12)) << spiking;
    // Per-sample signals take the whole branch.
    const auto gs = torch::rand({2, 5, 7}, torch::kDouble).gt(0.4).to(torch::kDouble);
    EXPECT_TRUE(torch::allclose(a->forward(x, gs).out, b->forward(x, gs).out, 0, 1e-12));
  }
  EXPECT_THROW(ActiveSet::of(torch::ones({3, 7})), Error);
  BranchConfig c;
  c.inputs = 12, c.channels = 7, c.channels2 = 5, c.classes = 3;
  Branch uneven(c);
  EXPECT_EQ(uneven->fc3->weight.size(1), 5);
  EXPECT_THROW(uneven->forward(torch::zeros({2, 1, 12}), torch::ones({2, 7})), Error);
}

TEST(HmnBranch, AnnBranchMultipliesActivationsBySignals) {
  torch::manual_seed(1);
  BranchConfig c;
  c.inputs = 8, c.channels = 5, c.classes = 3, c.spiking = false;
  Branch net(c);
  const auto x = torch::rand({4, 3, 8});
  const auto g = torch::tensor({{1.f, 0.f, 1.f, 0.f, 1.f}, {0.f, 0.f, 1.f, 1.f, 1.f}});
  auto o = net->forward(x, g);
  EXPECT_EQ(o.out.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(o.hidden1.select(1, 1).abs().sum().item<float>(), 0);
  EXPECT_EQ(o.hidden2.select(1, 0).abs().sum().item<float>(), 0);
}

TEST(HmnBackbone, ShapesVariantsAndConfig) {
  torch::manual_seed(2);
  const auto x = torch::rand({4, 3, 10});
  for (int64_t hidden : {0, 6})
    for (bool spiking : {false, true}) {
      if (spiking && hidden == 0) continue;
      BackboneConfig c;
      c.inputs = 10, c.hidden = hidden, c.channels = 9, c.spiking = spiking;
      Backbone net(c);
      auto g = net->forward(x);
      EXPECT_EQ(g.sizes(), (std::vector<int64_t>{2, 3, 9}));
      EXPECT_GE(g.min().item<float>(), 0);
      EXPECT_LE(g.max().item<float>(), 1);
      g.sum().backward();
      EXPECT_TRUE(net->head1->parameters()[0].grad().defined());
    }
  BackboneConfig c;
  c.hidden = 0, c.channels = 33, c.spiking = false;
  auto back = BackboneConfig::from_json(c.to_json());
  EXPECT_EQ(back.hidden, 0);
  EXPECT_EQ(back.channels, 33);
  BranchConfig b;
  b.vt = 7, b.spiking = false;
  EXPECT_EQ(BranchConfig::from_json(b.to_json()).vt, 7);
  EXPECT_FALSE(BranchConfig::from_json(b.to_json()).spiking);
  EXPECT_THROW(BranchConfig::from_json(c.to_json()), Error);  // a backbone's config
  c.hidden = 0, c.spiking = true;
  EXPECT_THROW(Backbone{c}, Error);
}

TEST(HmnSignals, RandomSignalsKeepTheirFractionAndAreSeeded) {
  auto s = random_signals(6, 1000, 0.2, 3);
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{6, 2, 1000}));
  EXPECT_NEAR(s.mean().item<float>(), 0.2, 0.02);
  EXPECT_TRUE(torch::equal(s, random_signals(6, 1000, 0.2, 3)));
  EXPECT_FALSE(torch::equal(s, random_signals(6, 1000, 0.2, 4)));
  EXPECT_TRUE(torch::equal(s[1], random_signals(2, 1000, 0.2, 3)[1]));  // per task, not per run
  EXPECT_THROW(random_signals(1, 4, 0, 1), Error);
  EXPECT_EQ(parse_method("hmn+ewc"), Method::HmnEwc);
  for (const auto& n : method_names()) EXPECT_EQ(to_string(parse_method(n)), n);
  EXPECT_THROW(parse_method("gem"), Error);
}

// A small learnable set: 4 x 4 sensor (D = 32), T = 3, the class decides which inputs tend to fire.
struct Toy {
  FrameSet train, test;
  TaskSet tasks;
};

Toy toy() {
  torch::manual_seed(11);
  auto make = [](int64_t n) {
    FrameSet s;
    s.labels = torch::randint(3, {n}, torch::kLong);
    const auto proto = torch::rand({3, 32}).gt(0.6).to(torch::kFloat) * 0.8 + 0.05;
    const auto p = proto.index_select(0, s.labels).unsqueeze(1).expand({n, 3, 32});
    s.frames = torch::bernoulli(p).to(torch::kUInt8).reshape({n, 3, 2, 4, 4});
    s.options.bins = 3, s.options.sensor = 4;
    return s;
  };
  Toy t;
  t.train = make(60);
  t.test = make(30);
  TaskOptions o;
  o.count = 8, o.dims = 32, o.group = 4, o.continual = 4, o.shuffle_min = 4, o.shuffle_max = 8;
  t.tasks = make_tasks(o, 7);
  return t;
}

TEST(HmnTraining, BackboneSignalsAndEveryMethodRun) {
  Toy t = toy();
  BackboneConfig bc;
  bc.inputs = 32, bc.hidden = 16, bc.channels = 12;
  Backbone bb(bc);
  BackboneOptions bo;
  bo.epochs = 2, bo.batch = 20, bo.lr = 0.05;
  auto log = train_backbone(bb, t.train, t.tasks, bo);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(std::isfinite(log.back().loss));
  const auto seq = t.tasks.continual_tasks();
  auto sig = task_signals(bb, t.train, t.tasks, seq, 0, 16);
  EXPECT_EQ(sig.sizes(), (std::vector<int64_t>{4, 2, 12}));
  EXPECT_TRUE(sig.eq(0).logical_or(sig.eq(1)).all().item<bool>());

  ContinualOptions o;
  o.epochs = 2, o.batch = 15, o.milestone = 1, o.eval_every = 2, o.fisher_samples = 10, o.ewc_lambda = 10;
  for (const auto& name : method_names()) {
    const Method m = parse_method(name);
    BranchConfig c;
    c.inputs = 32, c.channels = 12, c.classes = 3, c.spiking = m != Method::AnnOnly;
    torch::manual_seed(3);
    Branch net(c);
    auto l = train_continual(net, m, t.train, t.test, t.tasks, seq, uses_backbone(m) ? sig : at::Tensor(), o);
    ASSERT_EQ(l.evaluated_after, (std::vector<int64_t>{1, 3})) << name;
    EXPECT_EQ(l.accuracy[1].size(), 4u) << name;
    EXPECT_EQ(l.train_loss.size(), 4u) << name;
    for (double a : l.accuracy[1]) EXPECT_TRUE(a >= 0 && a <= 1) << name;
  }
  BranchConfig c;
  c.inputs = 32, c.channels = 12, c.classes = 3;
  Branch net(c);
  EXPECT_THROW(train_continual(net, Method::Hmn, t.train, t.test, t.tasks, seq, {}, o), Error);  // no signals
  EXPECT_THROW(train_continual(net, Method::AnnOnly, t.train, t.test, t.tasks, seq, sig, o), Error);
}

// Training only each task's switched-on part, with its own optimiser fed the shared momentum and
// the rest of the branch moved by the momentum it would have kept (with EWC: and by the penalty),
// ends where training the whole modulated branch does (double precision: the same spikes), with
// the same losses and test accuracies.
TEST(HmnTraining, ActiveOnlyTrainingEqualsTrainingTheWholeBranch) {
  Toy t = toy();
  const auto seq = t.tasks.continual_tasks();
  const auto sig = random_signals(4, 12, 0.5, 8);
  for (Method m : {Method::Hmn, Method::AnnOnly, Method::HmnEwc}) {
    ContinualOptions o;
    o.epochs = 3, o.batch = 15, o.milestone = 2, o.eval_every = 2, o.lr = 0.1;
    o.ewc_lambda = 50, o.fisher_samples = 10;
    BranchConfig c;
    c.inputs = 32, c.channels = 12, c.classes = 3, c.spiking = m != Method::AnnOnly;
    torch::manual_seed(3);
    Branch whole(c);
    whole->to(torch::kDouble);
    {
      torch::NoGradGuard ng;
      for (auto& p : whole->parameters()) p.mul_(4);  // many spikes
    }
    Branch active = copy_of(whole), initial = copy_of(whole);
    active->config.active_only = true;
    torch::manual_seed(5);
    auto lw = train_continual(whole, m, t.train, t.test, t.tasks, seq, sig, o);
    torch::manual_seed(5);
    auto la = train_continual(active, m, t.train, t.test, t.tasks, seq, sig, o);
    EXPECT_EQ(la.accuracy, lw.accuracy) << to_string(m);
    for (size_t i = 0; i < lw.train_loss.size(); ++i)
      EXPECT_NEAR(la.train_loss[i], lw.train_loss[i], 1e-9) << to_string(m) << " task " << i;
    auto pw = whole->named_parameters(), pa = active->named_parameters(), p0 = initial->named_parameters();
    for (auto& kv : pw) {
      EXPECT_FALSE(torch::allclose(kv.value(), p0[kv.key()])) << kv.key();  // it learned
      EXPECT_TRUE(torch::allclose(kv.value(), pa[kv.key()], 1e-9, 1e-12)) << to_string(m) << " " << kv.key();
    }
  }
}

// A run interrupted at a task boundary and resumed from its checkpoint ends exactly where the
// uninterrupted run does (weights, optimiser momentum, regulariser state, RNG).
TEST(HmnTraining, ResumeFromATaskBoundaryEqualsAnUninterruptedRun) {
  Toy t = toy();
  const auto seq = t.tasks.continual_tasks();
  const auto dir = std::filesystem::temp_directory_path() / "hnn-hmn-resume";
  std::filesystem::create_directories(dir);
  for (Method m : {Method::Si, Method::Ewc, Method::Xdg}) {
    ContinualOptions o;
    o.epochs = 2, o.batch = 20, o.milestone = 1, o.fisher_samples = 8, o.ewc_lambda = 10, o.seed = 4;
    BranchConfig c;
    c.inputs = 32, c.channels = 10, c.classes = 3;
    torch::manual_seed(9);
    Branch whole(c);
    torch::manual_seed(21);
    auto full = train_continual(whole, m, t.train, t.test, t.tasks, seq, {}, o);

    o.checkpoint = (dir / ("run-" + to_string(m) + ".pt")).string();
    std::remove(o.checkpoint.c_str());
    torch::manual_seed(9);
    Branch part(c);
    torch::manual_seed(21);
    EXPECT_THROW(train_continual(part, m, t.train, t.test, t.tasks, seq, {}, o, {},
                                 [](int64_t i, const ContinualLog&) {
                                   if (i == 1) throw std::runtime_error("interrupted");
                                 }),
                 std::runtime_error);
    torch::manual_seed(9);
    Branch resumed(c);
    torch::manual_seed(1234);  // the RNG state comes from the checkpoint
    o.resume = true;
    auto rest = train_continual(resumed, m, t.train, t.test, t.tasks, seq, {}, o);
    EXPECT_EQ(rest.accuracy, full.accuracy) << to_string(m);
    auto pw = whole->named_parameters(), pr = resumed->named_parameters();
    for (auto& kv : pw) EXPECT_TRUE(torch::allclose(kv.value(), pr[kv.key()], 0, 1e-6)) << to_string(m) << kv.key();
    // Resuming as another method is refused.
    Branch other(c);
    EXPECT_THROW(train_continual(other, Method::Plain, t.train, t.test, t.tasks, seq, {}, o), Error);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
