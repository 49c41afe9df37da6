// The turning-disk scene of the HSN experiments, generated from geometry: a bright disk carrying
// three dark shapes (cross, triangle, circle) at different radii, rotating at `speed` turns per
// second, seen by a DAVIS346-sized sensor (346 x 260). Rendering gives 8-bit gray frames; the
// true object boxes come from the geometry at any time.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace hnn::models::hsn {

constexpr int kObjects = 3;
const char* object_name(int o);  // "cross", "triangle", "circle"

struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double cx() const { return (x0 + x1) / 2; }
  double cy() const { return (y0 + y1) / 2; }
};

struct SceneOptions {
  int sensor_width = 346, sensor_height = 260;
  // The reference crop (rows 71-215, columns 88-232); the disk is centred in it.
  int crop_x = 88, crop_y = 71, crop_size = 145;
  double disk_radius = 66;
  std::array<double, kObjects> radius = {20, 38, 52};      // distance of each object from the axis
  std::array<double, kObjects> size = {22, 24, 18};        // cross arm length, triangle side, circle diameter
  std::array<double, kObjects> phase_deg = {0, 130, 250};  // angle at t = 0
  int background = 10, disk = 200, object = 10;            // gray levels (< 20 is "dark" for labelling)
  double noise = 1.5;                                      // APS noise standard deviation (gray levels)
  double speed = 0.5;                                      // turns per second (counter-clockwise)
};

class TurningDisk {
 public:
  explicit TurningDisk(SceneOptions o = {});
  const SceneOptions& options() const { return o_; }
  double centre_x() const;  // the rotation axis, sensor pixels
  double centre_y() const;
  // Object o's outline at time t (seconds), sensor pixels.
  std::vector<std::array<double, 2>> outline(int o, double t) const;
  // Axis-aligned boxes of the three objects at time t, sensor pixels.
  std::array<Box, kObjects> boxes(double t) const;
  // Renders the scene at time t into an 8-bit gray image of the sensor's size (anti-aliased);
  // `noise_seed` >= 0 adds APS read noise from that seed.
  void render(double t, cv::Mat& out, int64_t noise_seed = -1) const;

 private:
  SceneOptions o_;
};

}  // namespace hnn::models::hsn
