// What the `hnn dasbe` pictures share (bind, figure2): OpenCV tiles of one image's pixels (input,
// true groups, read-out groups, firing phase) written as PNG. Pixels are flattened row-major, [N]
// with N = H*W; spike trains are [T, N].
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace hnn::cli::dasbe_draw {

// Distinct colours for group labels (0 = black).
cv::Vec3b group_colour(int64_t k);
// One H x W picture scaled up to about 240 pixels, with a caption above it.
cv::Mat tile(const std::string& caption, int64_t H, int64_t W, const std::function<cv::Vec3b(int64_t)>& colour);
// Spike trains [T, n] as the rows raster_panel takes (row t: the n neurons' values at step t).
std::vector<std::vector<float>> raster_rows(const at::Tensor& trains);
// PNG, written atomically.
void save_mat(const cv::Mat& m, const std::string& path);
// The path without its ".png", for the pictures written beside it.
std::string png_stem(const std::string& path);

// input | ground truth | `caption` (the read-out clusters `labels`, the cluster holding most
// background pixels black) | phase (each firing pixel's circular mean spike time modulo `period`
// steps, as a hue). x, groups, labels: [N]; trains: [T, N].
cv::Mat binding_tiles(const at::Tensor& x, const at::Tensor& groups, const at::Tensor& labels, const at::Tensor& trains,
                      double period, int64_t H, int64_t W, const std::string& caption);

// The read-out cluster holding most background pixels (x == 0), or -1 when there are none.
int64_t background_cluster(const at::Tensor& labels, const at::Tensor& x);
// Colours for read-out clusters 0..k-1 (labels [N]) that follow the true objects (groups [N], 1..):
// clusters and objects matched one to one by overlap, largest first, so an object keeps its colour
// across pictures; unmatched clusters get colours after the objects'. The background cluster `bg`
// is left out. Returns cluster -> colour index for group_colour.
std::map<int64_t, int64_t> match_clusters(const at::Tensor& labels, const at::Tensor& groups, int64_t bg, int64_t k);

}  // namespace hnn::cli::dasbe_draw
