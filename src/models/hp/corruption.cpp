#include "hnn/models/hp/corruption.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::models::hp {

std::string to_string(Corruption c) {
  switch (c) {
    case Corruption::None:
      return "none";
    case Corruption::Gaussian:
      return "gaussian";
    case Corruption::Salt:
      return "salt";
    case Corruption::Pepper:
      return "pepper";
    case Corruption::SaltPepper:
      return "sp";
    case Corruption::Speckle:
      return "speckle";
    case Corruption::Occlusion:
      return "occlusion";
  }
  return "?";
}

Corruption parse_corruption(const std::string& s) {
  for (Corruption c : {Corruption::None, Corruption::Gaussian, Corruption::Salt, Corruption::Pepper,
                       Corruption::SaltPepper, Corruption::Speckle, Corruption::Occlusion})
    if (s == to_string(c)) return c;
  throw Error(fmt::format("unknown corruption '{}' (none, gaussian, salt, pepper, sp, speckle, occlusion)", s));
}

std::vector<Corruption> noise_kinds() {
  return {Corruption::Gaussian, Corruption::Salt, Corruption::Pepper, Corruption::SaltPepper, Corruption::Speckle};
}

at::Tensor corrupt(const at::Tensor& images, Corruption kind, int64_t level, uint64_t seed) {
  HNN_CHECK(level >= 0, "corrupt: level must be non-negative, got {}", level);
  HNN_CHECK(images.dim() >= 2, "corrupt: expected images [B, ..., H, W], got {}", shape_str(images.sizes()));
  if (kind == Corruption::None || level == 0) return images;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const double v = 0.01 * static_cast<double>(level);
  const auto opts = images.options();
  auto uniform = [&] { return torch::rand(images.sizes(), gen, opts); };
  switch (kind) {
    case Corruption::Gaussian:
      return (images + torch::randn(images.sizes(), gen, opts) * std::sqrt(v)).clamp(0, 1);
    case Corruption::Salt:
      return torch::where(uniform() < v, torch::ones_like(images), images);
    case Corruption::Pepper:
      return torch::where(uniform() < 6 * v, torch::zeros_like(images), images);
    case Corruption::SaltPepper: {
      auto u = uniform();
      auto salted = torch::where(u < v, torch::ones_like(images), images);
      return torch::where((u >= v) & (u < 2 * v), torch::zeros_like(images), salted);
    }
    case Corruption::Speckle:
      return (images + images * torch::randn(images.sizes(), gen, opts) * std::sqrt(10000 * v)).clamp(0, 1);
    case Corruption::Occlusion: {
      const int64_t h = images.size(-2), w = images.size(-1);
      const int64_t r0 = std::max<int64_t>(0, h / 2 - level), r1 = std::min(h, h / 2 + level);
      const int64_t c0 = std::max<int64_t>(0, w / 2 - level), c1 = std::min(w, w / 2 + level);
      auto out = images.clone();
      out.narrow(-2, r0, r1 - r0).narrow(-1, c0, c1 - c0).zero_();
      return out;
    }
    case Corruption::None:
      break;
  }
  return images;
}

}  // namespace hnn::models::hp
