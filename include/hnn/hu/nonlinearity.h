// F, the non-linearity of a hybrid unit: any function or module, applied to the whole tensor
// (elementwise functions) or to its last dimension (MLPs). Presets: identity, sigmoid with a
// sharpness k (sigmoid(k x)), relu, tanh, clamp to [0, 1], per-sample min-max normalisation over
// the non-batch dimensions, Gaussian receptive fields (population coding: [..., F] ->
// [..., F, P]), and a learnable MLP on the last dimension.
#pragma once
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <string>
#include <vector>

namespace hnn::hu {

class NonlinearityImpl : public torch::nn::Cloneable<NonlinearityImpl> {
 public:
  NonlinearityImpl();  // identity
  // A named stateless function (used in printing).
  NonlinearityImpl(std::string name, std::function<at::Tensor(const at::Tensor&)> fn);
  // A module (trainable if it has parameters), applied to the last dimension. To be cloned, the
  // module must be a torch::nn::Cloneable.
  NonlinearityImpl(std::string name, torch::nn::AnyModule module);

  at::Tensor forward(const at::Tensor& x);
  // A module non-linearity has no options to rebuild it from: reset() gives this one its own
  // copy of the module (what clone() needs). Functions are stateless and kept.
  void reset() override;
  bool is_identity() const { return !fn_ && module_.is_empty(); }
  void pretty_print(std::ostream& os) const override;

 private:
  std::string name_ = "identity";
  std::function<at::Tensor(const at::Tensor&)> fn_;
  torch::nn::AnyModule module_;
};
TORCH_MODULE(Nonlinearity);

// The presets.
namespace nl {
Nonlinearity identity();
Nonlinearity sigmoid(double sharpness = 1.0);
Nonlinearity relu();
Nonlinearity tanh();
Nonlinearity clamp01();
// Per sample (dim 0 is the batch, or dims 0-1 [T, B] when batch_dims = 2): (x - min) / (max - min).
Nonlinearity minmax(int batch_dims = 1);
// P Gaussian tuning curves with centres evenly spread on [lo, hi] and width sigma (in input
// units; 0 picks the spacing of the centres): [..., F] -> [..., F, P], values in (0, 1].
Nonlinearity gaussian_fields(int64_t neurons, double lo = 0, double hi = 1, double sigma = 0);
// Linear(in, hidden) + ReLU + ... + Linear(.., out) on the last dimension.
Nonlinearity mlp(const std::vector<int64_t>& sizes);
}  // namespace nl

}  // namespace hnn::hu
