#include "hnn/events/saccades.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "hnn/core/error.h"

namespace hnn::events {

namespace {
// The triangle the image travels (offset of its top-left corner on the sensor, pixels, for a
// 28-pixel image on 34 pixels), read off the event centroids of the real N-MNIST recordings:
// down and a little right, then up and right, then back left.
constexpr double kPath[4][2] = {{1.0, 1.5}, {2.5, 5.5}, {5.0, 1.5}, {1.0, 1.5}};

std::vector<float> gaussian_blur(const std::vector<float>& img, int h, int w, double sigma) {
  if (sigma <= 0) return img;
  int r = (int)std::ceil(3 * sigma);
  std::vector<float> k((size_t)(2 * r + 1));
  float sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[(size_t)(i + r)] = (float)std::exp(-0.5 * i * i / (sigma * sigma));
  for (float& v : k) v /= sum;
  std::vector<float> tmp(img.size()), out(img.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float a = 0;
      for (int i = -r; i <= r; ++i) {
        int xx = std::clamp(x + i, 0, w - 1);
        a += k[(size_t)(i + r)] * img[(size_t)y * w + xx];
      }
      tmp[(size_t)y * w + x] = a;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float a = 0;
      for (int i = -r; i <= r; ++i) {
        int yy = std::clamp(y + i, 0, h - 1);
        a += k[(size_t)(i + r)] * tmp[(size_t)yy * w + x];
      }
      out[(size_t)y * w + x] = a;
    }
  return out;
}
}  // namespace

SimulatorOptions SaccadeOptions::default_sim() {
  SimulatorOptions s;
  s.threshold_on = 0.202;
  s.threshold_off = 0.208;
  s.mismatch = 0.03;
  s.refractory_us = 1000;
  s.shot_noise_hz = 1.0;
  return s;
}

EventStream saccade_recording(const uint8_t* image, int height, int width, const SaccadeOptions& o, uint64_t seed) {
  const int S = o.sensor;
  HNN_CHECK(S > 0 && S <= 1024, "saccades: sensor side {} must be in 1-1024", S);
  HNN_CHECK(height > 0 && width > 0 && height <= S && width <= S,
            "saccades: a {}x{} image does not fit the {}x{} sensor", width, height, S, S);
  HNN_CHECK(o.saccade_us > 0 && o.frame_us > 0 && o.frame_us <= o.saccade_us,
            "saccades: saccade_us ({}) and frame_us ({}) must be positive, frame_us <= saccade_us", o.saccade_us,
            o.frame_us);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x5ACCADE5ull);
  std::normal_distribution<double> jitter(0.0, 1.0);

  // The image as displayed: blurred, black lifted to the monitor's background level.
  std::vector<float> img((size_t)height * width);
  for (size_t i = 0; i < img.size(); ++i) {
    float v = image[i] / 255.0f;
    img[i] = o.background + (1.0f - o.background) * (o.invert ? 1.0f - v : v);
  }
  img = gaussian_blur(img, height, width, o.blur_sigma);

  // Path vertices, scaled about the first one so that amplitude 1 is the N-MNIST path, and
  // centred for images smaller than 28 pixels.
  double cx = (S - width) / 2.0 - 3.0, cy = (S - height) / 2.0 - 3.0;
  double path[4][2];
  for (int v = 0; v < 4; ++v) {
    double jx = v < 3 ? o.jitter_px * jitter(rng) : 0, jy = v < 3 ? o.jitter_px * jitter(rng) : 0;
    path[v][0] = cx + 3.0 + (kPath[v][0] - 3.0) * o.amplitude + jx;
    path[v][1] = cy + 3.0 + (kPath[v][1] - 3.0) * o.amplitude + jy;
  }
  path[3][0] = path[0][0];
  path[3][1] = path[0][1];

  SimulatorOptions so = o.sim;
  so.seed = rng();
  EventSimulator sim(S, S, so);
  EventStream out(S, S);
  std::vector<float> frame((size_t)S * S);
  const float bg = o.invert ? 1.0f : o.background;  // the screen around the image
  const int64_t total = o.duration_us > 0 ? std::min(3 * o.saccade_us, o.duration_us) : 3 * o.saccade_us;
  for (int64_t t = 0; t <= total; t += o.frame_us) {
    // Smooth start and stop of each saccade (raised-cosine position profile).
    int seg = (int)std::min<int64_t>(t / o.saccade_us, 2);
    double u = (double)(t - seg * o.saccade_us) / (double)o.saccade_us;
    double s = 0.5 - 0.5 * std::cos(M_PI * std::clamp(u, 0.0, 1.0));
    double ox = path[seg][0] + (path[seg + 1][0] - path[seg][0]) * s;
    double oy = path[seg][1] + (path[seg + 1][1] - path[seg][1]) * s;
    // Bilinear sample of the image at (x - ox, y - oy); the monitor background outside it.
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        double ix = x - ox, iy = y - oy;
        int x0 = (int)std::floor(ix), y0 = (int)std::floor(iy);
        double fx = ix - x0, fy = iy - y0;
        auto at = [&](int xx, int yy) -> double {
          return (xx < 0 || yy < 0 || xx >= width || yy >= height) ? bg : img[(size_t)yy * width + xx];
        };
        frame[(size_t)y * S + x] = (float)((1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                                           fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)));
      }
    sim.add_frame(frame.data(), t, out);
  }
  return out;
}

StreamStats stream_stats(const EventStream& ev) {
  StreamStats s;
  s.events = (int64_t)ev.size();
  s.on_fraction = ev.empty() ? 0.0 : (double)ev.count_on() / (double)ev.size();
  s.duration_us = ev.duration();
  return s;
}

}  // namespace hnn::events
