// Event simulator: a brightness step gives the expected ON events, interpolated times,
// thresholds with mismatch, refractory period, noise, and determinism per seed.
#include <ATen/ATen.h>

#include <cmath>

#include "events_test_util.h"
#include "hnn/events/simulate_tensor.h"
#include "hnn/events/simulator.h"

using namespace hnn::events;

TEST(Simulator, RampGivesInterpolatedOnEvents) {
  SimulatorOptions o;
  o.mismatch = 0;
  o.threshold_on = o.threshold_off = 0.1;
  o.log_eps = 1e-9;
  EventSimulator sim(1, 1, o);
  EventStream out;
  float a = 0.1f, b = 0.1f * std::exp(0.35f);  // log rises by 0.35: 3 ON events
  sim.add_frame(&a, 0, out);
  EXPECT_TRUE(out.empty());
  sim.add_frame(&b, 3500, out);
  ASSERT_EQ(out.size(), 3u);
  // Linear in log between frames: crossings at 1/3.5, 2/3.5, 3/3.5 of the interval.
  EXPECT_NEAR((double)out.t[0], 1000, 2);
  EXPECT_NEAR((double)out.t[1], 2000, 2);
  EXPECT_NEAR((double)out.t[2], 3000, 2);
  for (auto p : out.p) EXPECT_EQ(p, 1);
  float d = 0.1f * std::exp(-0.05f);  // 0.35 below the reference level: 3 OFF events
  sim.add_frame(&d, 7000, out);
  EXPECT_EQ(out.size(), 3u + 3u);
  EXPECT_EQ(out.p.back(), 0);
  EXPECT_TRUE(out.is_sorted());
  float c = 0.5f;
  EXPECT_THROW(sim.add_frame(&c, 7000, out), hnn::Error);  // time must increase
}

TEST(Simulator, RefractoryDropsFastEvents) {
  SimulatorOptions o;
  o.mismatch = 0;
  o.threshold_on = 0.1;
  o.refractory_us = 1500;
  EventSimulator sim(1, 1, o);
  EventStream out;
  float a = 0.1f, b = 0.1f * std::exp(0.55f);  // 5 crossings, 1 ms apart: every other one passes
  sim.add_frame(&a, 0, out);
  sim.add_frame(&b, 5500, out);
  EXPECT_EQ(out.size(), 3u);
}

TEST(Simulator, MismatchNoiseAndSeeds) {
  SimulatorOptions o;
  o.mismatch = 0.05;
  o.shot_noise_hz = 50;
  o.leak_hz = 5;
  o.seed = 7;
  auto frames = at::rand({20, 16, 16}, at::TensorOptions().dtype(at::kFloat));
  std::vector<int64_t> ts;
  for (int i = 0; i < 20; ++i) ts.push_back(i * 10000);
  EventStream a = simulate(frames, ts, o), b = simulate(frames, ts, o);
  EXPECT_TRUE(a == b);  // same seed, same events
  EXPECT_TRUE(a.is_sorted());
  EXPECT_EQ(a.width, 16);
  o.seed = 8;
  EXPECT_FALSE(simulate(frames, ts, o) == a);
  EventSimulator sim(16, 16, o);
  double mean = 0;
  for (float c : sim.thresholds_on()) mean += c;
  mean /= 256;
  EXPECT_NEAR(mean, 0.2, 0.02);
  EXPECT_NE(sim.thresholds_on()[0], sim.thresholds_on()[1]);
  // Noise alone: a static scene still produces events at about the requested rate.
  SimulatorOptions n;
  n.shot_noise_hz = 100;
  auto still = at::full({11, 10, 10}, 0.5);
  std::vector<int64_t> t2;
  for (int i = 0; i < 11; ++i) t2.push_back(i * 100000);  // 1 s
  EventStream noise = simulate(still, t2, n);
  EXPECT_NEAR((double)noise.size(), 100.0 * 100, 400);
  EXPECT_THROW(simulate(still, {0, 1}, n), hnn::Error);
}

TEST(Simulator, Uint8Frames) {
  auto frames = at::zeros({2, 4, 4}, at::kByte);
  frames[1].fill_(255);
  SimulatorOptions o;
  o.mismatch = 0;
  EventStream ev = simulate(frames, {0, 1000}, o);
  // log(1 + 1e-3) - log(1e-3) = 6.9: 34 ON events per pixel at threshold 0.2.
  EXPECT_EQ(ev.size(), 16u * 34u);
  EXPECT_EQ(ev.count_on(), (int64_t)ev.size());
}
