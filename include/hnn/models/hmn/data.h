// Event frames for the hybrid modulation network (spec hnn-paper-systems.md §3.1): N-MNIST(-like)
// recordings binned to [T, 2, 34, 34] (T bins of bin_us from the recording's start, OFF and ON
// channels; feature index p * 1156 + y * 34 + x once flattened), held as uint8 counts (saturated
// at 255) or 0/1, and cached in a compact file so runs do not regenerate them.
//
// Sources: the saccade generator (events/saccades.h) on MNIST / Fashion-MNIST images (the full
// N-MNIST set is not available here), or the real N-MNIST recordings of ../shared/data/nmnist-small.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hnn/events/event_stream.h"
#include "hnn/events/saccades.h"

namespace hnn::models::hmn {

struct FrameOptions {
  int64_t bins = 10;      // T
  int64_t bin_us = 2000;  // bin width (the reference's file name says 2 ms)
  bool binary = false;    // 0/1 instead of counts
  int sensor = 34;        // H = W
};

// One recording -> uint8 [bins, 2, sensor, sensor] of the window [0, bins * bin_us).
at::Tensor bin_recording(const events::EventStream& ev, const FrameOptions& o);

struct FrameSet {
  at::Tensor frames;  // uint8 [N, T, 2, S, S]
  at::Tensor labels;  // int64 [N]
  FrameOptions options;
  std::string source;  // what made it (one line)
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  // float [N, T, 2 * S * S] (the network's input layout).
  at::Tensor flat() const;
};

// Saccade recordings of images uint8 [N, H, W] (or [N, 1, H, W], 0-255 or floats in [0, 1]),
// recording i seeded by (seed, i); only the first bins * bin_us are simulated. Parallel over
// samples; `progress(done)` from the calling thread.
FrameSet generate_frames(const at::Tensor& images, const at::Tensor& labels, const FrameOptions& o,
                         const events::SaccadeOptions& saccades, uint64_t seed,
                         const std::function<void(int64_t)>& progress = {});

// The real N-MNIST recordings <dir>/<id>.bin listed in a label file ("#sample #class" header, then
// "id label" lines: train1K.txt, test100.txt).
FrameSet load_nmnist_frames(const std::string& dir, const std::string& list_file, const FrameOptions& o);

// The cache: a small JSON header (sizes, options, source) then the labels (uint8) and the frames,
// packed 8 to a byte when binary. Written atomically; reading checks the sizes.
void save_frames(const std::string& path, const FrameSet& set);
FrameSet load_frames(const std::string& path);

// Statistics of binned recordings, to compare generated and real sets.
struct FrameStats {
  int64_t samples = 0;
  double events_mean = 0, events_sd = 0;  // events per sample in the window
  double on_fraction = 0;                 // ON events / all events
  std::vector<double> events_per_bin;     // mean per sample, per bin
  double active_fraction = 0;             // mean fraction of nonzero inputs per bin
};
FrameStats frame_stats(const at::Tensor& frames);

}  // namespace hnn::models::hmn
