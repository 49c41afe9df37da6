#include "hnn/models/hp/cifar.h"

#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/shape.h"
#include "hnn/nn/time_fold.h"
#include "models/hp/config_json.h"

namespace hnn::models::hp {

std::string CifarConfig::to_json() const {
  return config_to_json(*this, "hp.cifar");
}

CifarConfig CifarConfig::from_json(const std::string& text) {
  return config_from_json(CifarConfig{}, text, "hp.cifar");
}

HpCifarNetImpl::HpCifarNetImpl(CifarConfig c) : config(c) {
  HNN_CHECK(c.channels.size() == 5 && c.image % 4 == 0 && c.image > 0 && c.steps > 0 && c.fc1 > 0 && c.fc2 > 0 &&
                c.classes > 0,
            "hp.cifar: need 5 conv widths, an image side divisible by 4 and positive sizes");
  for (int64_t ch : c.channels) HNN_CHECK(ch > 0, "hp.cifar: conv widths must be positive");
  HNN_CHECK(c.mode != Mode::LP, "hp.cifar: the classifier is GP or HP");
  auto neuron = spike::NeuronOptions::lif_decay(c.decay).threshold(c.threshold).reset(spike::Reset::Soft);
  int64_t in = 3;
  for (size_t i = 0; i < 5; ++i) {
    convs.push_back(register_module(
        "conv" + std::to_string(i + 1),
        nn::SpikingConv2d(
            nn::SpikingConv2dOptions(in, c.channels[i], 3).padding(1).bias(true).batch_norm(false).neuron(neuron))));
    in = c.channels[i];
  }
  const int64_t side = c.image / 4;
  auto layer = [&](int64_t i, int64_t o, bool plastic) {
    return plasticity::PlasticLinearOptions(i, o)
        .rule(plastic ? plasticity::Rule::AntiHebb : plasticity::Rule::None)
        .trace(plasticity::TraceOptions{c.trace_decay, 0.0})
        .persistent(true)
        .threshold(c.threshold)
        .decay(c.decay)
        .reset(spike::Reset::Soft)
        .alpha_init({0, 1e-3})
        .beta_init({0, 1e-3})
        .eta_init({0, 0});
  };
  fc1 = register_module("fc1", plasticity::PlasticLinear(layer(in * side * side, c.fc1, false)));
  fc2 = register_module("fc2", plasticity::PlasticLinear(layer(c.fc1, c.fc2, c.mode == Mode::HP)));
  fc3 = register_module("fc3", torch::nn::Linear(c.fc2, c.classes));
  if (c.init_quirk) {
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> w;
    for (size_t i = 1; i < 5; ++i) w.push_back(convs[i]->conv->weight);
    w.push_back(fc1->weight);
    w.push_back(fc2->weight);
    for (size_t k = 0; k < w.size(); ++k) w[k].add_(w[k].mean() * std::pow(1.1, static_cast<double>(k + 2)));
  }
}

at::Tensor HpCifarNetImpl::forward(const at::Tensor& images) {
  const auto& c = config;
  HNN_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == c.image && images.size(3) == c.image,
            "hp.cifar: expected images [B, 3, {}, {}], got {}", c.image, c.image, shape_str(images.sizes()));
  const int64_t T = c.steps;
  const std::vector<double> scale = plasticity::attenuations(T, c.tau_w);
  const at::Tensor d = torch::tensor(scale, images.options()).reshape({T, 1, 1, 1, 1});
  auto pool = [&](const at::Tensor& s) { return nn::unfold_time(torch::avg_pool2d(nn::fold_time(s), 2), T); };
  auto drop = [&](const at::Tensor& x) { return torch::dropout(x, c.dropout, is_training()); };
  const at::Tensor c1 = convs[0]->conv->forward(images);
  auto s = convs[0]->neuron->forward(c1.unsqueeze(0).expand({T, -1, -1, -1, -1}).contiguous());
  s = pool(convs[1]->forward(drop(s * d)));
  s = pool(convs[2]->forward(drop(s * d)));
  s = convs[3]->forward(drop(s * d));
  s = convs[4]->forward(drop(s * d));
  const at::Tensor p = drop(s * d).flatten(2);  // [T, B, C5 * side^2]
  auto st1 = fc1->initial_state();
  auto st2 = fc2->initial_state();
  at::Tensor u;
  exit_step = T - 1;
  for (int64_t t = 0; t < T; ++t) {
    auto r1 = fc1->step(p[t], st1);
    auto r2 = fc2->step(r1.spikes, st2);
    st1 = std::move(r1.state);
    st2 = std::move(r2.state);
    const at::Tensor in = fc3->forward(r2.spikes * scale[t]);
    u = u.defined() ? c.out_decay * u + in : in;
    if (c.exit_rho > 0 && t > 0 && plasticity::early_exit(u.detach(), c.threshold, c.exit_rho)) {
      exit_step = t;
      break;
    }
  }
  fc2->end_window(st2);
  return u.clamp_max(c.readout_max) / c.threshold;
}

