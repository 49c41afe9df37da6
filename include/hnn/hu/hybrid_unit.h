// HybridUnit: Y = Q(F(H(W(X)))), the hybrid unit of Zhao et al. 2022. Each part is a small module
// (window.h, kernel.h, nonlinearity.h, quantizer.h), fixed (designable HU) or trainable (learnable
// HU). Shapes depend on the parts: ANN to SNN [B, ...] -> [T, B, ...]; SNN to ANN [T, B, ...] ->
// [K, B, ...] per window (or [B, ...] with squeeze for one window); modulation: anything to a
// parameter tensor a neuron accepts.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "hnn/hu/kernel.h"
#include "hnn/hu/nonlinearity.h"
#include "hnn/hu/quantizer.h"
#include "hnn/hu/window.h"

namespace hnn::hu {

enum class Direction { AnnToSnn, SnnToAnn, Modulation, Custom };

class HybridUnitImpl : public torch::nn::Module {
 public:
  HybridUnitImpl(Window window = Window(), Kernel kernel = Kernel(), Nonlinearity nonlinearity = Nonlinearity(),
                 Quantizer quantizer = Quantizer(), std::string name = "custom",
                 Direction direction = Direction::Custom);

  at::Tensor forward(const at::Tensor& x);

  // Stops (or restarts) training of every part: the "train independently, then freeze" mode.
  void freeze(bool frozen = true);
  bool learnable() const;  // has trainable parameters
  // With one window (K = 1), S2A output [1, B, ...] becomes [B, ...].
  HybridUnitImpl& squeeze(bool on) {
    squeeze_ = on;
    return *this;
  }
  void pretty_print(std::ostream& os) const override;

  Window window;
  Kernel kernel;
  Nonlinearity nonlinearity;
  Quantizer quantizer;
  std::string name;
  Direction direction;

 private:
  bool squeeze_ = false;
};
TORCH_MODULE(HybridUnit);

std::string to_string(Direction d);

}  // namespace hnn::hu
