#include "hnn/hu/hybrid_unit.h"

#include <torch/torch.h>

#include "hnn/core/anomaly.h"

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

HybridUnitImpl::HybridUnitImpl(HybridUnitOptions o, Window w, Kernel h, Nonlinearity f, Quantizer q)
    : options(std::move(o)),
      window(register_module("window", std::move(w))),
      kernel(register_module("kernel", std::move(h))),
      nonlinearity(register_module("nonlinearity", std::move(f))),
      quantizer(register_module("quantizer", std::move(q))) {}

void HybridUnitImpl::reset() {
  // New part objects: in a clone the holders still point at the original's parts, which must
  // not be touched.
  window = register_module("window", Window(window->options));
  kernel = register_module("kernel", Kernel(kernel->options));
  nonlinearity =
      register_module("nonlinearity", Nonlinearity(std::dynamic_pointer_cast<NonlinearityImpl>(nonlinearity->clone())));
  quantizer = register_module("quantizer", Quantizer(quantizer->options));
}

at::Tensor HybridUnitImpl::forward(const at::Tensor& x) {
  auto y = quantizer(nonlinearity(kernel(window(x))));
  if (anomaly::enabled()) anomaly::check(*this, "output", y, /*time_major=*/y.dim() >= 2);  // [K windows, B, ...]
  if (options.squeeze() && y.dim() > 0 && y.size(0) == 1) y = y.squeeze(0);
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
  os << "hnn::hu::HybridUnit(" << options.name() << ", " << to_string(options.direction())
     << (options.squeeze() ? ", squeeze" : "") << ")";
}

}  // namespace hnn::hu
