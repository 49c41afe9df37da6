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
  if (dataset == "clrnet") {
    o.lr = 1e-3, o.drop_min = o.drop_max = 0.6, o.batch = 512, o.epochs = 500, o.patience = 100;
    o.milestones = {100, 150}, o.gammas = {0.1, 0.1};
    o.contrast_mean = true;
    return o;
  }
  if (dataset == "rbae") {
    o.lr = 1e-3, o.drop_min = o.drop_max = 0.5, o.batch = 32, o.epochs = 300, o.patience = 20;
    o.milestones = {60, 150}, o.gammas = {0.1, 0.1};
    o.corrupt_validation = false;
    return o;
  }
  fail("dasbe: no training recipe for '{}' (expected bars, corners, shapes, mnist_shape, multi_mnist, clrnet or rbae)",
       dataset);
}

namespace {
// The Trainer's options for a recipe: Adam, the multistep schedule, early stop, the best epoch
// kept (in memory and in best_checkpoint), and the config stored in every checkpoint.
train::TrainerOptions trainer_options(const AeTrainOptions& opt, const AutoencoderConfig& config) {
  return train::TrainerOptions()
      .epochs(opt.epochs)
      .batch_size(opt.batch)
      .lr(opt.lr)
      .optimizer("adam")
      .schedule(opt.milestones.empty() ? "constant" : "multistep")
      .milestones(opt.milestones)
      .gammas(opt.gammas)
      .patience(opt.patience)
      .restore_best(true)
      .max_batches(opt.max_batches)
      .checkpoint(opt.checkpoint)
      .best_checkpoint(opt.best_checkpoint)
      .resume(opt.resume)
      .model_config(config_to_json(config));
}
}  // namespace

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

  auto to = trainer_options(opt, ae->config());
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

at::Tensor nt_xent_batch(const std::vector<at::Tensor>& codes, double tau) {
  HNN_CHECK(codes.size() >= 2, "dasbe: nt_xent_batch needs codes of at least 2 classes, got {}", codes.size());
  HNN_CHECK(tau > 0, "dasbe: nt_xent_batch needs tau > 0, got {}", tau);
  std::vector<at::Tensor> unit;
  for (const auto& z : codes) {
    HNN_CHECK(z.dim() == 2 && z.size(1) == codes[0].size(1), "dasbe: codes must be [B, {}], got {}", codes[0].size(1),
              shape_str(z.sizes()));
    unit.push_back(z / z.norm(2, 1, true).clamp_min(1e-8));
  }
  at::Tensor loss = torch::zeros({}, codes[0].options());
  for (size_t a = 0; a < unit.size(); ++a)
    for (size_t b = a; b < unit.size(); ++b) {
      auto S = torch::matmul(unit[a], unit[b].t()) / tau;
      loss = loss + (a == b ? (S - 1).pow(2).sum() : S.pow(2).sum());
    }
  return loss;
}

train::FitResult train_clrnet(Autoencoder& ae, const std::vector<at::Tensor>& images, const AeTrainOptions& opt,
                              const std::vector<std::shared_ptr<train::Callback>>& callbacks) {
  HNN_CHECK(images.size() >= 2, "dasbe: CLRNet needs images of at least 2 classes, got {}", images.size());
  HNN_CHECK(ae->config().spiking, "dasbe: CLRNet's loss is on spike codes; the network has no spiking bottleneck");
  std::vector<at::Tensor> tr, va, va_in;
  int64_t n_train = INT64_MAX;
  auto gen = at::detail::createCPUGenerator(0x5eed);
  for (const auto& im : images) {
    auto x = im.reshape({im.size(0), -1}).to(torch::kFloat).contiguous();
    HNN_CHECK(x.size(0) >= 2 && x.size(1) == ae->config().inputs,
              "dasbe: CLRNet class images must be [N >= 2, {} pixels], got {}", ae->config().inputs,
              shape_str(im.sizes()));
    const int64_t nv = std::min<int64_t>(x.size(0) - 1, std::llround(opt.val_fraction * (double)x.size(0)));
    tr.push_back(x.narrow(0, 0, x.size(0) - nv));
    va.push_back(x.narrow(0, x.size(0) - nv, nv));
    va_in.push_back(va.back() * (torch::rand(va.back().sizes(), gen) >= opt.drop_min).to(torch::kFloat));
    n_train = std::min(n_train, tr.back().size(0));
  }
  auto to = trainer_options(opt, ae->config());
  train::Trainer trainer(*ae, to);
  for (const auto& cb : callbacks) trainer.add_callback(cb);
  auto loss_of = [&](const std::vector<at::Tensor>& inputs, const std::vector<at::Tensor>& clean, double* bce_out,
                     double* contrast_out) {
    std::vector<at::Tensor> spikes;
    at::Tensor bce = torch::zeros({});
    for (size_t c = 0; c < inputs.size(); ++c) {
      auto out = ae->forward(inputs[c]);
      spikes.push_back(out.z);
      bce = bce + torch::binary_cross_entropy(out.y, clean[c]);
    }
    auto contrast = nt_xent_batch(spikes);
    // Mean over the entries of each class pair: the reference's sum over B^2 entries outweighs the
    // mean BCE by B^2 (262,144 at batch 512), and reconstruction did not start in 20 epochs.
    if (opt.contrast_mean) contrast = contrast / (double)(spikes[0].size(0) * spikes[0].size(0));
    if (bce_out) *bce_out = bce.item<double>();
    if (contrast_out) *contrast_out = contrast.item<double>();
    return contrast + bce;
  };
  auto step = [&](const at::Tensor& idx) {
    std::vector<at::Tensor> in, clean;
    for (const auto& x : tr) {
      // Each class has its own images; the same positions in each (shuffled by the trainer).
      auto c = x.index_select(0, idx.remainder(x.size(0)));
      clean.push_back(c);
      in.push_back(drop_pixels(c, opt.drop_min));
    }
    double bce = 0, contrast = 0;
    auto loss = loss_of(in, clean, &bce, &contrast);
    return train::StepResult{loss, {{"bce", bce}, {"nt_xent", contrast}}};
  };
  train::ValidateFn validate = [&] {
    double bce = 0, contrast = 0;
    auto loss = loss_of(va_in, va, &bce, &contrast).item<double>();
    return train::Metrics{{"loss", loss}, {"bce", bce}, {"nt_xent", contrast}};
  };
  return trainer.fit(n_train, step, validate);
}

