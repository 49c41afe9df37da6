// The trainer: the loop learns, schedules, validation, early stopping, best weights, callbacks,
// and resuming from a checkpoint gives the same weights as an uninterrupted run.
#include <torch/torch.h>
#include <unistd.h>

#include "hnn/core/anomaly.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/seed.h"
#include "hnn/spike/neurons.h"
#include "hnn/train/checkpoint.h"
#include "hnn/train/classify.h"
#include "hnn/train/trainer.h"
#include "test_util.h"

using namespace hnn::train;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_train_" + std::to_string(getpid()) + "_" + name;
}

// Two Gaussian blobs in 4-D, labels 0/1.
struct Blobs {
  torch::Tensor x, y;
  explicit Blobs(int64_t n) {
    y = torch::arange(n, torch::kLong) % 2;
    x = torch::randn({n, 4}) * 0.5 + y.to(torch::kFloat).unsqueeze(1) * 1.5;
  }
};

torch::nn::Sequential small_net() {
  return torch::nn::Sequential(torch::nn::Linear(4, 8), torch::nn::Tanh(), torch::nn::Linear(8, 2));
}

std::vector<torch::Tensor> weights(torch::nn::Module& m) {
  std::vector<torch::Tensor> w;
  for (auto& p : m.parameters()) w.push_back(p.detach().clone());
  return w;
}

}  // namespace

TEST(Trainer, LearnsAClassifierAndReportsEveryEpoch) {
  hnn::seed_everything(1);
  Blobs data(256), val(64);
  auto net = small_net();
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  Trainer trainer(*net, TrainerOptions().epochs(4).batch_size(32).lr(3e-2).schedule("cosine"));
  int batches = 0, epochs = 0;
  struct Count : Callback {
    int *b, *e;
    Count(int* b, int* e) : b(b), e(e) {}
    void on_batch_end(const BatchLog& l) override {
      ++*b;
      EXPECT_GT(metric(l.running, "loss", -1), 0);
    }
    void on_epoch_end(const EpochLog&) override { ++*e; }
  };
  trainer.add_callback(std::make_shared<Count>(&batches, &epochs));
  auto r = trainer.fit(256, classification_step(fwd, data.x, data.y),
                       [&] { return evaluate_classifier(fwd, val.x, val.y); });
  EXPECT_EQ(batches, 4 * 8);
  EXPECT_EQ(epochs, 4);
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_LT(metric(r.history.back().train, "loss"), metric(r.history.front().train, "loss"));
  EXPECT_GT(metric(r.history.back().val, "accuracy"), 0.9);
  EXPECT_FALSE(r.stopped_early);
}

TEST(Trainer, Schedules) {
  auto net = small_net();
  Trainer cosine(*net, TrainerOptions().epochs(10).schedule("cosine"));
  EXPECT_DOUBLE_EQ(cosine.lr_factor(0), 1.0);
  EXPECT_NEAR(cosine.lr_factor(5), 0.5, 1e-12);
  EXPECT_NEAR(cosine.lr_factor(10), 0.0, 1e-12);
  Trainer step(*net, TrainerOptions().epochs(10).schedule("step").milestone(0.5).gamma(0.1));
  EXPECT_DOUBLE_EQ(step.lr_factor(4.9), 1.0);
  EXPECT_DOUBLE_EQ(step.lr_factor(5), 0.1);
  // DASBE's recipe: x0.5 after epochs 60, 100, 130, 150 and x0.1 after 170.
  Trainer multi(*net, TrainerOptions()
                          .epochs(300)
                          .schedule("multistep")
                          .milestones({60, 100, 130, 150, 170})
                          .gammas({0.5, 0.5, 0.5, 0.5, 0.1}));
  EXPECT_DOUBLE_EQ(multi.lr_factor(59.5), 1.0);
  EXPECT_DOUBLE_EQ(multi.lr_factor(60), 0.5);
  EXPECT_DOUBLE_EQ(multi.lr_factor(149), 0.125);
  EXPECT_DOUBLE_EQ(multi.lr_factor(170), 0.00625);
  Trainer same(*net, TrainerOptions().schedule("multistep").milestones({2, 4}).gamma(0.1));
  EXPECT_NEAR(same.lr_factor(4), 0.01, 1e-15);
  EXPECT_THROW(Trainer(*net, TrainerOptions().schedule("multistep")), hnn::Error);
  EXPECT_THROW(Trainer(*net, TrainerOptions().schedule("multistep").milestones({1, 2}).gammas({0.5})), hnn::Error);
  EXPECT_THROW(Trainer(*net, TrainerOptions().schedule("linear")), hnn::Error);
  EXPECT_THROW(Trainer(*net, TrainerOptions().optimizer("lbfgs")), hnn::Error);
  EXPECT_THROW(Trainer(*net, TrainerOptions().epochs(0)), hnn::Error);
}

