// Input corruptions of the fault-tolerance experiments (spec hybrid-plasticity.md §3.1, §3.5), on
// images [B, ...] in [0, 1], seeded (the reference's skimage noise is not), clipped to [0, 1]:
//   gaussian  x + N(0, v)                        salt     a fraction v of pixels set to 1
//   pepper    a fraction 6 v set to 0            s&p      a fraction 2 v, half salt, half pepper
//   speckle   x + x N(0, 10000 v)                occlusion (level i) a centred square of side 2 i
//                                                          (rows and columns [14 - i, 14 + i)) zeroed
// v = 0.01 level for the noises, as in the reference's sweeps.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hnn::models::hp {

enum class Corruption { None, Gaussian, Salt, Pepper, SaltPepper, Speckle, Occlusion };
std::string to_string(Corruption c);  // "none", "gaussian", "salt", "pepper", "sp", "speckle", "occlusion"
Corruption parse_corruption(const std::string& s);
std::vector<Corruption> noise_kinds();  // gaussian, salt, pepper, sp, speckle

// The corrupted copy of images [B, ..., H, W] at `level` (0: unchanged). The randomness comes only
// from `seed`, so a sweep is reproducible.
at::Tensor corrupt(const at::Tensor& images, Corruption kind, int64_t level, uint64_t seed);

}  // namespace hnn::models::hp
