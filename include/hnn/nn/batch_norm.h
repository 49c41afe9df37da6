// Batch normalisation with a fused CPU kernel for training: the statistics in one pass per
// channel (double accumulators), the normalisation in one more, and a two-pass backward; the
// groups of a sequence ([T, B, C, ...] normalised step by step) in one call. It computes what
// torch::nn::BatchNorm2d computes, running statistics and num_batches_tracked included, with the
// module's own parameters and buffers, so checkpoints do not change; eval mode, other devices,
// other types and tiny spatial sizes (under 8 values a channel and sample) go to LibTorch.
// On the HSN's layers it is 2-4x faster than LibTorch 1.13's CPU BatchNorm, forward+backward
// (bench/bench_nn.cpp; docs/profiling.md).
#pragma once
#include <torch/nn/modules/batchnorm.h>

#include <cstdint>

namespace hnn::nn {

// bn(x) for x [B, C, ...].
at::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x);

// x [G * N, C, ...] normalised as G groups of N samples, each with its own statistics, the running
// statistics updated once per group in order: exactly G calls of bn on the groups, concatenated.
at::Tensor batch_norm_groups(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x, int64_t groups);

}  // namespace hnn::nn