TEST(Trainer, EarlyStoppingAndBestWeights) {
  hnn::seed_everything(2);
  Blobs data(64);
  auto net = small_net();
  auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
  // A validation score that peaks at epoch 2, then falls: stop after 2 epochs without gain and
  // end with epoch 2's weights.
  std::vector<double> score = {0.5, 0.9, 0.8, 0.7, 0.6, 0.5};
  std::vector<std::vector<torch::Tensor>> seen;
  int64_t epoch = 0;
  Trainer trainer(
      *net,
      TrainerOptions().epochs(6).batch_size(16).lr(1e-2).monitor("acc").maximize(true).patience(2).restore_best(true));
  auto r = trainer.fit(64, classification_step(fwd, data.x, data.y), [&] {
    seen.push_back(weights(*net));
    return Metrics{{"acc", score[epoch++]}};
  });
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.history.size(), 4u);
  EXPECT_EQ(r.best_epoch, 2);
  EXPECT_DOUBLE_EQ(r.best_value, 0.9);
  auto now = weights(*net);
  for (size_t i = 0; i < now.size(); ++i) EXPECT_TENSOR_NEAR(now[i], seen[1][i], 0.0);
  // A monitored name neither validation nor training gives is an error naming it.
  Trainer bad(*net, TrainerOptions().epochs(1).monitor("f1"));
  EXPECT_THROW(bad.fit(64, classification_step(fwd, data.x, data.y), [] { return Metrics{{"acc", 1}}; }), hnn::Error);
}

TEST(Trainer, NonFiniteLossIsAnError) {
  auto net = small_net();
  Trainer trainer(*net, TrainerOptions().epochs(1).batch_size(4));
  auto step = [&](const torch::Tensor& idx) {
    return StepResult{net->forward(torch::zeros({idx.size(0), 4})).sum() * std::nan("")};
  };
  EXPECT_THROW(trainer.fit(8, step), hnn::Error);
  EXPECT_THROW(trainer.fit(0, step), hnn::Error);
  EXPECT_THROW(classification_step([](const torch::Tensor& x) { return x; }, torch::zeros({3, 4}),
                                   torch::zeros({2}, torch::kLong)),
               hnn::Error);
}

TEST(Trainer, ResumeGivesTheSameWeightsAsOneRun) {
  Blobs data(96);
  auto run = [&](int64_t epochs, const std::string& ckpt, const std::string& resume) {
    auto net = small_net();
    if (resume.empty()) {
      hnn::seed_everything(7);
      net = small_net();
    }
    auto fwd = [&](const torch::Tensor& x) { return net->forward(x); };
    Trainer trainer(*net, TrainerOptions()
                              .epochs(epochs)
                              .batch_size(16)
                              .lr(5e-3)
                              .schedule("cosine")
                              .checkpoint(ckpt)
                              .checkpoint_every(2)
                              .resume(resume)
                              .model_config(R"({"model": "blobs-mlp"})"));
    auto r = trainer.fit(96, classification_step(fwd, data.x, data.y));
    return std::make_pair(weights(*net), r);
  };
  auto straight = run(4, temp_path("straight.pt"), "");
  // The same run cut after epoch 2 (the epoch-2 checkpoint) and resumed in a fresh model.
  auto resumed = run(4, temp_path("resumed.pt"), temp_path("straight.pt") + "-epoch2");
  ASSERT_EQ(resumed.second.history.size(), 4u);  // the history travels with the checkpoint
  for (size_t i = 0; i < straight.first.size(); ++i) EXPECT_TENSOR_NEAR(straight.first[i], resumed.first[i], 0.0);
  EXPECT_EQ(read_checkpoint_meta(temp_path("resumed.pt")).epoch, 4);
  // Resuming beyond the asked epochs is refused.
  EXPECT_THROW(run(1, "", temp_path("straight.pt")), hnn::Error);
}

