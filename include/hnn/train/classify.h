// Classification on in-memory tensors with the Trainer: inputs [N, ...] and int64 labels [N],
// cross-entropy loss, accuracy. The model is any callable from a batch [B, ...] to logits [B, C].
//
//   train::Trainer trainer(*net, train::TrainerOptions().epochs(5).schedule("cosine"));
//   auto fwd = [&](const at::Tensor& x) { return net->forward(x); };
//   trainer.fit(x.size(0), train::classification_step(fwd, x, y),
//               [&] { return train::evaluate_classifier(fwd, x_test, y_test); });
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>

#include "hnn/train/trainer.h"

namespace hnn::train {

using ForwardFn = std::function<at::Tensor(const at::Tensor& batch)>;

// The loss on the model's outputs [B, C]: cross-entropy of logits, or the mean squared error
// against the one-hot target (the hybrid-plasticity and STBP papers' read-out loss).
enum class ClassLoss { CrossEntropy, MseOneHot };
at::Tensor class_loss(const at::Tensor& outputs, const at::Tensor& labels, ClassLoss loss);

// A step for Trainer::fit: the loss of model(inputs[idx]) against labels[idx], with the batch
// accuracy as the metric "accuracy". hnn::Error when inputs and labels do not match.
StepFn classification_step(ForwardFn model, at::Tensor inputs, at::Tensor labels,
                           ClassLoss loss = ClassLoss::CrossEntropy);

// {"loss", "accuracy"} over the whole set, in batches, without gradients.
Metrics evaluate_classifier(const ForwardFn& model, const at::Tensor& inputs, const at::Tensor& labels,
                            int64_t batch_size = 500, ClassLoss loss = ClassLoss::CrossEntropy);

}  // namespace hnn::train
