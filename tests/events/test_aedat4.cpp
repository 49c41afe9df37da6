// AEDAT 4.0 reader and writer: the real DAVIS346 file, round trips for every compression,
// the packet table, streaming and random access, and corrupt input.
#include <cstring>

#include "events_test_util.h"
#include "hnn/events/aedat4.h"
#include "test_util.h"

using namespace hnn::events;
using hnn::events::test::expect_error;
using hnn::events::test::fuzz_flips;
using hnn::events::test::random_stream;
using hnn::events::test::TempFile;

namespace {

Recording synthetic_recording() {
  Recording rec;
  rec.camera = "TEST_CAMERA";
  rec.events = random_stream(20000, 64, 48, 1, 1'600'000'000'000'000);
  for (int k = 0; k < 3; ++k) {
    Frame f;
    f.t = rec.events.t[(size_t)k * 6000];
    f.begin_t = f.t - 10;
    f.end_t = f.t + 10;
    f.exposure_begin_t = f.t - 5;
    f.exposure_end_t = f.t + 5;
    f.format = k == 1 ? FrameFormat::Bgr : FrameFormat::Gray;
    f.width = 64;
    f.height = 48;
    f.pixels.resize((size_t)64 * 48 * f.channels());
    for (size_t i = 0; i < f.pixels.size(); ++i) f.pixels[i] = (uint8_t)(i * 7 + k);
    rec.frames.push_back(f);
  }
  for (int k = 0; k < 50; ++k) {
    ImuSample m;
    m.t = rec.events.t_first() + k * 1000;
    m.temperature = 30.5f + k;
    m.accelerometer[0] = 0.1f * k;
    m.gyroscope[2] = -2.0f * k;
    m.magnetometer[1] = 7.0f;
    rec.imu.push_back(m);
  }
  for (int k = 0; k < 10; ++k) rec.triggers.push_back({rec.events.t_first() + k * 3000, k % 10});
  return rec;
}

void expect_same(const Recording& a, const Recording& b) {
  EXPECT_TRUE(a.events == b.events);
  EXPECT_TRUE(a.frames == b.frames);
  EXPECT_TRUE(a.imu == b.imu);
  EXPECT_TRUE(a.triggers == b.triggers);
  EXPECT_EQ(a.camera, b.camera);
}

std::string write_bytes(const Recording& rec, Compression c, size_t per_packet = 4096) {
  TempFile f("bytes.aedat4");
  Aedat4WriteOptions o;
  o.compression = c;
  o.events_per_packet = per_packet;
  write_aedat4(f.path, rec, o);
  return hnn::read_file(f.path);
}

}  // namespace

TEST(Aedat4, RealDavis346File) {
  HNN_REQUIRE_DATA("aedat4/davis346.aedat4", path);
  Aedat4Reader r(path);
  EXPECT_EQ(r.compression(), Compression::Lz4);
  ASSERT_EQ(r.streams().size(), 4u);
  EXPECT_EQ(r.streams()[0].type, StreamType::Events);
  EXPECT_EQ(r.streams()[1].type, StreamType::Frames);
  EXPECT_EQ(r.streams()[2].type, StreamType::Imu);
  EXPECT_EQ(r.streams()[3].type, StreamType::Triggers);
  EXPECT_EQ(r.streams()[0].width, 346);
  EXPECT_EQ(r.streams()[0].height, 260);
  EXPECT_EQ(r.streams()[0].source, "DAVIS346_00000104");
  EXPECT_EQ(r.data_table_position(), 1190063);
  int per_type[4] = {0, 0, 0, 0};
  Aedat4Packet pk;
  while (r.next_packet(pk)) per_type[(int)pk.type]++;
  EXPECT_EQ(per_type[0], 13);  // event packets
  EXPECT_EQ(per_type[1], 3);   // APS frames

  Recording rec = read_aedat4(path);
  EXPECT_EQ(rec.events.size(), 117667u);
  EXPECT_EQ(rec.events.count_on(), 72363);
  EXPECT_EQ(rec.events.width, 346);
  EXPECT_EQ(rec.events.height, 260);
  EXPECT_EQ(rec.events.t_first(), 1633953690975950);
  EXPECT_EQ(rec.events.t_last(), 1633953691105949);
  EXPECT_TRUE(rec.events.is_sorted());
  ASSERT_EQ(rec.frames.size(), 3u);
  for (const Frame& f : rec.frames) {
    EXPECT_EQ(f.width, 346);
    EXPECT_EQ(f.height, 260);
    EXPECT_EQ(f.format, FrameFormat::Gray);
    EXPECT_EQ(f.pixels.size(), 346u * 260u);
  }
  EXPECT_EQ(rec.frames[0].t, 1633953690978904);
  EXPECT_EQ(rec.frames[0].exposure_begin_t, 1633953690976518);
  EXPECT_EQ(rec.imu.size(), 130u);
  EXPECT_NEAR(rec.imu[0].temperature, 27.75f, 0.01f);
  EXPECT_NEAR(rec.imu[0].accelerometer[1], -0.991f, 0.001f);  // gravity along y
  EXPECT_EQ(rec.triggers.size(), 15u);
  EXPECT_EQ(rec.triggers[0].source, 8);  // exposure begin
}

TEST(Aedat4, RealFilePacketTableMatchesAWalk) {
  HNN_REQUIRE_DATA("aedat4/davis346.aedat4", path);
  Aedat4Reader r(path);
  std::vector<PacketInfo> table = r.packet_table();
  ASSERT_EQ(table.size(), 40u);
  Aedat4Packet pk;
  size_t i = 0;
  while (r.next_packet(pk)) {
    ASSERT_LT(i, table.size());
    EXPECT_EQ(table[i].byte_offset, pk.byte_offset + 8);
    EXPECT_EQ(table[i].stream_id, pk.stream_id);
    EXPECT_EQ(table[i].elements, (int64_t)pk.elements());
    if (pk.type == StreamType::Events) {
      EXPECT_EQ(table[i].t_begin, pk.events.t_first());
      EXPECT_EQ(table[i].t_end, pk.events.t_last());
    }
    ++i;
  }
  // Random access through the table gives the same packet.
  Aedat4Packet again;
  r.read_packet(table[4], again);
  EXPECT_EQ(again.type, StreamType::Events);
  EXPECT_EQ((int64_t)again.events.size(), table[4].elements);
}

TEST(Aedat4, RealFileRoundTripEveryCompression) {
  HNN_REQUIRE_DATA("aedat4/davis346.aedat4", path);
  Recording rec = read_aedat4(path);
  for (Compression c : {Compression::None, Compression::Lz4, Compression::Lz4High, Compression::Zstd}) {
    TempFile f("rt.aedat4");
    Aedat4WriteOptions o;
    o.compression = c;
    write_aedat4(f.path, rec, o);
    Recording back = read_aedat4(f.path);
    SCOPED_TRACE(to_string(c));
    expect_same(rec, back);
    Aedat4Reader r(f.path);
    EXPECT_EQ(r.compression(), c);
    EXPECT_GT(r.data_table_position(), 0);
    EXPECT_EQ(r.streams()[0].source, "DAVIS346_00000104");
  }
}

TEST(Aedat4, SyntheticRoundTripAndTable) {
  Recording rec = synthetic_recording();
  for (Compression c :
       {Compression::None, Compression::Lz4, Compression::Lz4High, Compression::Zstd, Compression::ZstdHigh}) {
    SCOPED_TRACE(to_string(c));
    std::string bytes = write_bytes(rec, c);
    Recording back = read_aedat4(bytes.data(), bytes.size(), "mem.aedat4");
    expect_same(rec, back);
    Aedat4Reader r(bytes.data(), bytes.size(), "mem.aedat4");
    auto table = r.packet_table();
    int64_t events = 0;
    for (const auto& e : table)
      if (e.stream_id == 0) events += e.elements;
    EXPECT_EQ(events, 20000);
  }
}

TEST(Aedat4, HeaderLayoutMatchesTheFormat) {
  Recording rec = synthetic_recording();
  std::string b = write_bytes(rec, Compression::Lz4);
  ASSERT_EQ(b.compare(0, 14, "#!AER-DAT4.0\r\n"), 0);
  uint32_t len;
  std::memcpy(&len, b.data() + 14, 4);
  EXPECT_EQ(b.compare(22, 4, "IOHE"), 0);  // identifier after the root offset
  EXPECT_NE(b.find("<attr key=\"typeIdentifier\" type=\"string\">EVTS</attr>"), std::string::npos);
  EXPECT_NE(b.find("<attr key=\"compression\" type=\"string\">LZ4</attr>"), std::string::npos);
  // The first packet header follows the IOHeader: stream id, then the body size.
  int32_t sid, size;
  std::memcpy(&sid, b.data() + 18 + len, 4);
  std::memcpy(&size, b.data() + 22 + len, 4);
  EXPECT_GE(sid, 0);
  EXPECT_GT(size, 0);
  // LZ4 frame magic at the start of the body.
  EXPECT_EQ((uint8_t)b[26 + len], 0x04);
  EXPECT_EQ((uint8_t)b[27 + len], 0x22);
}

TEST(Aedat4, StreamingReuseAndRewind) {
  Recording rec;
  rec.events = random_stream(50000, 32, 32, 3);
  std::string bytes = write_bytes(rec, Compression::Lz4, 1000);
  Aedat4Reader r(bytes.data(), bytes.size(), "mem.aedat4");
  Aedat4Packet pk;
  EventStream all;
  int packets = 0;
  while (r.next_packet(pk)) {
    EXPECT_LE(pk.events.size(), 1000u);
    all.append(pk.events);
    ++packets;
  }
  EXPECT_EQ(packets, 50);
  EXPECT_TRUE(all == rec.events);
  r.rewind();
  ASSERT_TRUE(r.next_packet(pk));
  EXPECT_EQ(pk.events.t_first(), rec.events.t_first());
}

TEST(Aedat4, WriterRejectsBadInput) {
  TempFile f("bad.aedat4");
  EventStream ev(10, 10);
  ev.push_back(5, 1, 1, true);
  ev.push_back(4, 1, 1, true);
  {
    Aedat4Writer w(f.path, {StreamInfo::events(0, 10, 10)});
    EXPECT_THROW(w.write_events(0, ev), hnn::Error);      // unsorted
    EXPECT_THROW(w.write_frame(0, Frame{}), hnn::Error);  // not a frame stream
    EXPECT_THROW(w.write_events(3, ev), hnn::Error);      // no such stream
  }
  EXPECT_FALSE(hnn::file_exists(f.path));  // never closed: nothing left behind
  EventStream out(10, 10);
  out.push_back(1, 10, 0, true);
  Aedat4Writer w(f.path, {StreamInfo::events(0, 10, 10)});
  EXPECT_THROW(w.write_events(0, out), hnn::Error);  // outside the sensor
}

TEST(Aedat4, WrongMagicAndTruncation) {
  Recording rec;
  rec.events = random_stream(3000, 32, 32, 4);
  std::string b = write_bytes(rec, Compression::None, 1000);
  auto read = [](const std::string& s) { read_aedat4(s.data(), s.size(), "bad.aedat4"); };
  std::string wrong = b;
  wrong[3] = 'X';
  expect_error([&] { read(wrong); }, "bad.aedat4", {"byte 0", "AEDAT 4.0"});
  expect_error([&] { read(b.substr(0, 10)); }, "bad.aedat4", {"byte 0", "truncated"});
  expect_error([&] { read(b.substr(0, 16)); }, "bad.aedat4", {"byte 14", "truncated"});
  expect_error([&] { read(b.substr(0, 100)); }, "bad.aedat4", {"byte 14", "IOHeader length"});
  uint32_t len;
  std::memcpy(&len, b.data() + 14, 4);
  // Cut inside the first packet body. The file keeps its packet table position, which now lies
  // past the end: an error when asked not to recover, else the complete packets (none here).
  std::string cut = b.substr(0, 18 + len + 8 + 100);
  Aedat4ReadOptions strict;
  strict.recover = false;
  expect_error([&] { read_aedat4(cut.data(), cut.size(), "bad.aedat4", strict); }, "bad.aedat4",
               {"byte 18", "packet table position"});
  EXPECT_EQ(read_aedat4(cut.data(), cut.size(), "bad.aedat4").events.size(), 0u);
  // Cut inside the last of the three packets: the first two are recovered.
  const int64_t table = Aedat4Reader(b.data(), b.size(), "b").data_table_position();
  std::string last = b.substr(0, (size_t)table - 50);
  Aedat4Reader cr(last.data(), last.size(), "cut.aedat4");
  Recording got = read_aedat4(last.data(), last.size(), "cut.aedat4");
  ASSERT_EQ(got.events.size(), 2000u);
  EXPECT_TRUE(got.events.slice_count(0, 2000) == rec.events.slice_count(0, 2000));
  EXPECT_EQ(cr.packet_table().size(), 2u);
  // Without the table, truncation is found at the packet.
  Aedat4WriteOptions o;
  o.compression = Compression::None;
  o.events_per_packet = 1000;
  o.write_table = false;
  TempFile f("notable.aedat4");
  write_aedat4(f.path, rec, o);
  std::string nt = hnn::read_file(f.path);
  EXPECT_EQ(read_aedat4(nt.data(), nt.size(), "ok.aedat4").events.size(), 3000u);
  std::string pos = std::to_string(18 + len + 4);
  auto strict_read = [&](const std::string& s) { read_aedat4(s.data(), s.size(), "bad.aedat4", strict); };
  expect_error([&] { strict_read(nt.substr(0, 18 + len + 8 + 100)); }, "bad.aedat4", {"byte " + pos, "packet size"});
  expect_error([&] { strict_read(nt + "xyz"); }, "bad.aedat4",
               {"byte " + std::to_string(nt.size()), "truncated packet header"});
  // Recovering (the default): a recorder that died mid-packet leaves the packets before it.
  std::string nt_cut = nt.substr(0, nt.size() - 10);
  EXPECT_EQ(read_aedat4(nt_cut.data(), nt_cut.size(), "cut.aedat4").events.size(), 2000u);
  EXPECT_EQ(read_aedat4((nt + "xyz").data(), nt.size() + 3, "tail.aedat4").events.size(), 3000u);
  Aedat4Reader nr(nt_cut.data(), nt_cut.size(), "cut.aedat4");
  Aedat4Packet pk;
  while (nr.next_packet(pk)) {
  }
  EXPECT_TRUE(nr.cut_short());
}

// A real recording cut at any point reads as the events of its complete packets: a prefix of the
// whole file's events.
TEST(Aedat4, RealFileCutShortRecoversEveryCompletePacket) {
  HNN_REQUIRE_DATA("aedat4/davis346.aedat4", path);
  const std::string all = hnn::read_file(path);
  const Recording whole = read_aedat4(all.data(), all.size(), "whole");
  for (double f : {0.3, 0.61, 0.97}) {
    const std::string cut = all.substr(0, (size_t)(f * (double)all.size()));
    Recording got = read_aedat4(cut.data(), cut.size(), "cut.aedat4");
    ASSERT_GT(got.events.size(), 0u) << f;
    ASSERT_LT(got.events.size(), whole.events.size()) << f;
    EXPECT_TRUE(got.events == whole.events.slice_count(0, got.events.size())) << f;
  }
}

TEST(Aedat4, AbsurdSizes) {
  Recording rec;
  rec.events = random_stream(3000, 32, 32, 5);
  std::string b = write_bytes(rec, Compression::Lz4, 1000);
  auto read = [](const std::string& s) { read_aedat4(s.data(), s.size(), "big.aedat4"); };
  std::string h = b;
  std::memset(&h[14], 0xff, 4);  // header length 4 GiB
  expect_error([&] { read(h); }, "big.aedat4", {"byte 14", "exceeds"});
  uint32_t len;
  std::memcpy(&len, b.data() + 14, 4);
  std::string p = b;
  int32_t huge = 0x7fffffff;
  std::memcpy(&p[18 + len + 4], &huge, 4);  // packet body size 2 GiB
  expect_error([&] { read(p); }, "big.aedat4", {"byte " + std::to_string(18 + len + 4), "packet size"});
  std::string s = b;
  int32_t stream = 77;
  std::memcpy(&s[18 + len], &stream, 4);
  expect_error([&] { read(s); }, "big.aedat4", {"stream 77"});
}

TEST(Aedat4, UnsortedAndOutOfBoundsEvents) {
  EventStream ev(32, 32);
  for (int i = 0; i < 100; ++i) ev.push_back(1000000 + i * 10, i % 32, i % 32, true);
  Recording rec;
  rec.events = ev;
  std::string b = write_bytes(rec, Compression::None);
  // Event 50 goes back in time: its timestamp bytes are at a known place in the uncompressed file.
  int64_t t50 = ev.t[50], early = 5;
  size_t at = b.find(std::string((const char*)&t50, 8));
  ASSERT_NE(at, std::string::npos);
  std::string u = b;
  std::memcpy(&u[at], &early, 8);
  expect_error([&] { read_aedat4(u.data(), u.size(), "u.aedat4"); }, "u.aedat4",
               {"byte " + std::to_string(at), "sorted"});
  Aedat4ReadOptions lax;
  lax.check_sorted = false;
  EXPECT_EQ(read_aedat4(u.data(), u.size(), "u.aedat4", lax).events.t[50], 5);
  std::string o = b;
  int16_t x = 900;
  std::memcpy(&o[at + 8], &x, 2);
  expect_error([&] { read_aedat4(o.data(), o.size(), "o.aedat4"); }, "o.aedat4",
               {"byte " + std::to_string(at), "outside the 32x32 sensor"});
}

TEST(Aedat4, FlippedBytesNeverCrash) {
  Recording rec = synthetic_recording();
  rec.events = rec.events.slice_count(0, 3000);
  for (Compression c : {Compression::None, Compression::Lz4, Compression::Zstd}) {
    std::string b = write_bytes(rec, c, 500);
    int errors = fuzz_flips(b, 0, 300, 11 + (int)c, [](const std::string& s) {
      Aedat4Reader r(s.data(), s.size(), "flip.aedat4");
      Aedat4Packet pk;
      while (r.next_packet(pk)) {
      }
      r.packet_table();
    });
    EXPECT_GT(errors, 50) << to_string(c);
  }
}

TEST(Aedat4, RealFileFlippedBytes) {
  HNN_REQUIRE_DATA("aedat4/davis346.aedat4", path);
  std::string b = hnn::read_file(path);
  int errors = fuzz_flips(b, 0, 60, 99, [](const std::string& s) { read_aedat4(s.data(), s.size(), "davis.aedat4"); });
  EXPECT_GT(errors, 0);
}

TEST(Aedat4, CompressionNames) {
  for (Compression c :
       {Compression::None, Compression::Lz4, Compression::Lz4High, Compression::Zstd, Compression::ZstdHigh})
    EXPECT_EQ(parse_compression(to_string(c)), c);
  EXPECT_EQ(parse_compression("LZ4_HIGH"), Compression::Lz4High);
  EXPECT_THROW(parse_compression("gzip"), hnn::Error);
}
