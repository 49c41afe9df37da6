// Pictures of HSN tracking: the original project's view (APS frame as background, DVS events as
// red points, the true box green, the prediction blue), written as a video or GIF, and the
// plots of the experiments.
#pragma once
#include <string>
#include <vector>

#include "hnn/models/hsn/dataset.h"
#include "hnn/models/hsn/loss.h"
#include "hnn/models/hsn/network.h"
#include "hnn/models/hsn/recording.h"

namespace hnn::models::hsn {

struct TrackVideoOptions {
  LoadOptions load;
  DecodeOptions decode;
  int scale = 3;            // pixels per crop pixel
  int64_t max_frames = 40;  // APS frames to show (each with its bins)
  double fps = 15;
};

// Runs the HSN over the recording (bins of load.bins around each APS frame) and writes the
// tracking view to `out` (.avi, .mp4, .gif or .png, by extension). Templates come from ground
// truth when given, else from the APS frame's contours. Returns the number of video frames.
int64_t write_tracking_video(Tracker& hsn, const events::Recording& rec, const GroundTruth* gt, const std::string& out,
                             const TrackVideoOptions& o = {});

}  // namespace hnn::models::hsn
