// AEDAT 2.0 (jAER): the real DVS128 file, both address layouts round trip, corrupt input.
#include <cmath>
#include <cstring>

#include "events_test_util.h"
#include "hnn/events/aedat2.h"
#include "test_util.h"

using namespace hnn::events;
using hnn::events::test::expect_error;
using hnn::events::test::fuzz_flips;
using hnn::events::test::random_stream;
using hnn::events::test::TempFile;

TEST(Aedat2, RealDvs128File) {
  HNN_REQUIRE_DATA("aedat2/dvs128-walking.aedat", path);
  Aedat2Reader r(path);
  EXPECT_EQ(r.layout(), Aedat2Layout::Dvs128);
  EXPECT_EQ(r.chip(), "ch.unizh.ini.jaer.chip.retina.DVS128");
  EXPECT_EQ(r.header_size(), 4612u);
  EXPECT_EQ(r.events_in_file(), 19182u);
  Recording rec = read_aedat2(path);
  EXPECT_EQ(rec.events.size(), 19182u);
  EXPECT_EQ(rec.events.width, 128);
  EXPECT_EQ(rec.events.height, 128);
  EXPECT_EQ(rec.events.count_on(), 12080);
  EXPECT_EQ(rec.events.t_first(), 41306606);
  EXPECT_EQ(rec.events.t_last(), 48193156);
  EXPECT_TRUE(rec.events.is_sorted());
  // x is bits 1-7 and y bits 8-14 (jAER's masks): the walking person is upright, spread along y.
  double mx = 0, my = 0, vx = 0, vy = 0, n = (double)rec.events.size();
  for (size_t i = 0; i < rec.events.size(); ++i) mx += rec.events.x[i] / n, my += rec.events.y[i] / n;
  for (size_t i = 0; i < rec.events.size(); ++i)
    vx += (rec.events.x[i] - mx) * (rec.events.x[i] - mx) / n,
        vy += (rec.events.y[i] - my) * (rec.events.y[i] - my) / n;
  EXPECT_NEAR(std::sqrt(vx), 12.1, 0.1);
  EXPECT_NEAR(std::sqrt(vy), 36.7, 0.1);
  // Streaming in small packets gives the same events.
  EventStream all, pk;
  r.rewind();
  while (r.next_packet(pk, 1000)) all.append(pk);
  EXPECT_TRUE(all == rec.events);
  // Round trip through our writer.
  TempFile f("walk.aedat");
  write_aedat2(f.path, rec.events);
  EXPECT_TRUE(read_aedat2(f.path).events == rec.events);
}

TEST(Aedat2, DavisLayoutRoundTrip) {
  TempFile f("davis.aedat");
  EventStream ev = random_stream(5000, 346, 260, 2, 0);
  write_aedat2(f.path, ev, Aedat2Layout::Davis);
  Aedat2Reader r(f.path);
  EXPECT_EQ(r.layout(), Aedat2Layout::Davis);
  EXPECT_EQ(r.width(), 346);
  EXPECT_TRUE(read_aedat2(f.path).events == ev);
  EXPECT_THROW(write_aedat2(f.path, random_stream(10, 2000, 100, 1)), hnn::Error);  // beyond 10-bit x
}

TEST(Aedat2, TimestampWrapIsUnrolled) {
  EventStream ev(128, 128);
  ev.push_back(0xFFFFFF00ll, 1, 2, true);
  ev.push_back(0x100000010ll, 3, 4, false);  // past 2^32
  // Written with the 32-bit counter wrapping: build the bytes by hand.
  std::string b = "#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n";
  auto put = [&](uint32_t a, uint32_t t) {
    unsigned char e[8] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16), (unsigned char)(a >> 8),
                          (unsigned char)a,         (unsigned char)(t >> 24), (unsigned char)(t >> 16),
                          (unsigned char)(t >> 8),  (unsigned char)t};
    b.append((const char*)e, 8);
  };
  put(2 << 8 | 1 << 1 | 1, 0xFFFFFF00u);  // y << 8 | x << 1 | polarity
  put(4 << 8 | 3 << 1, 0x10u);
  Recording rec = read_aedat2(b.data(), b.size(), "wrap.aedat");
  EXPECT_TRUE(rec.events == ev);
}

TEST(Aedat2, CorruptInput) {
  TempFile f("c.aedat");
  write_aedat2(f.path, random_stream(2000, 128, 128, 3, 0));
  std::string b = hnn::read_file(f.path);
  auto read = [](const std::string& s) { read_aedat2(s.data(), s.size(), "c.aedat"); };
  std::string wrong = b;
  wrong[5] = 'X';
  expect_error([&] { read(wrong); }, "c.aedat", {"byte 0", "AEDAT 2.0"});
  expect_error([&] { read(b.substr(0, 5)); }, "c.aedat", {"byte 0"});
  size_t header = b.size() - 2000 * 8;
  Aedat2Options strict;
  strict.recover = false;
  const std::string cut = b.substr(0, b.size() - 3);
  expect_error([&] { read_aedat2(cut.data(), cut.size(), "c.aedat", strict); }, "c.aedat",
               {"byte " + std::to_string(b.size() - 8), "truncated"});
  // Recovering (the default): every whole event.
  EXPECT_EQ(read_aedat2(cut.data(), cut.size(), "c.aedat").events.size(), 1999u);
  // Event 100 before event 99.
  std::string u = b;
  std::memcpy(&u[header + 100 * 8 + 4], "\0\0\0\0", 4);
  expect_error([&] { read(u); }, "c.aedat", {"byte " + std::to_string(header + 100 * 8), "sorted"});
  Aedat2Options lax;
  lax.check_sorted = false;
  EXPECT_EQ(read_aedat2(u.data(), u.size(), "c.aedat", lax).events.size(), 2000u);
  // Absurd sizes: a sensor larger than the layout can address; a DAVIS address outside it.
  Aedat2Options big;
  big.width = 4000;
  expect_error([&] { read_aedat2(b.data(), b.size(), "c.aedat", big); }, "c.aedat", {"does not fit"});
  TempFile d("d.aedat");
  write_aedat2(d.path, random_stream(100, 346, 260, 4, 0), Aedat2Layout::Davis);
  std::string db = hnn::read_file(d.path);
  size_t dh = db.size() - 100 * 8;
  db[dh] = 0x7f;  // y field 508 > 259
  expect_error([&] { read_aedat2(db.data(), db.size(), "d.aedat"); }, "d.aedat",
               {"byte " + std::to_string(dh), "outside the 346x260 sensor"});
  int errors = fuzz_flips(b, 0, 300, 5, read);
  EXPECT_GT(errors, 0);
}

// Hostile input: the sensor size of the header is checked before it is used (a 32-bit parse
// would read 4294967297 as 1); the event count always comes from the file's size.
TEST(Aedat2, HugeSizeInHeaderIsRefused) {
  TempFile f("h.aedat");
  write_aedat2(f.path, random_stream(100, 32, 32, 3, 0));
  const std::string b = hnn::read_file(f.path);
  const size_t at = b.find("hnn-sensor-size: ");
  ASSERT_NE(at, std::string::npos);
  const size_t end = b.find('\r', at);
  for (const std::string size : {"2147483647x2147483647", "4294967297x4294967297", "99999999999999999999x1"}) {
    const std::string h = b.substr(0, at) + "hnn-sensor-size: " + size + b.substr(end);
    expect_error([&] { read_aedat2(h.data(), h.size(), "h.aedat"); }, "h.aedat", {"sensor size", "outside"});
  }
}
