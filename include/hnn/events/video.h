// Writes rendered BGR frames (render.h) as a picture or an animation, by extension: .png (one
// frame), .avi (MJPG) and .mp4 (MPEG-4 part 2) through OpenCV's videoio, .gif through giflib
// (a fixed palette: 254 grays plus the ON and OFF colours; other colours become gray).
// Written to a temporary name and renamed by close(); without close() nothing is left behind.
#pragma once
#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace hnn::events {

class VideoOutput {
 public:
  VideoOutput(const std::string& path, double fps, cv::Scalar on_color = {0, 0, 255},
              cv::Scalar off_color = {255, 128, 0});
  ~VideoOutput();
  VideoOutput(const VideoOutput&) = delete;
  VideoOutput& operator=(const VideoOutput&) = delete;

  // Appends a BGR 8-bit frame; every frame must have the first frame's size (.png keeps only
  // the first frame).
  void write(const cv::Mat& bgr);
  void close();
  int frames() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hnn::events
