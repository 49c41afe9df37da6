// EventStream: sortedness and bounds checks, slicing by time and count, sorting, appending.
#include "events_test_util.h"
#include "hnn/events/event_stream.h"

using namespace hnn::events;
using hnn::events::test::random_stream;

TEST(EventStream, SliceByTimeAndCount) {
  EventStream ev(10, 10);
  for (int i = 0; i < 10; ++i) ev.push_back(100 + 10 * i, i, 9 - i, i % 2 == 0);
  auto s = ev.slice_time(120, 150);  // [120, 150): t = 120, 130, 140
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.t.front(), 120);
  EXPECT_EQ(s.x.back(), 4);
  EXPECT_EQ(s.width, 10);
  EXPECT_EQ(ev.slice_time(1000, 2000).size(), 0u);
  EXPECT_EQ(ev.slice_time(150, 120).size(), 0u);
  auto c = ev.slice_count(8, 100);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.t[0], 180);
  EXPECT_EQ(ev.count_on(), 5);
  EXPECT_EQ(ev.duration(), 90);
  auto [b, e] = ev.time_range(125, 161);
  EXPECT_EQ(b, 3u);
  EXPECT_EQ(e, 7u);
}

TEST(EventStream, ChecksNameTheFirstBadEvent) {
  EventStream ev(4, 4);
  ev.push_back(1, 0, 0, true);
  ev.push_back(3, 3, 3, false);
  ev.push_back(2, 1, 1, true);
  EXPECT_FALSE(ev.is_sorted());
  EXPECT_EQ(ev.first_unsorted(), 2u);
  try {
    ev.check_sorted("stream.bin");
    FAIL();
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("stream.bin: event 2"), std::string::npos) << e.what();
  }
  ev.sort_by_time();
  EXPECT_TRUE(ev.is_sorted());
  EXPECT_EQ(ev.x[1], 1);
  EXPECT_NO_THROW(ev.check_bounds("s"));
  ev.push_back(4, 4, 0, true);
  EXPECT_EQ(ev.first_out_of_bounds(), 3u);
  EXPECT_THROW(ev.check_bounds("s"), hnn::Error);
}

TEST(EventStream, AppendAndEquality) {
  auto a = random_stream(100, 8, 8, 1);
  auto b = a.slice_count(0, 40);
  b.append(a, 40, 100);
  EXPECT_TRUE(a == b);
  b.p[7] ^= 1;
  EXPECT_TRUE(a != b);
  EventStream empty;
  empty.append(a);
  EXPECT_EQ(empty.width, 8);
  empty.clear();
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.width, 8);
}
