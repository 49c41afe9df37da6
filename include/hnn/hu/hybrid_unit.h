// HybridUnit: Y = Q(F(H(W(X)))), the hybrid unit of Zhao et al. 2022. Each part is a small module
// (window.h, kernel.h, nonlinearity.h, quantizer.h), fixed (designable HU) or trainable (learnable
// HU). Shapes depend on the parts: ANN to SNN [B, ...] -> [T, B, ...]; SNN to ANN [T, B, ...] ->
// [K, B, ...] per window (or [B, ...] with squeeze for one window); modulation: anything to a
// parameter tensor a neuron accepts.
#pragma once
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "hnn/hu/kernel.h"
#include "hnn/hu/nonlinearity.h"
#include "hnn/hu/quantizer.h"
#include "hnn/hu/window.h"

namespace hnn::hu {

enum class Direction { AnnToSnn, SnnToAnn, Modulation, Custom };

// What the unit is, apart from its four parts.
struct HybridUnitOptions {
  HybridUnitOptions(std::string name = "custom") : name_(std::move(name)) {}
  TORCH_ARG(std::string, name);
  TORCH_ARG(Direction, direction) = Direction::Custom;
  // With one window (K = 1), the output [1, B, ...] becomes [B, ...] (an S2A unit that reads the
  // whole sequence). Outputs with K > 1 are left alone.
  TORCH_ARG(bool, squeeze) = false;
};

// HybridUnit(HybridUnitOptions("mine").direction(Direction::SnnToAnn).squeeze(true),
//            Window(WindowOptions::whole()), Kernel(KernelOptions::mean()));
// Parts left out are identities.
class HybridUnitImpl : public torch::nn::Cloneable<HybridUnitImpl> {
 public:
  explicit HybridUnitImpl(HybridUnitOptions options = {}, Window window = Window(), Kernel kernel = Kernel(),
                          Nonlinearity nonlinearity = Nonlinearity(), Quantizer quantizer = Quantizer());

  at::Tensor forward(const at::Tensor& x);

  // Re-creates the parts from their options (learnable windows and kernels start afresh); a
  // non-linearity, which has no options, is copied. clone() relies on it for a deep copy.
  void reset() override;
  // Stops (or restarts) training of every part: the "train independently, then freeze" mode.
  void freeze(bool frozen = true);
  bool learnable() const;  // has trainable parameters
  void pretty_print(std::ostream& os) const override;

  HybridUnitOptions options;
  Window window;
  Kernel kernel;
  Nonlinearity nonlinearity;
  Quantizer quantizer;
};
TORCH_MODULE(HybridUnit);

std::string to_string(Direction d);

}  // namespace hnn::hu
