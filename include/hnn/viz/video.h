// Writes rendered BGR frames (render.h) as a picture or an animation, by extension: .png (one
// frame), .avi (MJPG) and .mp4 (MPEG-4 part 2) through OpenCV's videoio, .gif through giflib
// (a fixed palette: the given colours exactly, grays for the rest of the 256 entries; pixels of
// other colours become gray).
// Written to a temporary name and renamed by close(); without close() nothing is left behind.
#pragma once
#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace hnn::viz {

class VideoOutput {
 public:
  // `colors` (BGR, at most 16): kept exactly in a GIF; by default the ON and OFF event colours.
  VideoOutput(const std::string& path, double fps,
              const std::vector<cv::Scalar>& colors = {{0, 0, 255}, {255, 128, 0}});
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

}  // namespace hnn::viz
