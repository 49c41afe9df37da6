// HSN samples from a recording, as the reference loads them (spec 2.1-2.2): for each APS frame
// at t_k, the APS image resized to S x S, and T DVS bins of bin_us around t_k (ON and OFF counts)
// cropped to the ROI; object locations in feature-grid units from ground truth (or, without it,
// from image contours as the reference does), and true boxes per bin for the metrics.
// Tensors: aps uint8 [N, 1, S, S], dvs uint8 [N, T, 2, S, S] (channel 0 ON, 1 OFF), aps_loc
// [N, O, 2], dvs_loc [N, T, O, 2], boxes [N, T, O, 4] (crop pixels).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "hnn/events/event_stream.h"
#include "hnn/models/hsn/recording.h"
#include "hnn/models/hsn/scene.h"

namespace hnn::models::hsn {

struct LoadOptions {
  int crop_x = 88, crop_y = 71, crop_size = 145;  // the DVS region of interest (sensor pixels)
  int64_t bins = 10;
  int64_t bin_us = 1000;
  // The reference resizes the whole APS frame (not aligned with the DVS crop); by default hnn
  // crops the APS frame to the same region, so both pathways see the same pixels.
  bool aps_full_frame = false;
  // Label from image contours (spec 2.2) instead of ground truth.
  bool contour_labels = false;
  // One sample per frame and offset: the bins are centred on frame time + offset (µs), the
  // templates still come from the frame. {0} is the reference; offsets spanning the frame
  // interval teach the tracker to follow objects between frames, as streaming use needs.
  std::vector<int64_t> offsets_us = {0};
};

struct Batch {
  at::Tensor aps;      // float [B, 1, S, S], 0..255
  at::Tensor search;   // float [B, 1, S, S]: the ANN's search frame at the window centre (undefined: aps)
  at::Tensor dvs;      // float [T, B, 2, S, S]
  at::Tensor aps_loc;  // [B, O, 2]
  at::Tensor dvs_loc;  // [T, B, O, 2]
  at::Tensor boxes;    // [T, B, O, 4]
};

struct HsnData {
  at::Tensor aps, dvs, aps_loc, dvs_loc, boxes;
  // uint8 [N, 1, S, S]: frames rendered at each window's centre (the frame itself at offset 0),
  // for the frame-based ANN trained on the same windows as the HSN; undefined without a scene.
  at::Tensor search;
  std::vector<int64_t> t_us;  // frame time of each sample
  int64_t size() const { return aps.defined() ? aps.size(0) : 0; }
  Batch batch(const at::Tensor& indices) const;
  Batch batch(int64_t begin, int64_t end) const;
};

// Builds the samples (frames whose bin window lies inside the event stream). With gt null or
// contour_labels set, labels come from contours; samples where they cannot be found (fewer than
// three objects) are skipped with a warning. With the recording's scene, each sample also gets the
// frame the scene shows at its window centre (`search`, with APS-like read noise).
HsnData build_dataset(const events::Recording& rec, const GroundTruth* gt, const LoadOptions& o = {},
                      const SceneFile* scene = nullptr);

// The samples of several recordings one after the other (e.g. recordings at several speeds);
// hnn::Error when their shapes differ (other crop or bins).
HsnData concat(const std::vector<HsnData>& parts);

// Contour labels of one APS image (uint8 [S, S]) and one bin's OFF counts ([S, S]), in the
// reference's way: threshold at 20, contours by area, the 2nd-4th largest (APS) or the 3
// largest (DVS), ordered by distance from the image centre. Centres in pixels; false when fewer
// than three are found.
bool contour_centres(const at::Tensor& image, bool aps, std::vector<std::array<double, 2>>& centres);

}  // namespace hnn::models::hsn
