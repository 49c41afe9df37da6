// What the `hnn dasbe` pictures share (bind, figure2): OpenCV tiles of one image's pixels (input,
// true groups, read-out groups, firing phase) written as PNG. Pixels are flattened row-major, [N]
// with N = H*W; spike trains are [T, N].
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <string>

namespace hnn::cli::dasbe_draw {

// Distinct colours for group labels (0 = black).
cv::Vec3b group_colour(int64_t k);
// One H x W picture scaled up to about 240 pixels, with a caption above it.
cv::Mat tile(const std::string& caption, int64_t H, int64_t W, const std::function<cv::Vec3b(int64_t)>& colour);
// PNG, written atomically.
void save_mat(const cv::Mat& m, const std::string& path);
// The path without its ".png", for the pictures written beside it.
std::string png_stem(const std::string& path);

// input | ground truth | `caption` (the read-out clusters `labels`, the cluster holding most
// background pixels black) | phase (each firing pixel's circular mean spike time modulo `period`
// steps, as a hue). x, groups, labels: [N]; trains: [T, N].
cv::Mat binding_tiles(const at::Tensor& x, const at::Tensor& groups, const at::Tensor& labels, const at::Tensor& trains,
                      double period, int64_t H, int64_t W, const std::string& caption);

}  // namespace hnn::cli::dasbe_draw
