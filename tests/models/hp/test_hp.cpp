#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/data/idx.h"
#include "hnn/models/hp/cifar.h"
#include "hnn/models/hp/cnn.h"
#include "hnn/models/hp/corruption.h"
#include "hnn/models/hp/fewshot.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/models/hp/multitask.h"
#include "hnn/plasticity/meta.h"
#include "hnn/train/classify.h"
#include "test_util.h"

using namespace hnn;
using namespace hnn::models::hp;

namespace {

MlpConfig small(Mode m) {
  auto c = MlpConfig::demo(m);
  c.hidden = 32;
  c.steps = 4;
  return c;
}

TEST(HpMlp, ConfigRoundTrip) {
  auto c = MlpConfig::fault_tolerance(Mode::LP);
  auto d = MlpConfig::from_json(c.to_json());
  EXPECT_EQ(d.mode, Mode::LP);
  EXPECT_EQ(d.steps, 5);
  EXPECT_DOUBLE_EQ(d.threshold, 0.4);
  EXPECT_DOUBLE_EQ(d.trace_decay, 0.99);
  EXPECT_THROW(MlpConfig::from_json("{\"model\": \"other\"}"), Error);
  EXPECT_THROW(MlpConfig::from_json("not json"), Error);
  EXPECT_THROW(parse_mode("xp"), Error);
}

TEST(HpMlp, ModesAndShapes) {
  torch::manual_seed(0);
  auto x = torch::rand({8, 1, 28, 28});
  for (Mode m : {Mode::LP, Mode::GP, Mode::HP}) {
    HpMlp net(small(m));
    auto o = net->forward(x);
    EXPECT_EQ(o.sizes(), torch::IntArrayRef({8, 10}));
    EXPECT_LE(o.max().item<double>(), 1.1 + 1e-6);
    auto split = plasticity::split_parameters(*net);
    switch (m) {
      case Mode::LP:  // fc1 is a frozen random projection
        EXPECT_EQ(split.global.size(), 2u);
        EXPECT_EQ(split.local.size(), 3u);
        break;
      case Mode::GP:
      case Mode::HP:
        EXPECT_EQ(split.global.size(), 4u);
        EXPECT_EQ(split.local.size(), 6u);
        break;
    }
  }
  HpMlp net(small(Mode::HP));
  EXPECT_THROW(net->forward(torch::rand({2, 100})), Error);
}

TEST(HpMlp, TracesPersistAcrossTrainingBatchesOnly) {
  torch::manual_seed(1);
  HpMlp net(small(Mode::HP));
  auto x = torch::rand({16, 784});
  net->train();
  net->forward(x);
  auto h1 = net->fc1->trace.clone();
  EXPECT_GT(h1.abs().sum().item<double>(), 0);
  net->eval();
  net->forward(x);
  EXPECT_TENSOR_NEAR(net->fc1->trace, h1, 0);
  HpMlp gp(small(Mode::GP));
  gp->forward(x);
  EXPECT_EQ(gp->fc1->trace.abs().sum().item<double>(), 0);
}

CnnConfig tiny_cnn(const CnnConfig& base) {
  auto c = base;
  c.channels1 = 4;
  c.channels2 = 6;
  c.channels3 = 8;
  c.hidden = 16;
  c.steps = 4;
  return c;
}

TEST(HpCnn, ShapesExitAndGradients) {
  torch::manual_seed(5);
  auto x = torch::rand({6, 1, 28, 28});
  for (const auto& base : {CnnConfig::mnist(Mode::HP), CnnConfig::fashion(Mode::HP), CnnConfig::mnist(Mode::GP)}) {
    auto cfg = tiny_cnn(base);
    HpCnn net(cfg);
    net->train();
    auto o = net->forward(x);
    EXPECT_EQ(o.sizes(), torch::IntArrayRef({6, 10}));
    EXPECT_GE(net->exit_step, 0);
    EXPECT_LT(net->exit_step, cfg.steps);
    if (cfg.readout_max > 0) {
      EXPECT_LE(o.max().item<double>(), cfg.readout_max + 1e-6);
    }
    o.pow(2).sum().backward();
    EXPECT_TRUE(net->conv1->conv->weight.grad().defined());
    EXPECT_GT(net->fc1->weight.grad().abs().sum().item<double>(), 0);
    EXPECT_EQ(net->fc1->trace.abs().sum().item<double>() > 0, cfg.mode == Mode::HP);
    auto back = CnnConfig::from_json(cfg.to_json());
    EXPECT_EQ(back.to_json(), cfg.to_json());
  }
  auto cfg = tiny_cnn(CnnConfig::mnist(Mode::HP));
  cfg.exit_rho = 0;  // never
  HpCnn full(cfg);
  full->forward(x);
  EXPECT_EQ(full->exit_step, cfg.steps - 1);
  EXPECT_THROW(HpCnn(tiny_cnn(CnnConfig::mnist(Mode::LP))), Error);
  EXPECT_THROW(full->forward(torch::rand({2, 1, 32, 32})), Error);
}

TEST(HpFewShot, EpisodesAreWellFormed) {
  // 8 characters x 4 drawings; drawing k of character c has the constant value c * 10 + k.
  auto chars = torch::zeros({8, 4, 1, 31, 31});
  for (int c = 0; c < 8; ++c)
    for (int k = 0; k < 4; ++k) chars[c][k].fill_(c * 10 + k);
  EpisodeSampler s(chars, {0, 1, 2, 3, 4, 5}, 9);
  for (int rep = 0; rep < 20; ++rep) {
    auto [support, query] = s.task(3, 2);
    for (const auto* e : {&support, &query}) {
      ASSERT_EQ(e->images.size(0), 7);  // 3 x 2 support + query
      EXPECT_EQ(e->labels.sizes(), torch::IntArrayRef({7, 3}));
      EXPECT_EQ(e->labels[6].sum().item<double>(), 0);                                // no label at the query
      EXPECT_TENSOR_NEAR(e->labels.slice(0, 0, 6).sum(0), torch::full({3}, 2.0), 0);  // 2 shots per slot
      std::set<int> seen;
      int query_class = int(e->images[6][0][0][0].item<float>()) / 10;
      for (int p = 0; p < 7; ++p) {
        const int v = int(e->images[p][0][0][0].item<float>());
        EXPECT_LT(v / 10, 6);                // only the sampler's classes
        EXPECT_TRUE(seen.insert(v).second);  // distinct drawings within a sequence
        if (p < 6 && e->labels[p][e->target].item<double>() == 1) {
          EXPECT_EQ(v / 10, query_class);
        }
      }
    }
    // Support and query share classes, slots and order.
    EXPECT_TENSOR_NEAR(support.labels, query.labels, 0);
    EXPECT_EQ(support.target, query.target);
  }
  EXPECT_THROW(s.task(7, 1), Error);
}

TEST(HpFewShot, TrainsAndEvaluates) {
  torch::manual_seed(2);
  auto chars = torch::rand({10, 4, 1, 31, 31});
  for (Mode m : {Mode::HP, Mode::GP}) {
    FewShotConfig cfg;
    cfg.mode = m;
    cfg.way = 3;
    cfg.channels = 8;
    FewShotNet net(cfg);
    EpisodeSampler train(chars, {0, 1, 2, 3, 4, 5}, 1), test(chars, {6, 7, 8, 9}, 2);
    auto ep = train.task(3, 1).first;
    auto out = net->forward(ep.images, ep.labels);
    EXPECT_EQ(out.sizes(), torch::IntArrayRef({1, 3}));
    EXPECT_NEAR(out.sum().item<double>(), 1.0, 1e-5);
    auto alpha0 = net->out->alpha.clone(), w0 = net->out->weight.clone();
    FewShotTrainOptions o;
    o.iterations = 3;
    o.tasks = 2;
    o.eval_every = 3;
    o.eval_episodes = 4;
    o.global_lr = o.meta_lr = 1e-2;
    auto log = train_few_shot(net, train, test, o);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_GE(log[0].test_accuracy, 0);
    EXPECT_GT(max_abs_diff(net->out->weight, w0), 0);
    // Only HP meta-learns alpha (GP keeps its random mix).
    EXPECT_EQ(max_abs_diff(net->out->alpha, alpha0) > 0, m == Mode::HP);
  }
  FewShotConfig bad;
  bad.mode = Mode::LP;
  EXPECT_THROW(FewShotNet{bad}, Error);
}

TEST(HpCorruption, SeededAndShaped) {
  auto x = torch::rand({4, 1, 28, 28});
  for (Corruption c : noise_kinds()) {
    auto a = corrupt(x, c, 3, 7), b = corrupt(x, c, 3, 7), d = corrupt(x, c, 3, 8);
    EXPECT_TENSOR_NEAR(a, b, 0) << to_string(c);
    EXPECT_GT(max_abs_diff(a, d), 0) << to_string(c);
    EXPECT_GE(a.min().item<double>(), 0);
    EXPECT_LE(a.max().item<double>(), 1);
    EXPECT_TENSOR_NEAR(corrupt(x, c, 0, 7), x, 0);
    EXPECT_EQ(parse_corruption(to_string(c)), c);
  }
  // Fractions: salt sets ~v of the pixels to 1, pepper ~6v to 0.
  auto big = torch::full({50, 1, 28, 28}, 0.5);
  EXPECT_NEAR(corrupt(big, Corruption::Salt, 5, 1).eq(1).to(torch::kDouble).mean().item<double>(), 0.05, 0.005);
  EXPECT_NEAR(corrupt(big, Corruption::Pepper, 5, 1).eq(0).to(torch::kDouble).mean().item<double>(), 0.30, 0.01);
  auto sp = corrupt(big, Corruption::SaltPepper, 5, 1);
  EXPECT_NEAR(sp.eq(1).to(torch::kDouble).mean().item<double>(), 0.05, 0.005);
  EXPECT_NEAR(sp.eq(0).to(torch::kDouble).mean().item<double>(), 0.05, 0.005);
  // Speckle keeps a zero background.
  EXPECT_EQ(corrupt(torch::zeros({2, 1, 28, 28}), Corruption::Speckle, 9, 1).abs().sum().item<double>(), 0);
  // Occlusion: rows and columns [14 - i, 14 + i) zeroed, nothing else.
  auto ones = torch::ones({1, 1, 28, 28});
  auto o = corrupt(ones, Corruption::Occlusion, 3, 0);
  EXPECT_EQ(o.sum().item<double>(), 28 * 28 - 36);
  EXPECT_EQ(o[0][0].slice(0, 11, 17).slice(1, 11, 17).sum().item<double>(), 0);
  EXPECT_EQ(o[0][0][10][11].item<double>(), 1);
  EXPECT_THROW(parse_corruption("blur"), Error);
}

TEST(HpMlp, LearnsFashionMnistAtToySize) {
  std::string dir;
  try {
    dir = data::fashion_mnist_dir();
  } catch (const Error&) {
    GTEST_SKIP() << "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)";
  }
  torch::manual_seed(3);
  auto train = data::load_image_set(dir, "train", 2000);
  auto test = data::load_image_set(dir, "t10k", 500);
  HpMlp net(small(Mode::HP));
  auto fwd = [&](const at::Tensor& x) { return net->forward(x); };
  train::Trainer trainer(*net, train::TrainerOptions().epochs(3).batch_size(50).drop_last(true));
  trainer.set_optimizer(plasticity::joint_optimizer(plasticity::split_parameters(*net), 1e-3, 5e-4));
  auto alpha0 = net->fc1->alpha.clone();
  trainer.fit(train.size(), train::classification_step(fwd, train.images, train.labels, train::ClassLoss::MseOneHot));
  net->eval();
  auto m = train::evaluate_classifier(fwd, test.images, test.labels, 50, train::ClassLoss::MseOneHot);
  // Chance is 0.1. It reaches about 0.5; the exact value depends on the CPU's float kernels (0.496
  // with AVX-512, above 0.5 without), so the bar is learning, not a figure.
  EXPECT_GT(train::metric(m, "accuracy"), 0.4);
  EXPECT_GT(max_abs_diff(net->fc1->alpha, alpha0), 0);  // the local parameters learn too
}

}  // namespace

