#include "hnn/core/random.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "hnn/core/target_clones.h"

namespace hnn {
namespace {

// MurmurHash3's finaliser: a bijection on 32 bits with full avalanche.
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

struct Key {
  uint32_t k0, k1, k2;
};

// For a fixed key, index -> hash is a bijection on each 2^32 block of indices (a multiply by an
// odd constant, xors with constants and two fmix32), so no two draws of one call repeat a value
// within a block.
template <typename T>
inline __attribute__((always_inline)) void draw(const T* p, T* out, int64_t begin, int64_t end, Key key) {
  constexpr float kScale = 1.0f / 16777216.0f;  // 2^-24
  for (int64_t i = begin; i < end;) {
    // Indices of one 2^32 block share their high word.
    const int64_t block_end = std::min<int64_t>(end, ((i >> 32) + 1) << 32);
    const uint32_t hi = fmix32((uint32_t)(i >> 32) * 0x27D4EB2Fu ^ key.k1);
    const uint32_t base = (uint32_t)i;
    const int64_t n = block_end - i;
    const T* pp = p + i;
    T* oo = out + i;
    for (int64_t j = 0; j < n; ++j) {
      uint32_t h = (base + (uint32_t)j) * 0x9E3779B1u ^ key.k0;
      h = fmix32(h) ^ hi;
      h = fmix32(h ^ key.k2);
      const float u = (float)(h >> 8) * kScale;
      oo[j] = (T)u < pp[j] ? T(1) : T(0);
    }
    i = block_end;
  }
}

// One clone per instruction set for each type; the body is inlined into every clone.
HNN_TARGET_CLONES void draw_float(const float* p, float* out, int64_t begin, int64_t end, Key key) {
  draw(p, out, begin, end, key);
}
HNN_TARGET_CLONES void draw_double(const double* p, double* out, int64_t begin, int64_t end, Key key) {
  draw(p, out, begin, end, key);
}

Key next_key() {
  // Two draws from LibTorch's default generator (through an operator, which takes its lock).
  auto r = torch::randint(std::numeric_limits<int64_t>::max(), {2}, torch::kLong);
  const int64_t* k = r.data_ptr<int64_t>();
  // Each draw has 63 random bits: 32 + 31 from the first, 32 from the second.
  return Key{(uint32_t)k[0], (uint32_t)((uint64_t)k[0] >> 32), (uint32_t)k[1]};
}

}  // namespace

at::Tensor bernoulli(const at::Tensor& p) {
  RECORD_USER_SCOPE("hnn::bernoulli");
  const auto type = p.scalar_type();
  if (!p.device().is_cpu() || (type != at::kFloat && type != at::kDouble)) return torch::bernoulli(p.clamp(0, 1));
  at::Tensor pc = p.contiguous();
  at::Tensor out = at::empty_like(pc);
  const Key key = next_key();
  const int64_t n = pc.numel();
  constexpr int64_t kGrain = 32768;
  if (type == at::kFloat) {
    const float* src = pc.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { draw_float(src, dst, b, e, key); });
  } else {
    const double* src = pc.data_ptr<double>();
    double* dst = out.data_ptr<double>();
    at::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { draw_double(src, dst, b, e, key); });
  }
  return out;
}

}  // namespace hnn
