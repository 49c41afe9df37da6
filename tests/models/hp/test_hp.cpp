#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/data/idx.h"
#include "hnn/models/hp/corruption.h"
#include "hnn/models/hp/mlp.h"
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
  EXPECT_GT(train::metric(m, "accuracy"), 0.5);
  EXPECT_GT(max_abs_diff(net->fc1->alpha, alpha0), 0);  // the local parameters learn too
}

}  // namespace
