// W, the window of a hybrid unit: synchronises the time scales of the two sides.
//   Repeat(T):        real [B, ...] -> [T, B, ...]        (ANN to SNN: the same value each step)
//   LearnedExpand(T): real [B, ...] -> [T, B, ...], w_t x + b_t per step (learnable sampler;
//                     starts as w = 1, b_t = 0.5 - (t + 0.5)/T, a rate code before a 0.5 threshold)
//   Fixed(L):         [T, B, ...] -> windows [K, L, B, ...], K = T / L
//   Sliding(L, s):    [T, B, ...] -> windows [K, L, B, ...], K = (T - L) / s + 1
//   Whole:            [T, B, ...] -> windows [1, T, B, ...]
//   Identity:         unchanged
#pragma once
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <string>

namespace hnn::hu {

enum class WindowKind { Identity, Repeat, LearnedExpand, Fixed, Sliding, Whole };

struct WindowOptions {
  WindowOptions(WindowKind kind = WindowKind::Identity) : kind_(kind) {}
  static WindowOptions identity() { return {WindowKind::Identity}; }
  static WindowOptions repeat(int64_t steps) { return WindowOptions(WindowKind::Repeat).steps(steps); }
  static WindowOptions learned_expand(int64_t steps) { return WindowOptions(WindowKind::LearnedExpand).steps(steps); }
  static WindowOptions fixed(int64_t length) { return WindowOptions(WindowKind::Fixed).length(length); }
  static WindowOptions sliding(int64_t length, int64_t stride) {
    return WindowOptions(WindowKind::Sliding).length(length).stride(stride);
  }
  static WindowOptions whole() { return {WindowKind::Whole}; }

  TORCH_ARG(WindowKind, kind);
  TORCH_ARG(int64_t, steps) = 0;   // Repeat, LearnedExpand: T
  TORCH_ARG(int64_t, length) = 0;  // Fixed, Sliding: L
  TORCH_ARG(int64_t, stride) = 1;  // Sliding
  // Fixed: drop the last T % L steps instead of failing when T is not a multiple of L.
  TORCH_ARG(bool, drop_last) = false;
};

class WindowImpl : public torch::nn::Cloneable<WindowImpl> {
 public:
  explicit WindowImpl(WindowOptions options = {});
  at::Tensor forward(const at::Tensor& x);
  void reset() override;  // (re)creates the parameters from the options
  void pretty_print(std::ostream& os) const override;

  WindowOptions options;
  at::Tensor weight, bias;  // LearnedExpand: [T]
};
TORCH_MODULE(Window);

std::string to_string(WindowKind k);

}  // namespace hnn::hu
