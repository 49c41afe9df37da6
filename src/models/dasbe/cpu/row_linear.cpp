// Picks the widest instruction set this CPU runs for the row-stable layer, once.
#include "models/dasbe/cpu/row_linear.h"

#include <cstdlib>
#include <cstring>

namespace hnn::models::dasbe::cpu {

namespace sse2 {
void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1);
void masked_linear(const MaskedLinearArgs& a, int64_t b0, int64_t b1);
}  // namespace sse2
namespace avx2 {
void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1);
void masked_linear(const MaskedLinearArgs& a, int64_t b0, int64_t b1);
}  // namespace avx2
namespace avx512 {
void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1);
void masked_linear(const MaskedLinearArgs& a, int64_t b0, int64_t b1);
}  // namespace avx512

namespace {
int detect() {
  const char* cap = std::getenv("HNN_CPU_ISA");
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  if (cap && std::strcmp(cap, "sse2") == 0) return 0;
  if (cap && std::strcmp(cap, "avx2") == 0) return avx2 ? 1 : 0;
  return avx512 ? 2 : avx2 ? 1 : 0;
}
int isa() {
  static const int i = detect();
  return i;
}
}  // namespace

const char* row_linear_isa() {
  return isa() == 2 ? "avx512" : isa() == 1 ? "avx2" : "sse2";
}

void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1) {
  switch (isa()) {
    case 2:
      return avx512::row_linear(a, b0, b1);
    case 1:
      return avx2::row_linear(a, b0, b1);
    default:
      return sse2::row_linear(a, b0, b1);
  }
}

void masked_linear(const MaskedLinearArgs& a, int64_t b0, int64_t b1) {
  switch (isa()) {
    case 2:
      return avx512::masked_linear(a, b0, b1);
    case 1:
      return avx2::masked_linear(a, b0, b1);
    default:
      return sse2::masked_linear(a, b0, b1);
  }
}

}  // namespace hnn::models::dasbe::cpu
