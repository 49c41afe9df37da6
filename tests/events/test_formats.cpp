// Format detection and conversion between every pair of formats.
#include "events_test_util.h"
#include "hnn/events/formats.h"
#include "test_util.h"

using namespace hnn::events;
using hnn::events::test::random_stream;
using hnn::events::test::TempFile;

TEST(Formats, DetectionByMagicAndExtension) {
  EXPECT_EQ(format_from_extension("a/b.AEDAT4"), FileFormat::Aedat4);
  EXPECT_EQ(format_from_extension("x.aedat"), FileFormat::Aedat2);
  EXPECT_EQ(format_from_extension("x.bin"), FileFormat::Nmnist);
  EXPECT_THROW(format_from_extension("x.dat"), hnn::Error);
  EXPECT_THROW(format_from_extension("dir.aedat4/file"), hnn::Error);
  // A file named .bin whose content is AEDAT 4: the magic wins.
  TempFile f("really4.bin");
  Recording rec;
  rec.events = random_stream(10, 34, 34, 1);
  write_aedat4(f.path, rec);
  EXPECT_EQ(detect_format(f.path), FileFormat::Aedat4);
}

TEST(Formats, ConvertBetweenAllFormats) {
  Recording rec;
  rec.events = random_stream(3000, 34, 34, 2, 100);
  TempFile a("c.aedat4"), b("c.aedat"), c("c.bin"), d("c2.aedat4");
  EXPECT_EQ(write_recording(a.path, rec), 0);
  Recording ra = read_recording(a.path);
  EXPECT_EQ(ra.format, "aedat4");
  EXPECT_TRUE(ra.events == rec.events);
  EXPECT_EQ(write_recording(b.path, ra), 0);
  Recording rb = read_recording(b.path);
  EXPECT_EQ(rb.format, "aedat2");
  EXPECT_TRUE(rb.events == rec.events);  // the size line keeps 34x34 in the DVS128 layout
  EXPECT_EQ(write_recording(c.path, rb), 0);
  Recording rc = read_recording(c.path);
  EXPECT_EQ(rc.format, "nmnist");
  EXPECT_TRUE(rc.events == rec.events);
  write_recording(d.path, rc);
  EXPECT_TRUE(read_recording(d.path).events == rec.events);
}

TEST(Formats, UnixTimesAreShiftedForNarrowFormats) {
  Recording rec;
  rec.events = random_stream(100, 64, 64, 3, 1'633'953'690'975'950);
  TempFile b("u.aedat"), c("u.bin");
  int64_t shift = write_recording(b.path, rec);
  EXPECT_EQ(shift, rec.events.t_first());
  Recording rb = read_recording(b.path);
  EXPECT_EQ(rb.events.t_first(), 0);
  EXPECT_EQ(rb.events.t_last(), rec.events.t_last() - shift);
  EXPECT_EQ(write_recording(c.path, rec), rec.events.t_first());
}

TEST(Formats, RealFilesThroughEveryFormat) {
  HNN_REQUIRE_DATA("aedat4/davis346.aedat4", davis);
  HNN_REQUIRE_DATA("aedat2/dvs128-walking.aedat", walking);
  Recording r4 = read_recording(davis);
  TempFile a("d.aedat");
  int64_t shift = write_recording(a.path, r4);  // DAVIS layout, shifted to start at 0
  Recording back = read_recording(a.path);
  ASSERT_EQ(back.events.size(), r4.events.size());
  EXPECT_EQ(back.events.width, 346);
  for (size_t i = 0; i < r4.events.size(); i += 997) {
    EXPECT_EQ(back.events.t[i] + shift, r4.events.t[i]);
    EXPECT_EQ(back.events.x[i], r4.events.x[i]);
    EXPECT_EQ(back.events.y[i], r4.events.y[i]);
  }
  Recording r2 = read_recording(walking);
  TempFile b("w.aedat4");
  write_recording(b.path, r2);
  EXPECT_TRUE(read_recording(b.path).events == r2.events);
}
