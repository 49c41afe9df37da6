// N-MNIST-like recordings from still images: the image moves over a 34x34 sensor in three
// saccades along a triangle (about 100 ms each, about 300 ms in all), as the ATIS camera on a
// pan-tilt unit moved in front of a monitor (Orchard et al. 2015), and the event simulator
// turns the rendered frames into events. Deterministic per seed. No LibTorch here.
//
//   EventStream ev = saccade_recording(img.data(), 28, 28, SaccadeOptions{}, /*seed=*/id);
//   write_nmnist("out/1.bin", ev);   // same format as the real N-MNIST files
#pragma once
#include <cstdint>
#include <vector>

#include "hnn/events/event_stream.h"
#include "hnn/events/simulator.h"

namespace hnn::events {

struct SaccadeOptions {
  int sensor = 34;              // square sensor side (N-MNIST: 34)
  int64_t saccade_us = 102000;  // duration of each of the three saccades (N-MNIST: ~306 ms in all)
  int64_t frame_us = 500;       // rendering step (the simulator interpolates in between)
  int64_t duration_us = 0;      // simulate only [0, duration_us] (the same events there); 0: all
  double amplitude = 1.0;       // scale of the triangle path (1: the N-MNIST path, about 4 px)
  double jitter_px = 0.3;       // random shift of each path vertex, per recording
  double blur_sigma = 0.6;      // optics: Gaussian blur of the image, pixels
  float background = 0.12f;     // intensity of black image pixels (a monitor is never black)
  // Show the image inverted (dark strokes on a bright screen). The real N-MNIST files have
  // their polarity bit set where a bright digit on a dark screen would give OFF events: with
  // inversion the generated and real polarity maps of the same digits correlate positively.
  bool invert = true;
  SimulatorOptions sim = default_sim();

  // The simulator settings tuned to the statistics of real N-MNIST (see docs/events.md).
  static SimulatorOptions default_sim();
};

// Gray image (height x width bytes, row-major, 0-255; at most sensor x sensor) -> events on a
// sensor x sensor array, times from 0 µs.
EventStream saccade_recording(const uint8_t* image, int height, int width, const SaccadeOptions& o, uint64_t seed);

// Per-recording statistics used to compare generated and real sets.
struct StreamStats {
  int64_t events = 0;
  double on_fraction = 0;
  int64_t duration_us = 0;  // last minus first timestamp
};
StreamStats stream_stats(const EventStream& ev);

}  // namespace hnn::events
