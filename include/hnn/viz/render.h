// Pictures of event streams with OpenCV: events of a time window over the APS frame (if any),
// ON and OFF in two colours; a BGR cv::Mat [H*scale, W*scale] ready for imwrite or VideoWriter.
#pragma once
#include <opencv2/core.hpp>

#include <cstddef>

#include "hnn/events/event_stream.h"

namespace hnn::viz {

using events::EventStream;
using events::Frame;

struct RenderOptions {
  cv::Scalar on_color{0, 0, 255};        // BGR: red
  cv::Scalar off_color{255, 128, 0};     // BGR: blue
  cv::Scalar background{255, 255, 255};  // without an APS frame
  int scale = 1;                         // integer zoom (nearest), for small sensors
  double frame_dim = 0.6;                // APS frame brightness under the events (0-1)
};

// APS frame as a BGR image of its sensor (its roi placed at offset_x, offset_y; 8-bit).
cv::Mat frame_to_bgr(const Frame& frame, int sensor_width, int sensor_height);

// Events [begin, end) of ev drawn over `frame` (nullptr: plain background); a pixel takes the
// colour of the polarity with more events in the window.
cv::Mat render_events(const EventStream& ev, size_t begin, size_t end, const Frame* frame,
                      const RenderOptions& options = {});

}  // namespace hnn::viz
