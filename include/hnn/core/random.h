// Fast random draws for tensors, seeded by LibTorch's generator (so torch::manual_seed and
// `hnn --seed` fix them).
#pragma once

namespace at {
class Tensor;
}

namespace hnn {

// Bernoulli spikes: 1 with probability p, else 0, in p's type and shape (p is clamped to [0, 1]).
// On the CPU (float and double) a counter-based generator draws them: each element's uniform is a
// hash of its index under a 95-bit key taken from LibTorch's default CPU generator, compared with
// p at 24-bit resolution. The draws run in parallel and vectorised, and are the same for any
// thread count; torch::bernoulli draws one element at a time from one Mersenne Twister, 4-8x
// slower. Other devices and types use torch::bernoulli.
at::Tensor bernoulli(const at::Tensor& p);

}  // namespace hnn
