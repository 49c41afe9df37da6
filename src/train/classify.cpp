#include "hnn/train/classify.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::train {
namespace {

void check_inputs(const at::Tensor& inputs, const at::Tensor& labels) {
  HNN_CHECK(inputs.defined() && labels.defined() && inputs.dim() >= 1 && labels.dim() == 1 &&
                inputs.size(0) == labels.size(0),
            "classifier data: expected inputs [N, ...] and labels [N], got {} and {}",
            inputs.defined() ? shape_str(inputs.sizes()) : "none",
            labels.defined() ? shape_str(labels.sizes()) : "none");
  HNN_CHECK(labels.scalar_type() == torch::kLong, "classifier data: labels must be int64");
}

}  // namespace

at::Tensor class_loss(const at::Tensor& outputs, const at::Tensor& labels, ClassLoss loss) {
  HNN_CHECK(outputs.dim() == 2 && labels.dim() == 1 && outputs.size(0) == labels.size(0),
            "class_loss: expected outputs [B, C] and labels [B], got {} and {}", shape_str(outputs.sizes()),
            shape_str(labels.sizes()));
  if (loss == ClassLoss::CrossEntropy) return torch::nn::functional::cross_entropy(outputs, labels);
  auto target = torch::nn::functional::one_hot(labels, outputs.size(1)).to(outputs.scalar_type());
  return torch::mse_loss(outputs, target);
}

StepFn classification_step(ForwardFn model, at::Tensor inputs, at::Tensor labels, ClassLoss kind) {
  check_inputs(inputs, labels);
  return
      [model = std::move(model), inputs = std::move(inputs), labels = std::move(labels), kind](const at::Tensor& idx) {
        at::Tensor x, y;
        {
          RECORD_USER_SCOPE("hnn::data");
          x = inputs.index_select(0, idx);
          y = labels.index_select(0, idx);
        }
        auto logits = model(x);
        auto loss = class_loss(logits, y, kind);
        double acc = logits.detach().argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
        return StepResult{loss, {{"accuracy", acc}}, y.size(0)};
      };
}

Metrics evaluate_classifier(const ForwardFn& model, const at::Tensor& inputs, const at::Tensor& labels,
                            int64_t batch_size, ClassLoss kind) {
  check_inputs(inputs, labels);
  HNN_CHECK(batch_size > 0, "evaluate_classifier: batch size must be positive");
  torch::NoGradGuard no_grad;
  const int64_t n = inputs.size(0);
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t s = 0; s < n; s += batch_size) {
    auto x = inputs.slice(0, s, std::min(n, s + batch_size));
    auto y = labels.slice(0, s, std::min(n, s + batch_size));
    auto logits = model(x);
    loss_sum += class_loss(logits, y, kind).item<double>() * y.size(0);
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  return {{"loss", loss_sum / std::max<int64_t>(n, 1)}, {"accuracy", (double)correct / std::max<int64_t>(n, 1)}};
}

}  // namespace hnn::train
