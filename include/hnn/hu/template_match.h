// Template matching, the hybrid link of the HSN (Zhao et al. 2022): an ANN feature map gives a
// k x k template per object, sampled bilinearly around the object's location, and the templates
// are cross-correlated with an SNN feature map at every time step (the ANN output becomes the
// weights of a correlation applied to the SNN output).
//   extract_templates: map [B, C, H, W], loc [B, O, 2] -> templates [B, O, C, k, k]
//   correlate: maps [T, B, C, H, W] and templates [B, O, C, k, k] -> [T, B, O, H-k+1, W-k+1]
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace hnn::hu {

struct TemplateMatchOptions {
  TORCH_ARG(int64_t, size) = 3;  // k, the template's side
  // Distance between neighbouring samples, in map cells. 0 (the default) is the HSN reference's
  // grid: offsets linspace(-1, 1, k) * k / W (k / H for y) in grid_sample coordinates, i.e.
  // {-0.2, 0, 0.2} and 1.4 cells for k = 3 on a 15 x 15 map.
  TORCH_ARG(double, spacing) = 0;
};

// Templates [B, O, C, k, k] from map [B, C, H, W] at locations loc [B, O, 2] (x, y). A location
// is relative to the map's centre, scaled so that x / (W / 2) (and y / (H / 2)) is the
// grid_sample coordinate of the template's centre: the sample sits at column
// (W - 1) / 2 + x (W - 1) / W (the reference's convention; 0.933 cells per unit on 15 x 15).
// Bilinear, align_corners, zeros outside the map; differentiable in the map and the locations.
at::Tensor extract_templates(const at::Tensor& map, const at::Tensor& loc, const TemplateMatchOptions& options = {});

// Valid cross-correlation of each step's map with its sample's templates, as one grouped
// convolution: maps [T, B, C, H, W], templates [B, O, C, k, k] -> [T, B, O, H-k+1, W-k+1].
at::Tensor correlate(const at::Tensor& maps, const at::Tensor& templates);

// The two as a module (no parameters). forward(ann_map [B, C, H, W], loc [B, O, 2], snn_maps
// [T, B, C, H, W]) -> response maps [T, B, O, H'-k+1, W'-k+1].
class TemplateMatchImpl : public torch::nn::Cloneable<TemplateMatchImpl> {
 public:
  explicit TemplateMatchImpl(TemplateMatchOptions options = {});
  void reset() override {}
  at::Tensor forward(const at::Tensor& ann_map, const at::Tensor& loc, const at::Tensor& snn_maps);
  // The halves, for streaming: templates once from a frame, responses for every new SNN chunk.
  at::Tensor templates(const at::Tensor& map, const at::Tensor& loc) const;
  at::Tensor respond(const at::Tensor& maps, const at::Tensor& templates) const;
  void pretty_print(std::ostream& os) const override;

  TemplateMatchOptions options;
};
TORCH_MODULE(TemplateMatch);

}  // namespace hnn::hu
