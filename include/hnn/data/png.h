// Decoding grayscale PNG images (bit depth 1, 2, 4, 8 or 16, not interlaced) into uint8 [H, W],
// the format of Omniglot; without OpenCV, so the data layer needs only zlib.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace hnn::data {

// hnn::Error naming `name` on a bad signature, CRC, chunk layout or an unsupported colour type.
at::Tensor decode_png_gray(const std::string& bytes, const std::string& name);

}  // namespace hnn::data
