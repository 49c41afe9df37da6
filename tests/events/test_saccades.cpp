// Saccade generator: N-MNIST-like statistics, determinism per seed, and a comparison with the
// real recordings of the same MNIST digits.
#include <cmath>

#include "events_test_util.h"
#include "hnn/events/nmnist.h"
#include "hnn/events/saccades.h"
#include "test_util.h"

using namespace hnn::events;

namespace {
std::vector<uint8_t> disc(int n) {
  std::vector<uint8_t> img((size_t)n * n, 0);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      if ((x - n / 2) * (x - n / 2) + (y - n / 2) * (y - n / 2) < (n / 4) * (n / 4)) img[(size_t)y * n + x] = 255;
  return img;
}
// Correlation of the per-pixel ON - OFF counts of two streams in [t0, t1).
double net_correlation(const EventStream& a, const EventStream& b, int64_t t0, int64_t t1) {
  std::vector<double> x(34 * 34, 0.0), y(34 * 34, 0.0);
  for (size_t i = 0; i < a.size(); ++i)
    if (a.t[i] >= t0 && a.t[i] < t1) x[(size_t)a.y[i] * 34 + a.x[i]] += a.p[i] ? 1 : -1;
  for (size_t i = 0; i < b.size(); ++i)
    if (b.t[i] >= t0 && b.t[i] < t1) y[(size_t)b.y[i] * 34 + b.x[i]] += b.p[i] ? 1 : -1;
  double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / x.size(), my += y[i] / y.size();
  for (size_t i = 0; i < x.size(); ++i)
    sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my), sxy += (x[i] - mx) * (y[i] - my);
  return sxy / std::sqrt(sxx * syy);
}
}  // namespace

// A recording simulated only up to duration_us has exactly the full recording's events there.
TEST(Saccades, DurationTruncatesExactly) {
  auto img = disc(28);
  EventStream full = saccade_recording(img.data(), 28, 28, SaccadeOptions{}, 3);
  SaccadeOptions o;
  o.duration_us = 40000;
  EventStream part = saccade_recording(img.data(), 28, 28, o, 3);
  EventStream a = full.slice_time(0, 40000), b = part.slice_time(0, 40000);
  EXPECT_GT(a.size(), 0u);
  EXPECT_TRUE(a == b);
  EXPECT_LE(part.t.back(), 40000);
}

TEST(Saccades, ShapeAndDeterminism) {
  auto img = disc(28);
  EventStream a = saccade_recording(img.data(), 28, 28, SaccadeOptions{}, 5);
  EventStream b = saccade_recording(img.data(), 28, 28, SaccadeOptions{}, 5);
  EventStream c = saccade_recording(img.data(), 28, 28, SaccadeOptions{}, 6);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_EQ(a.width, 34);
  EXPECT_TRUE(a.is_sorted());
  EXPECT_NO_THROW(a.check_bounds("saccades"));
  StreamStats s = stream_stats(a);
  EXPECT_GT(s.events, 1000);
  EXPECT_NEAR(s.on_fraction, 0.5, 0.08);
  EXPECT_GT(s.duration_us, 250000);
  EXPECT_LE(s.duration_us, 306000);
  auto small = disc(10);
  EXPECT_GT(saccade_recording(small.data(), 10, 10, SaccadeOptions{}, 1).size(), 100u);
  std::vector<uint8_t> big(40 * 40);
  EXPECT_THROW(saccade_recording(big.data(), 40, 40, SaccadeOptions{}, 1), hnn::Error);
}

TEST(Saccades, MatchesRealNmnistOnTheSameDigits) {
  HNN_REQUIRE_DATA("mnist/train-images-idx3-ubyte.first22699.gz", idx);
  HNN_REQUIRE_DATA("nmnist-small/1.bin", first);
  std::string images = hnn::read_maybe_gzip(idx);
  std::string dir = first.substr(0, first.find_last_of('/'));
  double gen = 0, real = 0, on = 0, net = 0;
  const int n = 40;
  for (int i = 0; i < n; ++i) {
    const uint8_t* px = reinterpret_cast<const uint8_t*>(images.data()) + 16 + 784 * i;
    EventStream ge = saccade_recording(px, 28, 28, SaccadeOptions{}, (uint64_t)i + 1);
    EventStream re = read_nmnist(dir + "/" + std::to_string(i + 1) + ".bin");
    net += net_correlation(ge, re, 0, 102000);
    StreamStats g = stream_stats(ge);
    StreamStats r = stream_stats(re);
    gen += (double)g.events;
    real += (double)r.events;
    on += g.on_fraction;
  }
  // Within 15% of the real mean event count (docs/events.md has the full comparison).
  EXPECT_NEAR(gen / real, 1.0, 0.15);
  EXPECT_NEAR(on / n, 0.5, 0.03);
  // Same places and polarities as the real recordings in the first saccade (about 0.77).
  EXPECT_GT(net / n, 0.6);
}
