#include "hnn/events/simulator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hnn/core/error.h"

namespace hnn::events {

namespace {
struct Ev {
  int64_t t;
  int32_t pixel;
  uint8_t on;
};
}  // namespace

EventSimulator::EventSimulator(int width, int height, SimulatorOptions options)
    : width_(width), height_(height), o_(options), rng_(options.seed) {
  HNN_CHECK(width > 0 && height > 0 && width <= 32767 && height <= 32767,
            "event simulator: sensor size {}x{} must be in 1-32767", width, height);
  HNN_CHECK(o_.threshold_on > 0 && o_.threshold_off > 0 && o_.min_threshold > 0,
            "event simulator: thresholds must be positive (on {}, off {}, min {})", o_.threshold_on, o_.threshold_off,
            o_.min_threshold);
  HNN_CHECK(o_.mismatch >= 0 && o_.refractory_us >= 0 && o_.shot_noise_hz >= 0 && o_.leak_hz >= 0 && o_.log_eps > 0,
            "event simulator: mismatch, refractory, noise and leak rates must be >= 0 and log_eps > 0");
  const size_t n = (size_t)width * height;
  c_on_.resize(n);
  c_off_.resize(n);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (size_t i = 0; i < n; ++i) {
    double a = o_.threshold_on + (o_.mismatch > 0 ? o_.mismatch * noise(rng_) : 0.0);
    double b = o_.threshold_off + (o_.mismatch > 0 ? o_.mismatch * noise(rng_) : 0.0);
    c_on_[i] = (float)std::max(a, o_.min_threshold);
    c_off_[i] = (float)std::max(b, o_.min_threshold);
  }
  ref_.resize(n);
  prev_log_.resize(n);
  log_buf_.resize(n);
  last_event_.assign(n, INT64_MIN / 2);
}

void EventSimulator::add_frame(const float* intensity, int64_t t_us, EventStream& out) {
  const size_t n = log_buf_.size();
  const float eps = (float)o_.log_eps;
  for (size_t i = 0; i < n; ++i) log_buf_[i] = std::log(std::clamp(intensity[i], 0.0f, 1.0f) + eps);
  step(log_buf_, t_us, out);
}

void EventSimulator::add_frame(const uint8_t* gray, int64_t t_us, EventStream& out) {
  float lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = std::log((float)v / 255.0f + (float)o_.log_eps);
  const size_t n = log_buf_.size();
  for (size_t i = 0; i < n; ++i) log_buf_[i] = lut[gray[i]];
  step(log_buf_, t_us, out);
}

void EventSimulator::step(const std::vector<float>& now, int64_t t, EventStream& out) {
  const size_t n = now.size();
  if (out.width == 0 && out.height == 0) {
    out.width = width_;
    out.height = height_;
  }
  if (!started_) {
    ref_ = now;
    if (o_.leak_hz > 0) {  // random leak phase, so leaking pixels do not fire in lock-step
      std::uniform_real_distribution<float> u(0.0f, 1.0f);
      for (size_t i = 0; i < n; ++i) ref_[i] -= u(rng_) * c_on_[i];
    }
    prev_log_ = now;
    prev_t_ = t;
    started_ = true;
    return;
  }
  HNN_CHECK(t > prev_t_, "event simulator: frame time {} µs is not after the previous frame's {} µs", t, prev_t_);
  const double dt = (double)(t - prev_t_);
  const double leak = o_.leak_hz * dt * 1e-6;  // in units of the ON threshold
  std::vector<Ev> evs;
  for (size_t i = 0; i < n; ++i) {
    const double c_on = c_on_[i], c_off = c_off_[i];
    const double d0 = (double)prev_log_[i] - ref_[i];
    const double drift = leak * c_on;
    const double slope = ((double)now[i] - prev_log_[i]) + drift;  // change of (log - ref) over the interval
    double ref = (double)ref_[i] - drift;
    if (slope > 0 && d0 + slope >= c_on) {
      int64_t k_max = (int64_t)std::floor((d0 + slope) / c_on);
      for (int64_t k = 1; k <= k_max; ++k) {
        double s = std::clamp((k * c_on - d0) / slope, 0.0, 1.0);
        int64_t te = prev_t_ + (int64_t)(s * dt);
        if (te - last_event_[i] >= o_.refractory_us) {
          evs.push_back({te, (int32_t)i, 1});
          last_event_[i] = te;
        }
      }
      ref += (double)k_max * c_on;
    } else if (slope < 0 && d0 + slope <= -c_off) {
      int64_t k_max = (int64_t)std::floor(-(d0 + slope) / c_off);
      for (int64_t k = 1; k <= k_max; ++k) {
        double s = std::clamp((-k * c_off - d0) / slope, 0.0, 1.0);
        int64_t te = prev_t_ + (int64_t)(s * dt);
        if (te - last_event_[i] >= o_.refractory_us) {
          evs.push_back({te, (int32_t)i, 0});
          last_event_[i] = te;
        }
      }
      ref -= (double)k_max * c_off;
    }
    ref_[i] = (float)ref;
  }
  if (o_.shot_noise_hz > 0) {
    std::poisson_distribution<int64_t> count(o_.shot_noise_hz * (double)n * dt * 1e-6);
    std::uniform_int_distribution<int64_t> pixel(0, (int64_t)n - 1), when(prev_t_, t - 1);
    std::bernoulli_distribution on(0.5);
    for (int64_t k = count(rng_); k > 0; --k) {
      int64_t px = pixel(rng_);
      int64_t te = when(rng_);
      evs.push_back({te, (int32_t)px, (uint8_t)on(rng_)});
    }
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
  size_t base = out.size();
  out.resize(base + evs.size());
  for (size_t k = 0; k < evs.size(); ++k) {
    out.t[base + k] = evs[k].t;
    out.x[base + k] = (int16_t)(evs[k].pixel % width_);
    out.y[base + k] = (int16_t)(evs[k].pixel / width_);
    out.p[base + k] = evs[k].on;
  }
  prev_log_ = now;
  prev_t_ = t;
}

}  // namespace hnn::events
