// Tensors from events: raw tables, counts, binary frames, time surfaces, voxel grids, batches,
// windows around a timestamp, ROI crop and resize.
#include <ATen/ATen.h>

#include "events_test_util.h"
#include "hnn/events/representation.h"
#include "test_util.h"

using namespace hnn::events;
using hnn::events::test::random_stream;

namespace {
EventStream tiny() {
  EventStream ev(4, 3);
  ev.push_back(0, 0, 0, true);
  ev.push_back(10, 1, 0, false);
  ev.push_back(20, 1, 0, false);
  ev.push_back(50, 3, 2, true);
  ev.push_back(99, 2, 1, true);
  return ev;
}
}  // namespace

TEST(Representation, TensorRoundTrip) {
  EventStream ev = random_stream(500, 20, 10, 1);
  at::Tensor t = to_tensor(ev);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{500, 4}));
  EXPECT_EQ(t[3][0].item<int64_t>(), ev.t[3]);
  EXPECT_TRUE(from_tensor(t, 20, 10) == ev);
  EXPECT_THROW(from_tensor(at::zeros({3, 3}), 1, 1), hnn::Error);
}

TEST(Representation, CountsByTimeAndByCount) {
  EventStream ev = tiny();
  BinOptions o;
  o.bins = 2;  // window [0, 100): bins [0, 50), [50, 100)
  at::Tensor c = event_counts(ev, o);
  ASSERT_EQ(c.sizes(), (std::vector<int64_t>{2, 2, 3, 4}));
  EXPECT_EQ(c[0][1][0][0].item<float>(), 1);  // ON at (0, 0)
  EXPECT_EQ(c[0][0][0][1].item<float>(), 2);  // two OFF at (1, 0)
  EXPECT_EQ(c[1][1][2][3].item<float>(), 1);
  EXPECT_EQ(c.sum().item<float>(), 5);
  at::Tensor b = binary_frames(ev, o);
  EXPECT_EQ(b[0][0][0][1].item<float>(), 1);
  EXPECT_EQ(b.sum().item<float>(), 4);
  o.by = BinBy::Count;  // 5 events in 2 bins: event j goes to floor(j * 2 / 5): 3 + 2
  at::Tensor k = event_counts(ev, o);
  EXPECT_EQ(k[0].sum().item<float>(), 3);
  EXPECT_EQ(k[1].sum().item<float>(), 2);
  at::Tensor s = time_surfaces(ev, o);  // the same split: bin 0 ends at event 2 (t = 20)
  EXPECT_NEAR(s[0][0][0][1].item<float>(), 1.0, 1e-6);
}

TEST(Representation, WindowAroundATimestamp) {
  EventStream ev = tiny();
  BinOptions o = BinOptions::around(50, 2, 25, Align::Before);  // [0, 50)
  EXPECT_EQ(bin_window(ev, o), std::make_pair(int64_t{0}, int64_t{50}));
  EXPECT_EQ(event_counts(ev, o).sum().item<float>(), 3);
  o = BinOptions::around(50, 2, 25, Align::Centered);  // [25, 75)
  EXPECT_EQ(event_counts(ev, o).sum().item<float>(), 1);
  o = BinOptions::around(50, 4, 25, Align::After);  // [50, 150)
  at::Tensor c = event_counts(ev, o);
  EXPECT_EQ(c.sum().item<float>(), 2);
  EXPECT_EQ(c[1].sum().item<float>(), 1);  // t = 99 in [75, 100)
}

TEST(Representation, RoiCropAndResize) {
  EventStream ev = tiny();
  BinOptions o;
  o.roi = Roi{1, 0, 2, 2};  // x 1-2, y 0-1: events (1,0) x2, (2,1)
  at::Tensor c = event_counts(ev, o);
  ASSERT_EQ(c.sizes(), (std::vector<int64_t>{1, 2, 2, 2}));
  EXPECT_EQ(c[0][0][0][0].item<float>(), 2);
  EXPECT_EQ(c[0][1][1][1].item<float>(), 1);
  EventStream cropped = crop(ev, Roi{1, 0, 2, 2});
  EXPECT_EQ(cropped.size(), 3u);
  EXPECT_EQ(cropped.width, 2);
  o.roi.reset();
  o.size = std::pair{2, 1};  // 4x3 -> 2x1: every event lands somewhere, counts kept
  at::Tensor r = event_counts(ev, o);
  ASSERT_EQ(r.sizes(), (std::vector<int64_t>{1, 2, 1, 2}));
  EXPECT_EQ(r.sum().item<float>(), 5);
  EXPECT_TRUE(resize(ev, 2, 1).x == std::vector<int16_t>({0, 0, 0, 1, 1}));
}

TEST(Representation, VoxelGridIsBilinearInTime) {
  EventStream ev(2, 1);
  ev.push_back(0, 0, 0, true);
  ev.push_back(25, 0, 0, false);  // t* = 0.5 of 2 bins (B-1 = 1): half in each
  ev.push_back(100, 1, 0, true);  // outside [0, 100) with t_end = 100
  BinOptions o;
  o.bins = 2;
  o.t_begin = 0;
  o.t_end = 50;
  at::Tensor v = voxel_grid(ev, o);
  ASSERT_EQ(v.sizes(), (std::vector<int64_t>{2, 1, 1, 2}));
  EXPECT_FLOAT_EQ(v[0][0][0][0].item<float>(), 1.0f - 0.5f);
  EXPECT_FLOAT_EQ(v[1][0][0][0].item<float>(), -0.5f);
  o.signed_voxels = false;
  at::Tensor v2 = voxel_grid(ev, o);
  EXPECT_EQ(v2.size(1), 2);
  EXPECT_FLOAT_EQ(v2.sum().item<float>(), 2.0f);
}

TEST(Representation, TimeSurfaceDecays) {
  EventStream ev(2, 1);
  ev.push_back(0, 0, 0, true);
  ev.push_back(60, 1, 0, false);
  BinOptions o;
  o.bins = 2;
  o.t_begin = 0;
  o.t_end = 100;
  o.tau_us = 50;
  at::Tensor s = time_surfaces(ev, o);
  EXPECT_NEAR(s[0][1][0][0].item<float>(), std::exp(-50.0 / 50), 1e-6);
  EXPECT_NEAR(s[1][1][0][0].item<float>(), std::exp(-100.0 / 50), 1e-6);
  EXPECT_EQ(s[0][0][0][1].item<float>(), 0);
  EXPECT_NEAR(s[1][0][0][1].item<float>(), std::exp(-40.0 / 50), 1e-6);
}

TEST(Representation, BatchIsTimeMajor) {
  std::vector<EventStream> streams = {random_stream(300, 8, 6, 1), random_stream(200, 8, 6, 2)};
  BinOptions o;
  o.bins = 3;
  at::Tensor x = represent_batch(streams, Kind::Counts, o);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 2, 2, 6, 8}));
  EXPECT_TRUE(x.select(1, 0).equal(event_counts(streams[0], o)));
  EXPECT_TRUE(x.select(1, 1).equal(event_counts(streams[1], o)));
  streams.push_back(random_stream(10, 9, 6, 3));
  EXPECT_THROW(represent_batch(streams, Kind::Counts, o), hnn::Error);
}
