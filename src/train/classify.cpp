#include "hnn/train/classify.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"

namespace hnn::train {
namespace {

void check_inputs(const at::Tensor& inputs, const at::Tensor& labels) {
  HNN_CHECK(inputs.defined() && labels.defined() && inputs.size(0) == labels.size(0),
            "classifier data: {} inputs but {} labels", inputs.defined() ? inputs.size(0) : 0,
            labels.defined() ? labels.size(0) : 0);
}

}  // namespace

EpochStats train_epoch(const ForwardFn& model, torch::optim::Optimizer& opt, const at::Tensor& inputs,
                       const at::Tensor& labels, const LoopOptions& o) {
  check_inputs(inputs, labels);
  const int64_t n = inputs.size(0);
  auto order = o.shuffle ? torch::randperm(n, torch::kLong) : torch::arange(n, torch::kLong);
  int64_t batches = (n + o.batch_size - 1) / o.batch_size;
  if (o.max_batches > 0) batches = std::min(batches, o.max_batches);
  Progress bar(batches, o.label, "batch");
  Timer timer;
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  std::vector<double> base_lr;
  for (auto& group : opt.param_groups()) base_lr.push_back(group.options().get_lr());
  for (int64_t b = 0; b < batches; ++b) {
    if (o.lr_factor) {
      double f = o.lr_factor((double)b / batches);
      for (size_t i = 0; i < base_lr.size(); ++i) opt.param_groups()[i].options().set_lr(base_lr[i] * f);
    }
    auto idx = order.slice(0, b * o.batch_size, std::min(n, (b + 1) * o.batch_size));
    auto x = inputs.index_select(0, idx), y = labels.index_select(0, idx);
    if (o.before_batch) o.before_batch();
    opt.zero_grad();
    auto logits = model(x);
    auto loss = torch::nn::functional::cross_entropy(logits, y);
    loss.backward();
    opt.step();
    int64_t bs = y.size(0);
    loss_sum += loss.item<double>() * bs;
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    seen += bs;
    bar.update(1, {{"loss", loss_sum / seen}, {"acc", (double)correct / seen}});
  }
  bar.finish();
  if (o.lr_factor)
    for (size_t i = 0; i < base_lr.size(); ++i) opt.param_groups()[i].options().set_lr(base_lr[i]);
  return {loss_sum / std::max<int64_t>(seen, 1), (double)correct / std::max<int64_t>(seen, 1), seen,
          timer.seconds()};
}

EpochStats evaluate(const ForwardFn& model, const at::Tensor& inputs, const at::Tensor& labels,
                    const LoopOptions& o) {
  check_inputs(inputs, labels);
  torch::NoGradGuard no_grad;
  const int64_t n = inputs.size(0);
  Timer timer;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t s = 0; s < n; s += o.batch_size) {
    auto x = inputs.slice(0, s, std::min(n, s + o.batch_size));
    auto y = labels.slice(0, s, std::min(n, s + o.batch_size));
    if (o.before_batch) o.before_batch();
    auto logits = model(x);
    loss_sum += torch::nn::functional::cross_entropy(logits, y).item<double>() * y.size(0);
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  return {loss_sum / std::max<int64_t>(n, 1), (double)correct / std::max<int64_t>(n, 1), n, timer.seconds()};
}

}  // namespace hnn::train
