#include "dasbe_draw.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <tuple>
#include <vector>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::cli::dasbe_draw {

cv::Vec3b group_colour(int64_t k) {
  if (k <= 0) return {0, 0, 0};
  const double hue = std::fmod((double)(k - 1) * 0.61803398875, 1.0);
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue * 180, 220, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  return bgr.at<cv::Vec3b>(0, 0);
}

cv::Mat tile(const std::string& caption, int64_t H, int64_t W, const std::function<cv::Vec3b(int64_t)>& colour) {
  cv::Mat img((int)H, (int)W, CV_8UC3);
  for (int64_t i = 0; i < H * W; ++i) img.at<cv::Vec3b>((int)(i / W), (int)(i % W)) = colour(i);
  const int scale = (int)std::max<int64_t>(1, 240 / std::max(H, W));
  cv::Mat big;
  cv::resize(img, big, cv::Size(), scale, scale, cv::INTER_NEAREST);
  cv::Mat out(big.rows + 28, big.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  big.copyTo(out(cv::Rect(0, 28, big.cols, big.rows)));
  cv::putText(out, caption, {4, 20}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  return out;
}

std::vector<std::vector<float>> raster_rows(const at::Tensor& trains) {
  auto t = trains.to(torch::kFloat).contiguous();
  const int64_t T = t.size(0), n = t.size(1);
  const float* p = t.data_ptr<float>();
  std::vector<std::vector<float>> rows((size_t)T);
  for (int64_t s = 0; s < T; ++s) rows[(size_t)s].assign(p + s * n, p + (s + 1) * n);
  return rows;
}

void save_mat(const cv::Mat& m, const std::string& path) {
  std::vector<uchar> buf;
  HNN_CHECK(cv::imencode(".png", m, buf), "dasbe: cannot encode {}", path);
  write_file_atomically(path, std::string(buf.begin(), buf.end()));
}

std::string png_stem(const std::string& path) {
  return path.size() > 4 && path.substr(path.size() - 4) == ".png" ? path.substr(0, path.size() - 4) : path;
}

cv::Mat binding_tiles(const at::Tensor& x_in, const at::Tensor& groups, const at::Tensor& labels_in,
                      const at::Tensor& trains_in, double period, int64_t H, int64_t W, const std::string& caption) {
  const int64_t N = H * W;
  HNN_CHECK(x_in.numel() == N && groups.numel() == N && labels_in.numel() == N && trains_in.dim() == 2 &&
                trains_in.size(1) == N && period > 0,
            "dasbe: pictures of {} x {} pixels need images, labels [N] and trains [T, N]", H, W);
  auto x = x_in.reshape({N}).to(torch::kFloat).contiguous();
  auto gt = groups.reshape({N}).to(torch::kLong).contiguous();
  auto labels = labels_in.reshape({N}).to(torch::kLong).contiguous();
  auto trains = trains_in.to(torch::kFloat);
  // The predicted cluster holding most background pixels is drawn black.
  const int64_t bg_cluster = background_cluster(labels, x);
  // Phase colouring: the circular mean phase of each pixel's activity within the period.
  const int64_t T = trains.size(0);
  auto phase = torch::arange(T, torch::kDouble).remainder(period).mul(2 * M_PI / period).to(torch::kFloat);
  auto ang = torch::atan2(torch::matmul(phase.sin(), trains), torch::matmul(phase.cos(), trains)).contiguous();
  auto mass = trains.sum(0).contiguous();
  const float *xp = x.data_ptr<float>(), *ap = ang.data_ptr<float>(), *mp = mass.data_ptr<float>();
  const int64_t *gp = gt.data_ptr<int64_t>(), *lp = labels.data_ptr<int64_t>();
  std::vector<cv::Mat> tiles = {
      tile("input", H, W, [&](int64_t i) { return xp[i] > 0 ? cv::Vec3b(255, 255, 255) : cv::Vec3b(0, 0, 0); }),
      tile("ground truth", H, W, [&](int64_t i) { return group_colour(gp[i]); }),
      tile(caption, H, W,
           [&](int64_t i) { return lp[i] == bg_cluster || xp[i] == 0 ? cv::Vec3b(0, 0, 0) : group_colour(lp[i] + 1); }),
      tile("phase", H, W, [&](int64_t i) {
        if (xp[i] == 0 || mp[i] == 0) return cv::Vec3b(0, 0, 0);
        const double hue = std::fmod(ap[i] / (2 * M_PI) + 1.0, 1.0);
        cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue * 180, 255, 255)), bgr;
        cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
        return bgr.at<cv::Vec3b>(0, 0);
      })};
  cv::Mat row;
  cv::hconcat(tiles, row);
  return row;
}

int64_t background_cluster(const at::Tensor& labels, const at::Tensor& x) {
  auto bg = labels.index_select(0, x.reshape({-1}).eq(0).nonzero().reshape({-1}));
  return bg.numel() ? std::get<0>(bg.mode()).item<int64_t>() : -1;
}

std::map<int64_t, int64_t> match_clusters(const at::Tensor& labels, const at::Tensor& groups, int64_t bg, int64_t k) {
  const int64_t objects = groups.max().item<int64_t>();
  std::vector<std::tuple<int64_t, int64_t, int64_t>> overlaps;  // (count, cluster, object)
  for (int64_t c = 0; c < k; ++c)
    for (int64_t o = 1; o <= objects; ++o)
      if (c != bg) overlaps.emplace_back(labels.eq(c).logical_and(groups.eq(o)).sum().item<int64_t>(), c, o);
  std::sort(overlaps.rbegin(), overlaps.rend());
  std::map<int64_t, int64_t> colour_of;
  std::set<int64_t> used;
  for (auto [n, c, o] : overlaps)
    if (n > 0 && !colour_of.count(c) && !used.count(o)) colour_of[c] = o, used.insert(o);
  int64_t spare = objects + 1;
  for (int64_t c = 0; c < k; ++c)
    if (c != bg && !colour_of.count(c)) colour_of[c] = spare++;
  return colour_of;
}

}  // namespace hnn::cli::dasbe_draw
