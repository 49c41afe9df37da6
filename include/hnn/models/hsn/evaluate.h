// Evaluating HSN trackers: offline (every sample's bins), streaming as in the paper (the frame
// ANN updates only when an APS frame arrives and holds its estimate in between; the HSN updates
// every bin; the "ideal" ANN gets a frame at every bin), speed sweeps, and throughput.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "hnn/models/hsn/dataset.h"
#include "hnn/models/hsn/loss.h"
#include "hnn/models/hsn/metrics.h"
#include "hnn/models/hsn/network.h"
#include "hnn/models/hsn/recording.h"

namespace hnn::models::hsn {

struct EvalOptions {
  int64_t batch = 8;
  DecodeOptions decode;
};

struct EvalResult {
  TrackMetrics overall;
  std::array<TrackMetrics, kObjects> per_object;
  at::Tensor pred_px;  // [N, T, O, 2] crop pixels
  double seconds = 0;
};

EvalResult evaluate_tracker(Tracker& model, const HsnData& data, const EvalOptions& o = {});

struct StreamingOptions {
  LoadOptions load;
  DecodeOptions decode;
  int64_t warmup_ms = 20;  // skip the first bins after the first frame
};

struct StreamingResult {
  TrackMetrics hsn, real_ann, ideal_ann;
  int64_t bins = 0;
};

// Streams a synthetic recording bin by bin. Templates come from each APS frame at the true
// object locations (as the reference extracts them); `ann` is an ANN-only tracker, `scene`
// renders the ideal frames.
StreamingResult streaming_eval(Tracker& hsn, Tracker& ann, const events::Recording& rec, const GroundTruth& gt,
                               const TurningDisk& scene, const StreamingOptions& o);

struct Throughput {
  // One recording, the 10 bins of a frame in one call: bins per second and ms per bin.
  double bins_per_s_batch1 = 0, latency_ms_batch1 = 0;
  // `batch` recordings at once.
  double bins_per_s_batched = 0;
  // Streaming: one bin per call, as it arrives (what a live tracker waits for each bin).
  double latency_ms_single = 0;
  int64_t batch = 0;
  std::string device;
};
// SNN pathway + correlation + decoding per 1-ms bin (templates precomputed per frame), median
// of repeats.
Throughput measure_throughput(Tracker& hsn, int64_t batch, int64_t repeats, const std::string& device = "cpu");

}  // namespace hnn::models::hsn
