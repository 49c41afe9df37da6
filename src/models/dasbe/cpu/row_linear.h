// A dense layer whose every output row is computed by the same sequence of float operations,
// whatever the batch size or the row's place in it: out[b] = act(bias + sum_i in[b, i] * wt[i]),
// summed in the order i = 0..I-1 (mul and add, never fused), zero inputs skipped (exact for finite
// weights; and sigmoid by a polynomial exp that rounds the same in every lane). BLAS kernels change their summation
// order with the batch, which would make an image's spikes depend on its batch; this makes the DASBE loop
// batch-invariant bit for bit, and the skipped zeros make the binary, sparse input layer cheap. Compiled per
// instruction set, picked at run time (HNN_CPU_ISA=sse2|avx2 caps it); every variant gives the same bits.
#pragma once
#include <cstdint>

namespace hnn::models::dasbe::cpu {

enum class Activation { None = 0, Relu = 1, Sigmoid = 2 };

struct RowLinearArgs {
  const float* in = nullptr;    // [B, I]
  const float* wt = nullptr;    // [I, O] (the weight transposed)
  const float* bias = nullptr;  // [O] or null
  float* out = nullptr;         // [B, O]
  int64_t B = 0, I = 0, O = 0;
  Activation act = Activation::None;
};

// Rows [b0, b1) of the layer (callers split the batch across threads).
void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1);

// The same layer computed only at the outputs where mask[b, j] != 0 (the others are set to 0),
// each as a dot product with the weight row w[j] ([O, I], not transposed) in 16 interleaved partial
// sums added in a fixed order: the DASBE decoder needs the reconstruction only on the image's
// foreground (A is read as x * A), a tenth to a half of the pixels.
struct MaskedLinearArgs {
  const float* in = nullptr;    // [B, I]
  const float* w = nullptr;     // [O, I]
  const float* bias = nullptr;  // [O] or null
  const float* mask = nullptr;  // [B, O]
  float* out = nullptr;         // [B, O]
  int64_t B = 0, I = 0, O = 0;
  Activation act = Activation::None;
};
void masked_linear(const MaskedLinearArgs& a, int64_t b0, int64_t b1);
const char* row_linear_isa();

}  // namespace hnn::models::dasbe::cpu
