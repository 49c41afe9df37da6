// HSN training target, loss and the decoding of response maps into locations.
// Locations are in feature-grid units relative to the centre of the crop (the reference's
// "loc"): pixel = loc * stride + (size - 1) / 2, i.e. loc * 8 + 72 for 145-pixel crops.
#pragma once
#include <ATen/core/Tensor.h>

namespace hnn::models::hsn {

constexpr int64_t kStride = 8;  // pixels per response-map cell

// The reference target on a response grid of `size` cells: +1 within 1 cell of the object,
// 0 from 1 to 2 cells, -1 beyond. loc [..., 2] -> [..., size, size].
at::Tensor target_map(const at::Tensor& loc, int64_t size = 13);

// Per (t, b, o): -sum(gt * cm) + 0.1 sum((cm [gt != 0])^2), averaged over everything (the
// reference). `balanced`: the same per-cell terms, averaged separately over the positive and
// the negative cells of each map and added, so the few positive cells are not swamped.
at::Tensor tracking_loss(const at::Tensor& cm, const at::Tensor& target, bool balanced = false);

// How response maps become locations.
struct DecodeOptions {
  // Bicubic upsampling (align_corners) of the map before the argmax; 1: the plain grid.
  int64_t upsample = 8;
  // Peak centroid: the centre of mass of the response above `floor` x the peak within `radius`
  // cells of the argmax. The training target is a plateau one cell in radius, so a trained map
  // is flat-topped and its argmax lands anywhere on the top; the centroid of the top is the
  // centre. radius 0: the argmax alone (the reference). Maps whose peak is not positive keep the
  // argmax.
  double radius = 2.0;
  double floor = 0.5;
};

// The reference's decoding: the argmax of each map, no refinement.
inline DecodeOptions argmax_decoding(int64_t upsample = 1) {
  return {upsample, 0.0, 0.0};
}

// Response maps [..., size, size] -> loc [..., 2] (x, y) in grid units.
at::Tensor decode_locations(const at::Tensor& cm, const DecodeOptions& o);
// Argmax only (optionally on the upsampled map).
inline at::Tensor decode_locations(const at::Tensor& cm, int64_t upsample = 1) {
  return decode_locations(cm, argmax_decoding(upsample));
}

// Grid units <-> crop pixels.
at::Tensor loc_to_pixels(const at::Tensor& loc, int64_t crop_size = 145);
at::Tensor pixels_to_loc(const at::Tensor& px, int64_t crop_size = 145);

}  // namespace hnn::models::hsn
