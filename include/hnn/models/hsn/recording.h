// Synthetic HSN recordings: the turning disk (scene.h) seen through the event simulator on a
// DAVIS346-sized sensor, with APS frames (25 Hz by default), as an events::Recording (written as
// a real AEDAT 4 file by the events layer), plus ground truth from the geometry: one JSON line
// per object and millisecond, {"t": us, "object": o, "name": "...", "box": [x0, y0, x1, y1]}.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hnn/events/event_stream.h"
#include "hnn/events/simulator.h"
#include "hnn/models/hsn/scene.h"

namespace hnn::models::hsn {

struct GenerateOptions {
  SceneOptions scene;
  double seconds = 4;
  double aps_hz = 25;
  double render_hz = 2000;           // frames fed to the event simulator
  int64_t t0_us = 1700000000000000;  // recordings carry Unix time, as real AEDAT 4 files
  events::SimulatorOptions simulator = default_simulator();
  uint64_t seed = 0;
  static events::SimulatorOptions default_simulator();
};

// Object boxes (sensor pixels) sampled every millisecond.
struct GroundTruth {
  std::vector<int64_t> t;  // µs, increasing
  std::vector<std::array<Box, kObjects>> boxes;
  // Boxes at time t, linearly interpolated (clamped at the ends).
  std::array<Box, kObjects> at(int64_t t_us) const;
  bool empty() const { return t.empty(); }
};

// Renders and simulates; `progress` shows a bar over the recording's duration.
events::Recording generate_recording(const GenerateOptions& o, GroundTruth* gt, bool progress = true);

void write_ground_truth(const std::string& path, const GroundTruth& gt);
GroundTruth read_ground_truth(const std::string& path);

// The scene a recording was generated from, as JSON ({"t0_us": ..., "speed": ..., ...}), so that
// frames can be rendered at any time of it later (e.g. the ANN's search frames between APS frames).
// t0_us is the recording time of scene time 0.
struct SceneFile {
  SceneOptions scene;
  int64_t t0_us = 0;
};
void write_scene(const std::string& path, const SceneFile& s);
SceneFile read_scene(const std::string& path);

}  // namespace hnn::models::hsn
