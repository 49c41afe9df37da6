// Surrogate gradients: the spike is Heaviside(x) forward and a smooth (or boxed) derivative
// backward. x = membrane - threshold, any shape; spike() returns the same shape, values 0/1.
// The surrogates themselves (names, default alphas, formulas) are listed in surrogate_math.h.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "hnn/spike/surrogate_math.h"

namespace hnn::spike {

struct Surrogate {
  SurrogateKind kind = SurrogateKind::Rectangular;
  double alpha = 1.0;  // width (rectangular, triangle) or sharpness (sigmoid, arctan, fast sigmoid)

  // "rect", "sigmoid", "arctan", "fast_sigmoid" (alias "superspike"), "triangle", optionally
  // with ":<alpha>", e.g. "sigmoid:4". Without alpha the kind's default is used.
  static Surrogate parse(const std::string& spec);
  static Surrogate make(SurrogateKind kind);  // with the kind's default alpha
  static std::vector<std::string> names();
  static std::vector<SurrogateKind> kinds();  // in the order of names()
  std::string name() const;                   // "sigmoid:4"
  bool operator==(const Surrogate& o) const { return kind == o.kind && alpha == o.alpha; }
};

double default_alpha(SurrogateKind kind);

// Heaviside step with the surrogate derivative: 1 where x > 0 (x >= 0 when inclusive).
at::Tensor spike(const at::Tensor& x, const Surrogate& sg, bool inclusive = false);

// The surrogate derivative itself, elementwise (no autograd).
at::Tensor surrogate_grad(const at::Tensor& x, const Surrogate& sg);

}  // namespace hnn::spike
