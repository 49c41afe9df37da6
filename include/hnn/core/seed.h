// One seed for every random number generator hnn uses (LibTorch's CPU and CUDA generators and
// our own std engine), so the same --seed gives the same result on the same machine.
#pragma once
#include <cstdint>
#include <random>

namespace hnn {

// Seeds LibTorch (CPU and, when present, CUDA) and hnn's own engine.
void seed_everything(uint64_t seed);

// The seed last passed to seed_everything (0 before the first call).
uint64_t current_seed();

// hnn's engine for non-tensor randomness (shuffles, generators). Not thread-safe: derive a
// per-thread engine with derive_engine() inside parallel code.
std::mt19937_64& rng();

// A fresh engine whose seed depends only on the global seed and `stream`.
std::mt19937_64 derive_engine(uint64_t stream);

}  // namespace hnn