namespace {

MultitaskConfig small_multitask(MultitaskModel m) {
  MultitaskConfig c;
  c.mode = m;
  c.hidden = 24;
  c.sparsity = 0.3;
  return c;
}

TEST(HpMultitask, TasksAreSeededPermutationsWithMasks) {
  auto c = small_multitask(MultitaskModel::HP);
  auto t0 = make_task(c, 0, 1), t1 = make_task(c, 1, 1), t1b = make_task(c, 1, 1), t1c = make_task(c, 1, 2);
  EXPECT_TRUE(torch::equal(t0.permutation, torch::arange(784, torch::kLong)));  // task 0: MNIST itself
  EXPECT_TRUE(torch::equal(t1.permutation, t1b.permutation));
  EXPECT_TRUE(torch::equal(std::get<0>(t1.permutation.sort()), torch::arange(784, torch::kLong)));
  EXPECT_FALSE(torch::equal(t1.permutation, t0.permutation));
  EXPECT_FALSE(torch::equal(t1.permutation, t1c.permutation));
  ASSERT_EQ(t1.masks.size(), 3u);
  EXPECT_EQ(t1.masks[0].sizes(), torch::IntArrayRef({784, 24}));
  EXPECT_EQ(t1.masks[1].sizes(), torch::IntArrayRef({24, 24}));
  EXPECT_EQ(t1.masks[2].sizes(), torch::IntArrayRef({24, 10}));
  EXPECT_NEAR(t1.masks[0].mean().item<double>(), 0.3, 0.02);
  EXPECT_TRUE(torch::equal(t1.masks[0], t1b.masks[0]));
  EXPECT_FALSE(torch::equal(t1.masks[0], t0.masks[0]));
  c.sparsity = 0;
  EXPECT_THROW(make_task(c, 1, 1), Error);
  EXPECT_THROW(parse_multitask_model("si"), Error);
  auto d = MultitaskConfig::from_json(small_multitask(MultitaskModel::EWC).to_json());
  EXPECT_EQ(d.mode, MultitaskModel::EWC);
  EXPECT_EQ(d.hidden, 24);
}

// At alpha = 0 the HP network is the GP network (the trace adds nothing), and the GP network's
// weights get gradients only where the task's masks are 1.
TEST(HpMultitask, HpReducesToGpAndGradientsStayInTheMask) {
  torch::manual_seed(1);
  auto x = torch::rand({6, 1, 28, 28});
  auto task = make_task(small_multitask(MultitaskModel::HP), 3, 9);
  MultitaskNet hp(small_multitask(MultitaskModel::HP)), gp(small_multitask(MultitaskModel::GP));
  {
    torch::NoGradGuard ng;
    for (const auto& item : gp->named_parameters()) hp->named_parameters()[item.key()].copy_(item.value());
    hp->fc1->alpha.zero_();
    hp->fc2->alpha.zero_();
  }
  auto y = gp->forward(x, task);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({6, 10}));
  EXPECT_TRUE(torch::allclose(hp->forward(x, task), y, 1e-5, 1e-6));
  y.square().sum().backward();
  EXPECT_EQ((gp->fc1->weight.grad().t() * (1 - task.masks[0])).abs().sum().item<double>(), 0);
  EXPECT_EQ((gp->readout.grad().t() * (1 - task.masks[2])).abs().sum().item<double>(), 0);
  EXPECT_GT(gp->fc1->weight.grad().abs().sum().item<double>(), 0);
  // With alpha > 0 the trace changes the output and alpha, beta get gradients.
  {
    torch::NoGradGuard ng;
    hp->fc1->alpha.fill_(0.1);
    hp->fc2->alpha.fill_(0.1);
    hp->fc1->beta.fill_(0.02);
    hp->fc2->beta.fill_(0.02);
    hp->fc1->eta.fill_(-0.5);  // a positive post factor: the trace excites
    hp->fc2->eta.fill_(-0.5);
  }
  auto z = hp->forward(x, task);
  EXPECT_FALSE(torch::allclose(z, y, 1e-5, 1e-6));
  z.square().sum().backward();
  EXPECT_GT(hp->fc1->alpha.grad().abs().item<double>(), 0);
  EXPECT_GT(hp->fc1->beta.grad().abs().sum().item<double>(), 0);
  EXPECT_THROW(hp->forward(torch::rand({2, 100}), task), Error);
  EXPECT_THROW(hp->forward(x, Task{}), Error);
}

