#include "hnn/core/seed.h"

#include <torch/torch.h>

namespace hnn {
namespace {
uint64_t g_seed = 0;
std::mt19937_64& engine() {
  static std::mt19937_64 e(0);
  return e;
}
// SplitMix64: decorrelates seeds derived from (seed, stream).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

void seed_everything(uint64_t seed) {
  g_seed = seed;
  torch::manual_seed(seed);  // also seeds every CUDA generator when CUDA is present
  engine().seed(mix(seed));
}

uint64_t current_seed() {
  return g_seed;
}

std::mt19937_64& rng() {
  return engine();
}

std::mt19937_64 derive_engine(uint64_t stream) {
  return std::mt19937_64(mix(mix(g_seed) ^ mix(stream + 1)));
}

}  // namespace hnn
