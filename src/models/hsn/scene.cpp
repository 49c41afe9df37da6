#include "hnn/models/hsn/scene.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

#include "hnn/core/error.h"

namespace hnn::models::hsn {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr int kShift = 4;  // fractional bits for sub-pixel drawing

cv::Point fixed_point(double x, double y) {
  return {(int)std::lround(x * (1 << kShift)), (int)std::lround(y * (1 << kShift))};
}
}  // namespace

const char* object_name(int o) {
  static const char* names[kObjects] = {"cross", "triangle", "circle"};
  return o >= 0 && o < kObjects ? names[o] : "?";
}

TurningDisk::TurningDisk(SceneOptions o) : o_(std::move(o)) {
  HNN_CHECK(o_.crop_x >= 0 && o_.crop_y >= 0 && o_.crop_x + o_.crop_size <= o_.sensor_width &&
                o_.crop_y + o_.crop_size <= o_.sensor_height,
            "turning disk: the {}-pixel crop at ({}, {}) does not fit a {}x{} sensor", o_.crop_size, o_.crop_x,
            o_.crop_y, o_.sensor_width, o_.sensor_height);
  HNN_CHECK(o_.disk_radius * 2 <= o_.crop_size, "turning disk: a disk of radius {} does not fit the {}-pixel crop",
            o_.disk_radius, o_.crop_size);
  for (int i = 0; i < kObjects; ++i)
    HNN_CHECK(o_.radius[i] + o_.size[i] * 0.6 < o_.disk_radius, "turning disk: object {} ({}) leaves the disk", i,
              object_name(i));
}

double TurningDisk::centre_x() const {
  return o_.crop_x + (o_.crop_size - 1) / 2.0;
}
double TurningDisk::centre_y() const {
  return o_.crop_y + (o_.crop_size - 1) / 2.0;
}

std::vector<std::array<double, 2>> TurningDisk::outline(int o, double t) const {
  // Image y points down: a counter-clockwise turn on screen decreases the angle.
  double a = o_.phase_deg[o] * kPi / 180 - 2 * kPi * o_.speed * t;
  double cx = centre_x() + o_.radius[o] * std::cos(a), cy = centre_y() + o_.radius[o] * std::sin(a);
  double s = o_.size[o];
  std::vector<std::array<double, 2>> local;  // shape coordinates before rotation
  if (o == 0) {                              // cross: two arms of width s/3
    double h = s / 2, w = s / 6;
    local = {{-w, -h}, {w, -h}, {w, -w}, {h, -w}, {h, w},   {w, w},
             {w, h},   {-w, h}, {-w, w}, {-h, w}, {-h, -w}, {-w, -w}};
  } else if (o == 1) {  // equilateral triangle of side s, centred on its centroid
    double r = s / std::sqrt(3.0);
    for (int k = 0; k < 3; ++k)
      local.push_back({r * std::cos(-kPi / 2 + k * 2 * kPi / 3), r * std::sin(-kPi / 2 + k * 2 * kPi / 3)});
  } else {  // circle of diameter s
    for (int k = 0; k < 48; ++k)
      local.push_back({s / 2 * std::cos(k * 2 * kPi / 48), s / 2 * std::sin(k * 2 * kPi / 48)});
  }
  double ca = std::cos(a), sa = std::sin(a);
  std::vector<std::array<double, 2>> out;
  for (auto& p : local) out.push_back({cx + ca * p[0] - sa * p[1], cy + sa * p[0] + ca * p[1]});
  return out;
}

std::array<Box, kObjects> TurningDisk::boxes(double t) const {
  std::array<Box, kObjects> b;
  for (int o = 0; o < kObjects; ++o) {
    auto pts = outline(o, t);
    Box& x = b[o];
    x.x0 = x.y0 = 1e30;
    x.x1 = x.y1 = -1e30;
    for (auto& p : pts) {
      x.x0 = std::min(x.x0, p[0]), x.x1 = std::max(x.x1, p[0]);
      x.y0 = std::min(x.y0, p[1]), x.y1 = std::max(x.y1, p[1]);
    }
  }
  return b;
}

void TurningDisk::render(double t, cv::Mat& out, int64_t noise_seed) const {
  out.create(o_.sensor_height, o_.sensor_width, CV_8UC1);
  out.setTo(cv::Scalar(o_.background));
  cv::circle(out, fixed_point(centre_x(), centre_y()), (int)std::lround(o_.disk_radius * (1 << kShift)),
             cv::Scalar(o_.disk), cv::FILLED, cv::LINE_AA, kShift);
  for (int o = 0; o < kObjects; ++o) {
    std::vector<cv::Point> poly;
    for (auto& p : outline(o, t)) poly.push_back(fixed_point(p[0], p[1]));
    cv::fillPoly(out, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(o_.object), cv::LINE_AA, kShift);
  }
  if (noise_seed >= 0 && o_.noise > 0) {
    cv::Mat noise(out.size(), CV_32F);
    std::mt19937_64 rng((uint64_t)noise_seed);
    std::normal_distribution<float> n(0, (float)o_.noise);
    for (int r = 0; r < noise.rows; ++r)
      for (int c = 0; c < noise.cols; ++c) noise.at<float>(r, c) = n(rng);
    cv::Mat f;
    out.convertTo(f, CV_32F);
    f += noise;
    f.convertTo(out, CV_8U);  // saturates to [0, 255]
  }
}

}  // namespace hnn::models::hsn