TEST(HpMultitask, TrainsEveryModelAndTestsEveryLearnedTask) {
  // Two tasks on 200 synthetic "digits" (a class is a bright column band), one epoch each.
  torch::manual_seed(4);
  auto labels = torch::randint(10, {200}, torch::kLong);
  auto images = 0.1 * torch::rand({200, 1, 28, 28});
  for (int64_t i = 0; i < 200; ++i) images[i][0].narrow(1, 2 * labels[i].item<int64_t>() + 4, 2).fill_(1);
  for (auto m : {MultitaskModel::HP, MultitaskModel::GP, MultitaskModel::EWC}) {
    auto c = small_multitask(m);
    c.hidden = 64;
    MultitaskNet net(c);
    MultitaskOptions o;
    o.tasks = 2;
    o.epochs = 3;
    o.batch = 20;
    o.lr = 3e-3;
    o.meta_batches = 3;
    o.fisher_samples = 20;
    o.seed = 5;
    int64_t batches = 0, tasks_seen = 0;
    auto before = net->fc1->alpha.detach().clone();
    auto log = train_multitask(
        net, images, labels, images.slice(0, 0, 100), labels.slice(0, 0, 100), o, [&] { ++batches; },
        [&](const MultitaskProgress& p) { EXPECT_EQ(p.task, tasks_seen++); });
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1].accuracies.size(), 2u);
    EXPECT_NEAR(log[1].mean_accuracy, (log[1].accuracies[0] + log[1].accuracies[1]) / 2, 1e-12);
    EXPECT_GT(log[0].accuracies[0], 0.3) << to_string(m);  // learned something on task 0
    const bool hp = m == MultitaskModel::HP;
    EXPECT_EQ(batches, 2 * 3 * 10 + (hp ? 2 * 3 : 0));
    EXPECT_EQ(log[0].meta_loss >= 0, hp);
    EXPECT_EQ(torch::equal(before, net->fc1->alpha.detach()), !hp);  // only the meta phases train alpha
  }
  MultitaskNet net(small_multitask(MultitaskModel::GP));
  MultitaskOptions o;
  o.batch = 500;
  EXPECT_THROW(train_multitask(net, images, labels, images, labels, o), Error);
}

}  // namespace