// A NaN stops the fit before the update, names where it happened and the last good checkpoint,
// and leaves that checkpoint as it was; with anomaly detection on, the first module and time step.
namespace {
struct SpikingNet : torch::nn::Module {
  SpikingNet() {
    fc = register_module("fc", torch::nn::Linear(4, 6));
    lif = register_module("lif", hnn::spike::Lif(hnn::spike::NeuronOptions::lif(2.0)));
    out = register_module("out", torch::nn::Linear(6, 2));
  }
  // x [T, B, 4] -> rates [B, 2]
  torch::Tensor forward(const torch::Tensor& x) { return out->forward(lif->forward(fc->forward(x)).mean(0)); }
  torch::nn::Linear fc{nullptr}, out{nullptr};
  hnn::spike::Lif lif{nullptr};
};
}  // namespace

TEST(Trainer, NanStopsBeforeTheUpdateAndKeepsTheLastGoodCheckpoint) {
  hnn::seed_everything(3);
  auto net = std::make_shared<SpikingNet>();
  const std::string ckpt = temp_path("nan.pt");
  Trainer trainer(*net, TrainerOptions().epochs(3).batch_size(4).checkpoint(ckpt).checkpoint_every(1));
  auto x = torch::rand({5, 8, 4});
  auto y = torch::arange(8, torch::kLong) % 2;
  int calls = 0;
  bool in_input = false;  // the NaN in the loss, or in the input (where a spike hides it from the loss)
  std::vector<torch::Tensor> before;
  auto step = [&](const torch::Tensor& idx) {
    auto in = x.index_select(1, idx).clone();
    double scale = 1;
    if (++calls == 3) {  // epoch 2, batch 1: the loss, or time step 2 of sample 1
      before = weights(*net);
      if (in_input) {
        in[2][1][0] = std::nan("");
      } else {
        scale = std::nan("");
      }
    }
    return StepResult{torch::nn::functional::cross_entropy(net->forward(in), y.index_select(0, idx)) * scale};
  };
  try {
    trainer.fit(8, step);
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("the loss is nan at epoch 2, batch 1"), std::string::npos) << m;
    EXPECT_NE(m.find("The last good weights are in '" + ckpt + "-epoch1' (epoch 1)"), std::string::npos) << m;
    EXPECT_NE(m.find("--detect-anomaly"), std::string::npos) << m;
  }
  // Not updated by the bad batch; the checkpoint of epoch 1 is intact, no later one was written.
  auto after = weights(*net);
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(after[i].equal(before[i]));
  EXPECT_EQ(read_checkpoint_meta(ckpt + "-epoch1").epoch, 1);
  EXPECT_FALSE(hnn::file_exists(ckpt));

  // With anomaly detection: the module (by its path in the model) and the time step.
  calls = 0;
  in_input = true;
  hnn::anomaly::Guard on;
  Trainer again(*net, TrainerOptions().epochs(3).batch_size(4));
  try {
    again.fit(8, step);
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("model.lif (Neuron): the input is nan at time step 2 of 5, sample 1"), std::string::npos) << m;
    EXPECT_NE(m.find("it came from the module before"), std::string::npos) << m;
    EXPECT_NE(m.find("No checkpoint was written yet"), std::string::npos) << m;
  }
  std::remove((ckpt + "-epoch1").c_str());
}

TEST(Trainer, AnomalyDetectionNamesTheFirstNonFiniteGradient) {
  hnn::anomaly::Guard on;
  auto net = small_net();
  Trainer trainer(*net, TrainerOptions().epochs(1).batch_size(4));
  // sqrt at 0: a finite loss whose gradient is infinite.
  auto step = [&](const torch::Tensor& idx) {
    auto w = net->parameters()[2];
    return StepResult{torch::sqrt((w - w.detach()).abs()).sum() + net->forward(torch::zeros({idx.size(0), 4})).sum()};
  };
  try {
    trainer.fit(8, step);
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("at epoch 1, batch 1"), std::string::npos) << m;
    EXPECT_TRUE(m.find("the gradient of model.2.weight is inf") != std::string::npos ||
                m.find("backward pass") != std::string::npos)
        << m;
  }
}
