#include "hnn/hu/hybrid_unit.h"

#include <torch/torch.h>

namespace hnn::hu {

std::string to_string(Direction d) {
  switch (d) {
    case Direction::AnnToSnn:
      return "ANN->SNN";
    case Direction::SnnToAnn:
      return "SNN->ANN";
    case Direction::Modulation:
      return "modulation";
    case Direction::Custom:
      return "custom";
  }
  return "?";
}

HybridUnitImpl::HybridUnitImpl(Window w, Kernel h, Nonlinearity f, Quantizer q, std::string n, Direction d)
    : window(register_module("window", std::move(w))),
      kernel(register_module("kernel", std::move(h))),
      nonlinearity(register_module("nonlinearity", std::move(f))),
      quantizer(register_module("quantizer", std::move(q))),
      name(std::move(n)),
      direction(d) {}

at::Tensor HybridUnitImpl::forward(const at::Tensor& x) {
  auto y = quantizer(nonlinearity(kernel(window(x))));
  if (squeeze_ && y.dim() > 0 && y.size(0) == 1) y = y.squeeze(0);
  return y;
}

void HybridUnitImpl::freeze(bool frozen) {
  for (auto& p : parameters()) p.set_requires_grad(!frozen);
}

bool HybridUnitImpl::learnable() const {
  for (auto& p : parameters())
    if (p.requires_grad()) return true;
  return false;
}

void HybridUnitImpl::pretty_print(std::ostream& os) const {
  os << "hnn::hu::HybridUnit(" << name << ", " << to_string(direction) << ")";
}

}  // namespace hnn::hu
