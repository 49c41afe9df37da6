// Event simulator: intensity frames with timestamps to DVS events, as real pixels do it. Each
// pixel compares its log intensity with the level memorised at its last event and fires ON/OFF
// when the difference crosses its own contrast threshold (nominal +- mismatch). Between two
// frames the log intensity is interpolated linearly, so event times fall between frames. A
// refractory period, shot noise and leak events are optional. Deterministic per seed.
//
//   EventSimulator sim(width, height, SimulatorOptions{}.with_seed(7));
//   EventStream out(width, height);
//   for (each frame f at time t_us) sim.add_frame(f.data(), t_us, out);  // row-major, [0, 1]
//   // for tensors [N, H, W]: simulate() in simulate_tensor.h. No LibTorch here.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "hnn/events/event_stream.h"

namespace hnn::events {

struct SimulatorOptions {
  double threshold_on = 0.2;    // nominal ON contrast threshold (log units)
  double threshold_off = 0.2;   // nominal OFF contrast threshold
  double mismatch = 0.03;       // std of the per-pixel thresholds (fixed-pattern noise)
  double min_threshold = 0.01;  // thresholds are clamped to at least this
  int64_t refractory_us = 0;    // crossings within this time after a pixel's event are dropped
  double shot_noise_hz = 0;     // random events per pixel per second (both polarities)
  double leak_hz = 0;           // leak ON events per pixel per second (the reference drifts down)
  double log_eps = 1e-3;        // log(I + eps): intensities are in [0, 1]
  uint64_t seed = 0;

  SimulatorOptions& with_seed(uint64_t s) {
    seed = s;
    return *this;
  }
};

class EventSimulator {
 public:
  EventSimulator(int width, int height, SimulatorOptions options = {});

  // Feeds a frame (width * height floats, row-major, intensities in [0, 1]) taken at t_us and
  // appends the events between the previous frame and this one to out, sorted by time. The
  // first frame only sets every pixel's reference level. Times must increase.
  void add_frame(const float* intensity, int64_t t_us, EventStream& out);
  // Same, 8-bit gray pixels (0-255).
  void add_frame(const uint8_t* gray, int64_t t_us, EventStream& out);

  int width() const { return width_; }
  int height() const { return height_; }
  // The per-pixel thresholds drawn at construction.
  const std::vector<float>& thresholds_on() const { return c_on_; }
  const std::vector<float>& thresholds_off() const { return c_off_; }

 private:
  void step(const std::vector<float>& log_now, int64_t t_us, EventStream& out);

  int width_, height_;
  SimulatorOptions o_;
  std::mt19937_64 rng_;
  std::vector<float> c_on_, c_off_, leak_;
  std::vector<float> ref_, prev_log_, log_buf_;
  std::vector<int64_t> last_event_;
  int64_t prev_t_ = 0;
  bool started_ = false;
};

}  // namespace hnn::events