train::FitResult train_rbae(Autoencoder& ae, const at::Tensor& videos, const AeTrainOptions& opt,
                            const std::vector<std::shared_ptr<train::Callback>>& callbacks) {
  const auto& cfg = ae->config();
  HNN_CHECK(cfg.recurrent, "dasbe: train_rbae needs a recurrent autoencoder, got {}", cfg.describe());
  HNN_CHECK(videos.dim() >= 3 && videos.size(0) >= 2, "dasbe: the RBAE needs at least 2 videos [S, F, H, W], got {}",
            shape_str(videos.sizes()));
  HNN_CHECK(opt.chunk >= 1 && videos.size(1) > opt.chunk,
            "dasbe: the RBAE's windows of {} frames need videos of more frames, got {}", opt.chunk, videos.size(1));
  HNN_CHECK(opt.drop_min >= 0 && opt.drop_min < 1 && opt.salt >= 0 && opt.salt < 1 && opt.blank_frames >= 0 &&
                opt.blank_frames < 1,
            "dasbe: RBAE corruption must be probabilities in [0, 1) (drop {}, salt {}, blank {})", opt.drop_min,
            opt.salt, opt.blank_frames);
  // uint8 [S, F, N]: a quarter of the float copy (600 videos of 1000 frames are 470 MB).
  auto v = videos.reshape({videos.size(0), videos.size(1), -1}).gt(0.5).to(torch::kByte).contiguous();
  HNN_CHECK(v.size(2) == cfg.inputs, "dasbe: frames have {} pixels, the network takes {}", v.size(2), cfg.inputs);
  const int64_t S = v.size(0), F = v.size(1), L = opt.chunk, N = cfg.inputs;
  const int64_t n_val = std::min<int64_t>(S - 1, std::max<int64_t>(1, std::llround(opt.val_fraction * (double)S)));
  const int64_t s_train = S - n_val, windows = (F - 1) / L;
  auto train_v = v.narrow(0, 0, s_train), val_v = v.narrow(0, s_train, n_val);

  auto to = trainer_options(opt, cfg);
  train::Trainer trainer(*ae, to);
  for (const auto& cb : callbacks) trainer.add_callback(cb);
  auto step = [&](const at::Tensor& idx) {
    const int64_t B = idx.size(0);
    auto seq = idx.div(windows, "floor"), start = idx.remainder(windows).mul(L);
    // Frames start - 1 .. start + L of each window: [L + 2, B, N] (frame -1 reads as blank).
    auto offs = torch::arange(-1, L + 1, torch::kLong);
    auto fr = (start.unsqueeze(0) + offs.unsqueeze(1)).clamp_min(0);  // [L + 2, B]
    auto flat = (seq.unsqueeze(0) * F + fr).reshape({-1});            // rows of [S * F, N]
    auto clip = train_v.reshape({s_train * F, N}).index_select(0, flat).view({L + 2, B, N}).to(torch::kFloat);
    auto input = clip.narrow(0, 0, L + 1);  // frames start - 1 .. start + L - 1
    auto target = clip.narrow(0, 2, L);     // frames start + 1 .. start + L
    auto blank = (torch::rand({L + 1, 1, 1}) >= opt.blank_frames).to(torch::kFloat);
    input = drop_pixels(input * blank, opt.drop_min);
    input = torch::max(input, (torch::rand_like(input) < opt.salt).to(torch::kFloat)).gt(0.5).to(torch::kFloat);
    at::Tensor pre;
    {
      torch::NoGradGuard no_grad;
      pre = ae->encode(input[0]) * start.gt(0).to(torch::kFloat).unsqueeze(1);  // zeros at the video's start
    }
    auto out = ae->forward_sequence(input.narrow(0, 1, L), pre);
    auto loss = torch::mse_loss(out.y, target);
    return train::StepResult{loss, {{"mse", loss.item<double>()}}};
  };
  train::ValidateFn validate = [&] {
    torch::NoGradGuard no_grad;
    double total = 0;
    for (int64_t s = 0; s < n_val; ++s) {
      auto x = val_v[s].to(torch::kFloat).unsqueeze(1);  // [F, 1, N]
      auto y = ae->forward_sequence(x.narrow(0, 0, F - 1)).y;
      total += torch::mse_loss(y, x.narrow(0, 1, F - 1)).item<double>();
    }
    return train::Metrics{{"loss", total / (double)n_val}};
  };
  return trainer.fit(s_train * windows, step, validate);
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
