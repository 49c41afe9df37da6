#include "hnn/viz/render.h"

#include <opencv2/imgproc.hpp>

#include <vector>

#include "hnn/core/error.h"

namespace hnn::viz {

cv::Mat frame_to_bgr(const Frame& f, int sensor_width, int sensor_height) {
  int W = sensor_width > 0 ? sensor_width : f.offset_x + f.width;
  int H = sensor_height > 0 ? sensor_height : f.offset_y + f.height;
  cv::Mat out(H, W, CV_8UC3, cv::Scalar(0, 0, 0));
  if (f.width == 0 || f.height == 0) return out;
  HNN_CHECK(f.pixels.size() == (size_t)f.width * f.height * f.channels(), "frame has {} pixel bytes, expected {}",
            f.pixels.size(), (size_t)f.width * f.height * f.channels());
  int type = f.channels() == 1 ? CV_8UC1 : f.channels() == 3 ? CV_8UC3 : CV_8UC4;
  cv::Mat src(f.height, f.width, type, const_cast<uint8_t*>(f.pixels.data()));
  cv::Mat bgr;
  if (f.channels() == 1)
    cv::cvtColor(src, bgr, cv::COLOR_GRAY2BGR);
  else if (f.channels() == 4)
    cv::cvtColor(src, bgr, cv::COLOR_BGRA2BGR);
  else
    bgr = src;
  cv::Rect r(f.offset_x, f.offset_y, std::min(f.width, W - f.offset_x), std::min(f.height, H - f.offset_y));
  if (r.width > 0 && r.height > 0) bgr(cv::Rect(0, 0, r.width, r.height)).copyTo(out(r));
  return out;
}

cv::Mat render_events(const EventStream& ev, size_t begin, size_t end, const Frame* frame, const RenderOptions& o) {
  HNN_CHECK(ev.width > 0 && ev.height > 0, "render: the event stream has no sensor size");
  HNN_CHECK(o.scale >= 1 && o.scale <= 64, "render: scale {} must be in 1-64", o.scale);
  const int W = ev.width, H = ev.height;
  cv::Mat img;
  if (frame) {
    img = frame_to_bgr(*frame, W, H);
    img.convertTo(img, -1, o.frame_dim, 0);
  } else {
    img = cv::Mat(H, W, CV_8UC3, o.background);
  }
  // Net polarity per pixel: the colour of the majority.
  std::vector<int> net((size_t)W * H, 0);
  std::vector<uint8_t> hit((size_t)W * H, 0);
  end = std::min(end, ev.size());
  for (size_t i = begin; i < end; ++i) {
    int x = ev.x[i], y = ev.y[i];
    if (x < 0 || y < 0 || x >= W || y >= H) continue;
    size_t k = (size_t)y * W + x;
    net[k] += ev.p[i] ? 1 : -1;
    hit[k] = 1;
  }
  const cv::Vec3b on((uchar)o.on_color[0], (uchar)o.on_color[1], (uchar)o.on_color[2]);
  const cv::Vec3b off((uchar)o.off_color[0], (uchar)o.off_color[1], (uchar)o.off_color[2]);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      size_t k = (size_t)y * W + x;
      if (hit[k]) img.at<cv::Vec3b>(y, x) = net[k] >= 0 ? on : off;
    }
  if (o.scale > 1) cv::resize(img, img, cv::Size(W * o.scale, H * o.scale), 0, 0, cv::INTER_NEAREST);
  return img;
}

}  // namespace hnn::viz
