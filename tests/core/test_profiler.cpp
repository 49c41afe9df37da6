#include "hnn/core/profiler.h"

#include <ATen/record_function.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"

using hnn::profile::Category;
using hnn::profile::classify;
using hnn::profile::Profiler;

namespace {

double category(const hnn::profile::Report& r, Category c) {
  return r.category_seconds[(int)c];
}

bool has_op(const hnn::profile::Report& r, const std::string& name, Category c) {
  for (const auto& op : r.ops)
    if (op.name == name && op.category == c && op.calls > 0) return true;
  return false;
}

}  // namespace

TEST(Profiler, ClassifiesOperatorNames) {
  EXPECT_EQ(classify("aten::addmm"), Category::Matmul);
  EXPECT_EQ(classify("aten::convolution"), Category::Matmul);
  EXPECT_EQ(classify("ConvolutionBackward0"), Category::Matmul);
  EXPECT_EQ(classify("MmBackward0"), Category::Matmul);
  EXPECT_EQ(classify("aten::native_batch_norm"), Category::BatchNorm);
  EXPECT_EQ(classify("NativeBatchNormBackward0"), Category::BatchNorm);
  EXPECT_EQ(classify("aten::cross_entropy_loss"), Category::Loss);
  EXPECT_EQ(classify("hnn::neuron_forward"), Category::Neurons);
  EXPECT_EQ(classify("torch::autograd::CppNode<hnn::spike::FusedNeuronFn>"), Category::Neurons);
  EXPECT_EQ(classify("hnn::data"), Category::Data);
  EXPECT_EQ(classify("hnn::optimizer_step"), Category::Optimizer);
  EXPECT_EQ(classify("hnn::evaluate"), Category::Evaluation);
  EXPECT_EQ(classify("aten::mul"), Category::Other);
  EXPECT_EQ(classify("aten::sum"), Category::Other);  // "sum" holds no "mm"
}

TEST(Profiler, SplitsATrainingStepIntoCategories) {
  torch::manual_seed(0);
  torch::nn::Linear fc(64, 32);
  auto x = torch::randn({128, 64});
  Profiler prof;
  EXPECT_EQ(Profiler::current(), &prof);
  for (int i = 0; i < 3; ++i) {
    at::Tensor xb;
    {
      RECORD_USER_SCOPE("hnn::data");
      xb = x.index_select(0, torch::arange(64));
    }
    auto loss = torch::nn::functional::cross_entropy(fc(xb).relu(), torch::zeros({64}, torch::kLong));
    {
      RECORD_USER_SCOPE("hnn::backward");
      loss.backward();
    }
    {
      RECORD_USER_SCOPE("hnn::optimizer_step");
      torch::NoGradGuard ng;
      // A matrix product inside the optimiser's scope counts towards the optimiser.
      fc->weight.sub_(torch::mm(fc->weight.grad(), torch::eye(64)) * 1e-3);
      fc->weight.grad().zero_();
    }
  }
  const auto r = prof.report();
  EXPECT_GT(r.wall_seconds, 0);
  EXPECT_GT(category(r, Category::Matmul), 0);
  EXPECT_GT(category(r, Category::Loss), 0);
  EXPECT_GT(category(r, Category::Data), 0);
  EXPECT_GT(category(r, Category::Optimizer), 0);
  EXPECT_TRUE(has_op(r, "aten::addmm", Category::Matmul));
  EXPECT_TRUE(has_op(r, "AddmmBackward0", Category::Matmul));
  EXPECT_TRUE(has_op(r, "aten::index_select", Category::Data));
  EXPECT_TRUE(has_op(r, "aten::mm", Category::Optimizer));
  // Self times never add up to more than the wall time (one thread records here).
  double sum = 0;
  for (double s : r.category_seconds) sum += s;
  EXPECT_LE(sum, r.wall_seconds * 1.05 + 1e-3);
  for (size_t i = 1; i < r.ops.size(); ++i) EXPECT_GE(r.ops[i - 1].seconds, r.ops[i].seconds);
  const std::string md = r.markdown("three steps");
  EXPECT_NE(md.find("## three steps"), std::string::npos);
  EXPECT_NE(md.find("| convolution / matmul |"), std::string::npos);
  EXPECT_NE(md.find("`aten::addmm`"), std::string::npos);
  EXPECT_NE(r.summary().find("convolution / matmul"), std::string::npos);
}

TEST(Profiler, ReportsTheTimeSinceASnapshot) {
  Profiler prof;
  auto a = torch::randn({64, 64});
  auto b = torch::mm(a, a);
  const auto snap = prof.snapshot();
  auto c = a.relu();
  const auto r = prof.report(snap);
  EXPECT_FALSE(has_op(r, "aten::mm", Category::Matmul));
  EXPECT_TRUE(has_op(r, "aten::relu", Category::Other));
  EXPECT_TRUE(has_op(prof.report(), "aten::mm", Category::Matmul));
}

TEST(Profiler, OneAtATime) {
  {
    Profiler prof;
    EXPECT_THROW(Profiler(), hnn::Error);
  }
  EXPECT_EQ(Profiler::current(), nullptr);
  Profiler again;  // the first one's end freed the slot
  auto r = again.report();
  EXPECT_TRUE(r.ops.empty());
}