namespace {

CifarConfig tiny_cifar(Mode m) {
  CifarConfig c;
  c.mode = m;
  c.image = 8;
  c.channels = {4, 4, 6, 6, 4};
  c.fc1 = 16;
  c.fc2 = 8;
  c.steps = 3;
  c.exit_rho = 0;
  c.threshold = 0.2;
  return c;
}

TEST(HpCifar, ToySizeForwardGradientsAndConfig) {
  torch::manual_seed(3);
  for (auto m : {Mode::HP, Mode::GP}) {
    HpCifarNet net(tiny_cifar(m));
    auto x = torch::randn({4, 3, 8, 8}) * 2;
    auto y = net->forward(x);
    EXPECT_EQ(y.sizes(), torch::IntArrayRef({4, 10}));
    EXPECT_LE(y.max().item<double>(), 0.55 / 0.2 + 1e-6);
    y.sum().backward();
    EXPECT_TRUE(net->convs[0]->conv->weight.grad().defined());
    EXPECT_TRUE(net->fc3->weight.grad().defined());
    EXPECT_EQ(net->fc2->trace.defined() && net->fc2->trace.abs().sum().item<double>() > 0, m == Mode::HP);
  }
  auto c = CifarConfig::from_json(tiny_cifar(Mode::GP).to_json());
  EXPECT_EQ(c.mode, Mode::GP);
  EXPECT_EQ(c.channels, (std::vector<int64_t>{4, 4, 6, 6, 4}));
  EXPECT_EQ(c.image, 8);
  HpCifarNet net(tiny_cifar(Mode::HP));
  EXPECT_THROW(net->forward(torch::rand({2, 3, 32, 32})), Error);
  auto bad = tiny_cifar(Mode::HP);
  bad.channels = {4, 4};
  EXPECT_THROW(HpCifarNet{bad}, Error);
  // The paper's size: 45,003,018 weights and biases besides the local parameters.
  HpCifarNet full(CifarConfig{});
  int64_t base = 0;
  for (const auto& p : plasticity::split_parameters(*full).global) base += p.numel();
  EXPECT_EQ(base, 45003018);
}

TEST(HpCifar, BinaryFilesAndAugmentation) {
  const std::string dir = testing::TempDir() + "/cifar";
  make_dirs(dir);
  auto write = [&](const std::string& name, int records, int label0) {
    std::string bytes;
    for (int r = 0; r < records; ++r) {
      bytes.push_back(static_cast<char>((label0 + r) % 10));
      for (int i = 0; i < 3072; ++i) bytes.push_back(static_cast<char>(i < 1024 ? 255 : 0));
    }
    write_file_atomically(dir + "/" + name, bytes);
  };
  for (int i = 1; i <= 5; ++i) write(fmt::format("data_batch_{}.bin", i), 2, i);
  write("test_batch.bin", 3, 7);
  auto train = load_cifar10(dir, "train");
  EXPECT_EQ(train.images.sizes(), torch::IntArrayRef({10, 3, 32, 32}));
  EXPECT_EQ(train.labels[2].item<int64_t>(), 2);
  EXPECT_NEAR(train.images[0][0][0][0].item<double>(), (1 - 0.4914) / 0.2023, 1e-5);
  EXPECT_NEAR(train.images[0][1][0][0].item<double>(), -0.4822 / 0.1994, 1e-5);
  EXPECT_EQ(load_cifar10(dir, "train", 3).size(), 3);
  auto test = load_cifar10(dir, "test");
  EXPECT_EQ(test.size(), 3);
  EXPECT_EQ(test.labels[0].item<int64_t>(), 7);
  write_file_atomically(dir + "/test_batch.bin", "short");
  EXPECT_THROW(load_cifar10(dir, "test"), Error);
  EXPECT_THROW(load_cifar10(dir + "/none", "train"), Error);
  EXPECT_THROW(load_cifar10(dir, "val"), Error);
  torch::manual_seed(1);
  auto x = torch::rand({6, 3, 8, 8});
  auto same = random_crop_flip(x, 0);
  for (int64_t b = 0; b < 6; ++b) EXPECT_TRUE(torch::equal(same[b], x[b]) || torch::equal(same[b], x[b].flip({2})));
  EXPECT_EQ(random_crop_flip(x, 4).sizes(), x.sizes());
}

}  // namespace
