#include "hnn/hu/window.h"

#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::hu {

std::string to_string(WindowKind k) {
  switch (k) {
    case WindowKind::Identity:
      return "identity";
    case WindowKind::Repeat:
      return "repeat";
    case WindowKind::LearnedExpand:
      return "learned_expand";
    case WindowKind::Fixed:
      return "fixed";
    case WindowKind::Sliding:
      return "sliding";
    case WindowKind::Whole:
      return "whole";
  }
  return "?";
}

WindowImpl::WindowImpl(WindowOptions o) : options(std::move(o)) {
  auto k = options.kind();
  if (k == WindowKind::Repeat || k == WindowKind::LearnedExpand)
    HNN_CHECK(options.steps() > 0, "window '{}': steps must be positive, got {}", to_string(k), options.steps());
  if (k == WindowKind::Fixed || k == WindowKind::Sliding)
    HNN_CHECK(options.length() > 0 && options.stride() > 0,
              "window '{}': length and stride must be positive, got {} and {}", to_string(k), options.length(),
              options.stride());
  reset();
}

void WindowImpl::reset() {
  if (options.kind() == WindowKind::LearnedExpand) {
    // Starts as a deterministic rate code for inputs in [0, 1] followed by a threshold at 0.5:
    // step t crosses it when x > (t + 0.5) / T, so the spike count is about x T. Identical steps
    // would get identical gradients and never differ.
    const int64_t T = options.steps();
    weight = register_parameter("weight", torch::ones({T}));
    bias = register_parameter("bias", 0.5 - (torch::arange(T, torch::kFloat) + 0.5) / T);
  }
}

at::Tensor WindowImpl::forward(const at::Tensor& x) {
  const auto k = options.kind();
  switch (k) {
    case WindowKind::Identity:
      return x;
    case WindowKind::Repeat: {
      std::vector<int64_t> shape{options.steps()};
      for (auto s : x.sizes()) shape.push_back(s);
      return x.unsqueeze(0).expand(shape);
    }
    case WindowKind::LearnedExpand: {
      std::vector<int64_t> view(x.dim() + 1, 1);
      view[0] = options.steps();
      return weight.view(view) * x.unsqueeze(0) + bias.view(view);
    }
    case WindowKind::Fixed:
    case WindowKind::Sliding:
    case WindowKind::Whole: {
      HNN_CHECK(x.dim() >= 2, "window '{}': expected a sequence [T, B, ...], got shape {}", to_string(k),
                shape_str(x.sizes()));
      const int64_t T = x.size(0);
      if (k == WindowKind::Whole) return x.unsqueeze(0);
      const int64_t L = options.length();
      HNN_CHECK(L <= T, "window '{}': length {} is longer than the sequence ({} steps)", to_string(k), L, T);
      if (k == WindowKind::Fixed) {
        HNN_CHECK(T % L == 0 || options.drop_last(),
                  "window 'fixed': {} steps are not a multiple of the window length {} (use "
                  "drop_last to drop "
                  "the last {})",
                  T, L, T % L);
        auto rest = x.sizes().slice(1).vec();
        std::vector<int64_t> shape{T / L, L};
        shape.insert(shape.end(), rest.begin(), rest.end());
        return x.slice(0, 0, (T / L) * L).reshape(shape);
      }
      // Sliding: unfold puts the window last; move it to dim 1.
      return x.unfold(0, L, options.stride()).movedim(-1, 1);
    }
  }
  return x;
}

void WindowImpl::pretty_print(std::ostream& os) const {
  os << "hnn::hu::Window(" << to_string(options.kind());
  if (options.steps()) os << ", steps=" << options.steps();
  if (options.length()) os << ", length=" << options.length();
  if (options.kind() == WindowKind::Sliding) os << ", stride=" << options.stride();
  os << ")";
}

}  // namespace hnn::hu
