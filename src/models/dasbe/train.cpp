#include "hnn/models/dasbe/train.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/train/checkpoint.h"

namespace hnn::models::dasbe {

AeTrainOptions train_recipe(const std::string& dataset) {
  AeTrainOptions o;
  if (dataset == "bars") {
    // Bars has 180 training images: the reference's batch of 1024 is one step per epoch, and 300
    // steps leave the AE far from reconstructing a lone bar (clean BCE 0.06, AMI 0.62 on 200
    // images); batch 16 reaches BCE 0.0003 and AMI 0.995 in 5 s (docs/dasbe.md).
    o.batch = 16;
    return o;
  }
  if (dataset == "corners" || dataset == "shapes") return o;
  if (dataset == "mnist_shape") {
    o.lr = 0.031685, o.drop_min = o.drop_max = 0.6;
    return o;
  }
  if (dataset == "multi_mnist") {
    o.lr = 1e-4, o.drop_min = o.drop_max = 0.6, o.batch = 128, o.epochs = 200;
    o.milestones = {50, 80}, o.gammas = {0.1, 0.1};
    o.contractive = 1e-4, o.sum_loss = true;
    return o;
  }
  fail("dasbe: no training recipe for '{}' (expected bars, corners, shapes, mnist_shape or multi_mnist)", dataset);
}

at::Tensor drop_pixels(const at::Tensor& x, double p) {
  return x * (torch::rand_like(x) >= p).to(x.scalar_type());
}

double validation_loss(Autoencoder& ae, const at::Tensor& inputs, const at::Tensor& targets) {
  torch::NoGradGuard no_grad;
  auto x = inputs.reshape({inputs.size(0), -1}).to(torch::kFloat);
  auto t = targets.reshape({targets.size(0), -1}).to(torch::kFloat);
  HNN_CHECK(x.sizes() == t.sizes(), "dasbe: validation inputs {} and targets {} differ", shape_str(x.sizes()),
            shape_str(t.sizes()));
  if (x.size(0) == 0) return 0;
  double total = 0;
  for (int64_t b = 0; b < x.size(0); b += 1024) {
    const int64_t n = std::min<int64_t>(1024, x.size(0) - b);
    total += torch::binary_cross_entropy(ae->forward(x.narrow(0, b, n)).y, t.narrow(0, b, n), {}, at::Reduction::Sum)
                 .item<double>();
  }
  return total / (double)x.numel();
}

train::FitResult train_autoencoder(Autoencoder& ae, const at::Tensor& images, const AeTrainOptions& opt,
                                   const std::vector<std::shared_ptr<train::Callback>>& callbacks) {
  HNN_CHECK(images.dim() >= 2 && images.size(0) >= 2, "dasbe: training needs at least 2 images, got {}",
            shape_str(images.sizes()));
  HNN_CHECK(opt.drop_min >= 0 && opt.drop_max < 1 && opt.drop_min <= opt.drop_max,
            "dasbe: pixel drop must satisfy 0 <= min <= max < 1 (got {} and {})", opt.drop_min, opt.drop_max);
  auto x = images.reshape({images.size(0), -1}).to(torch::kFloat).contiguous();
  HNN_CHECK(x.size(1) == ae->config().inputs, "dasbe: images have {} pixels, the network takes {}", x.size(1),
            ae->config().inputs);
  const int64_t n = x.size(0);
  const int64_t n_val = std::min<int64_t>(n - 1, std::llround(opt.val_fraction * (double)n));
  const int64_t n_train = n - n_val;
  auto train_x = x.narrow(0, 0, n_train), val_x = x.narrow(0, n_train, n_val);

  auto to = train::TrainerOptions()
                .epochs(opt.epochs)
                .batch_size(opt.batch)
                .lr(opt.lr)
                .optimizer("adam")
                .schedule("multistep")
                .milestones(opt.milestones)
                .gammas(opt.gammas)
                .patience(opt.patience)
                .restore_best(true)
                .max_batches(opt.max_batches)
                .checkpoint(opt.checkpoint)
                .best_checkpoint(opt.best_checkpoint)
                .resume(opt.resume)
                .model_config(config_to_json(ae->config()));
  if (opt.milestones.empty()) to.schedule("constant");
  train::Trainer trainer(*ae, to);
  for (const auto& cb : callbacks) trainer.add_callback(cb);
  const bool contractive = opt.contractive > 0;
  auto step = [&](const at::Tensor& idx) {
    auto clean = train_x.index_select(0, idx);
    const double p = opt.drop_min + (opt.drop_max - opt.drop_min) * torch::rand({1}).item<double>();
    auto input = drop_pixels(clean, p);
    if (contractive) input.requires_grad_(true);
    auto out = ae->forward(input);
    auto loss = torch::binary_cross_entropy(out.y, clean, {}, opt.sum_loss ? at::Reduction::Sum : at::Reduction::Mean);
    train::Metrics m{{"bce", torch::binary_cross_entropy(out.y, clean).item<double>()}};
    if (contractive) {
      // ||J||_F^2 = E_v ||J^T v||^2 for v ~ N(0, I): one projection per sample, differentiable.
      auto v = torch::randn_like(out.h);
      auto g = torch::autograd::grad({out.h}, {input}, {v}, /*retain_graph=*/true, /*create_graph=*/true)[0];
      auto penalty = g.pow(2).sum();
      loss = loss + opt.contractive * penalty;
      m.emplace_back("jacobian", penalty.item<double>() / (double)idx.size(0));
    }
    return train::StepResult{loss, m};
  };
  at::Tensor val_in = val_x;
  if (opt.corrupt_validation && n_val > 0) {
    auto gen = at::detail::createCPUGenerator(0x5eed);
    val_in = val_x * (torch::rand(val_x.sizes(), gen) >= 0.5 * (opt.drop_min + opt.drop_max)).to(torch::kFloat);
  }
  train::ValidateFn validate;
  if (n_val > 0)
    validate = [&] {
      return train::Metrics{{"loss", validation_loss(ae, val_in, val_x)}, {"clean", validation_loss(ae, val_x)}};
    };
  return trainer.fit(n_train, step, validate);
}

void save_autoencoder(const std::string& path, const Autoencoder& ae) {
  train::CheckpointMeta meta;
  meta.config = config_to_json(ae->config());
  meta.save_rng = false;
  train::save_checkpoint(path, *ae, meta);
}

Autoencoder load_autoencoder(const std::string& path) {
  Autoencoder ae(config_from_json(train::read_checkpoint_config(path)));
  train::load_checkpoint(path, *ae);
  ae->eval();
  return ae;
}

}  // namespace hnn::models::dasbe
