// Event streams to tensors: raw [N, 4] tables, and dense representations per time bin,
// [T, C, H, W] for one stream or [T, B, C, H, W] for a batch (time-major, as the spiking
// layers take them). Kinds: event counts per polarity (C = 2), binary frames (C = 2), time
// surfaces (C = 2), voxel grids bilinear in time (C = 1 signed, or 2 per polarity).
//
//   BinOptions o = BinOptions::around(t_frame, /*bins=*/5, /*bin_us=*/2000, Align::Before);
//   o.roi = Roi{100, 60, 128, 128};          // crop (o.size = std::pair{64, 64} then resizes)
//   at::Tensor x = event_counts(stream, o);   // float [5, 2, 128, 128]
//   at::Tensor xb = represent_batch(streams, Kind::Counts, o);  // [T, B, C, H, W]
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "hnn/events/event_stream.h"

namespace hnn::events {

// int64 [N, 4] columns (t µs, x, y, p); and back (sensor size given).
at::Tensor to_tensor(const EventStream& ev);
EventStream from_tensor(const at::Tensor& events, int width, int height);

// A region of interest in sensor pixels: [x, x + width) x [y, y + height).
struct Roi {
  int x = 0, y = 0, width = 0, height = 0;
};
// Events inside roi, shifted so that the roi's corner is (0, 0); size becomes the roi's.
EventStream crop(const EventStream& ev, const Roi& roi);
// Coordinates scaled to a width x height sensor (x' = floor(x * width / ev.width)); counts are
// kept, several pixels may merge.
EventStream resize(const EventStream& ev, int width, int height);

enum class BinBy { Time, Count };              // equal time spans, or equal event counts
enum class Align { Before, Centered, After };  // window ending at, centred on, starting at t
enum class Kind { Counts, Binary, TimeSurface, VoxelGrid };

struct BinOptions {
  int64_t bins = 1;  // T
  BinBy by = BinBy::Time;
  std::optional<int64_t> t_begin, t_end;    // window [t_begin, t_end) µs; default: the stream's span
  std::optional<Roi> roi;                   // crop first (sensor coordinates)
  std::optional<std::pair<int, int>> size;  // then resize to (width, height)
  double tau_us = 50000;                    // time surfaces: exp(-(t_bin_end - t_last) / tau)
  bool signed_voxels = true;                // voxel grid: one channel of p = +-1 (else 2 channels)

  // T bins of bin_us each, placed relative to t (e.g. before an APS frame's timestamp).
  static BinOptions around(int64_t t, int64_t bins, int64_t bin_us, Align align = Align::Before);
};

// The window [t_begin, t_end) the options select in ev (empty stream: [0, 1)).
std::pair<int64_t, int64_t> bin_window(const EventStream& ev, const BinOptions& o);

// One stream -> float [T, C, H, W].
at::Tensor represent(const EventStream& ev, Kind kind, const BinOptions& o);
at::Tensor event_counts(const EventStream& ev, const BinOptions& o);   // C = 2 (OFF, ON)
at::Tensor binary_frames(const EventStream& ev, const BinOptions& o);  // C = 2, 0/1
at::Tensor time_surfaces(const EventStream& ev, const BinOptions& o);  // C = 2, in [0, 1]
at::Tensor voxel_grid(const EventStream& ev, const BinOptions& o);     // C = 1 or 2, by time only

// A batch of streams (same sensor size) -> float [T, B, C, H, W].
at::Tensor represent_batch(const std::vector<EventStream>& streams, Kind kind, const BinOptions& o);

}  // namespace hnn::events
