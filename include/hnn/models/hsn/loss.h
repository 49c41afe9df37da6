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

// Argmax of each response map [..., size, size] -> loc [..., 2] (x, y). With upsample > 1 the
// map is first upsampled bicubically (align_corners) by that factor, giving sub-cell locations.
at::Tensor decode_locations(const at::Tensor& cm, int64_t upsample = 1);

// Grid units <-> crop pixels.
at::Tensor loc_to_pixels(const at::Tensor& loc, int64_t crop_size = 145);
at::Tensor pixels_to_loc(const at::Tensor& px, int64_t crop_size = 145);

}  // namespace hnn::models::hsn