data::ImageSet load_cifar10(const std::string& dir, const std::string& split, int64_t max_items) {
  HNN_CHECK(split == "train" || split == "test", "cifar10: split '{}' is neither train nor test", split);
  std::vector<std::string> files;
  if (split == "train")
    for (int i = 1; i <= 5; ++i) files.push_back(fmt::format("{}/data_batch_{}.bin", dir, i));
  else
    files.push_back(dir + "/test_batch.bin");
  constexpr int64_t record = 1 + 3 * 32 * 32;
  std::vector<at::Tensor> images, labels;
  int64_t n = 0;
  for (const auto& f : files) {
    if (max_items > 0 && n >= max_items) break;
    HNN_CHECK(file_exists(f),
              "cifar10: {} not found (the CIFAR-10 binary version: data_batch_1..5.bin, test_batch.bin)", f);
    std::string bytes = read_file(f);
    HNN_CHECK(!bytes.empty() && bytes.size() % record == 0, "cifar10: {} has {} bytes, not a multiple of {}", f,
              bytes.size(), record);
    int64_t k = static_cast<int64_t>(bytes.size()) / record;
    if (max_items > 0) k = std::min(k, max_items - n);
    at::Tensor raw = torch::from_blob(bytes.data(), {k, record}, torch::kUInt8).clone();
    labels.push_back(raw.select(1, 0).to(torch::kLong));
    images.push_back(raw.slice(1, 1).reshape({k, 3, 32, 32}));
    n += k;
  }
  data::ImageSet set;
  set.labels = torch::cat(labels);
  HNN_CHECK(set.labels.max().item<int64_t>() < 10, "cifar10: a label above 9 in {}", dir);
  const at::Tensor mean = torch::tensor({0.4914, 0.4822, 0.4465}).reshape({1, 3, 1, 1});
  const at::Tensor std = torch::tensor({0.2023, 0.1994, 0.2010}).reshape({1, 3, 1, 1});
  set.images = (torch::cat(images).to(torch::kFloat) / 255 - mean) / std;
  return set;
}

at::Tensor random_crop_flip(const at::Tensor& images, int64_t pad) {
  HNN_CHECK(images.dim() == 4 && pad >= 0, "random_crop_flip: expected images [B, C, H, W], got {}",
            shape_str(images.sizes()));
  const int64_t B = images.size(0), H = images.size(2), W = images.size(3);
  const at::Tensor padded = torch::constant_pad_nd(images, {pad, pad, pad, pad}, 0);
  const at::Tensor dx = torch::randint(2 * pad + 1, {B}, torch::kLong),
                   dy = torch::randint(2 * pad + 1, {B}, torch::kLong);
  const at::Tensor flip = torch::rand({B}) < 0.5;
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    at::Tensor x = padded[b].narrow(1, dy[b].item<int64_t>(), H).narrow(2, dx[b].item<int64_t>(), W);
    out.push_back(flip[b].item<bool>() ? x.flip({2}) : x);
  }
  return torch::stack(out);
}

}  // namespace hnn::models::hp
