// AEDAT 4.0 writer: the layout DV writes (magic, IOHeader with the XML description, packets,
// compressed FileDataTable at the end, header rewritten in place to point at it).
#include <flatbuffers/flatbuffers.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "aedat4_description.h"
#include "byte_source.h"
#include "compression.h"
#include "fbs/events_generated.h"
#include "fbs/file_data_table_generated.h"
#include "fbs/frame_generated.h"
#include "fbs/imu_generated.h"
#include "fbs/io_header_generated.h"
#include "fbs/trigger_generated.h"
#include "hnn/core/error.h"
#include "hnn/events/aedat4.h"

namespace hnn::events {

struct Aedat4Writer::Impl {
  std::string path, tmp;
  std::FILE* f = nullptr;
  std::vector<StreamInfo> streams;
  Aedat4WriteOptions opts;
  detail::Codec codec;
  flatbuffers::FlatBufferBuilder fbb{1 << 16};
  std::vector<uint8_t> cbuf;
  std::vector<PacketInfo> table;
  std::map<int, int64_t> last_t;
  uint64_t pos = 0;
  size_t header_len = 0;

  const StreamInfo& stream(int id, StreamType type) const {
    for (const auto& s : streams)
      if (s.id == id) {
        HNN_CHECK(s.type == type, "{}: stream {} is a {} stream, not {}", path, id, s.type_identifier,
                  type_identifier(type));
        return s;
      }
    fail("{}: no stream {} was declared for this file", path, id);
  }

  void put(const void* data, size_t n) {
    if (n && std::fwrite(data, 1, n, f) != n) fail("{}: write error: {}", path, std::strerror(errno));
    pos += n;
  }

  std::vector<uint8_t> header(int64_t table_pos) {
    flatbuffers::FlatBufferBuilder b(4096);
    b.ForceDefaults(true);  // keeps the header's size fixed when the table position is patched in
    auto desc = b.CreateString(detail::make_description(streams, opts.compression));
    auto root = fb::CreateIOHeader(b, (fb::Compression)opts.compression, table_pos, desc);
    b.FinishSizePrefixed(root, "IOHE");  // the prefix is the header length field of the file
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }

  // Writes the finished size-prefixed buffer in fbb as one packet of stream sid.
  void packet(int sid, int64_t elements, int64_t t0, int64_t t1) {
    const uint8_t* body = fbb.GetBufferPointer();
    size_t n = fbb.GetSize();
    if (opts.compression != Compression::None) {
      codec.compress(opts.compression, body, n, cbuf);
      body = cbuf.data();
      n = cbuf.size();
    }
    HNN_CHECK(n <= (size_t)INT32_MAX, "{}: packet of {} bytes exceeds the format's 2 GiB limit", path, n);
    uint8_t ph[8];
    detail::store_u32_le(ph, (uint32_t)sid);
    detail::store_u32_le(ph + 4, (uint32_t)n);
    put(ph, 8);
    PacketInfo e;
    e.byte_offset = (int64_t)pos;
    e.stream_id = sid;
    e.size = (int32_t)n;
    e.elements = elements;
    e.t_begin = t0;
    e.t_end = t1;
    table.push_back(e);
    put(body, n);
  }
};

Aedat4Writer::Aedat4Writer(const std::string& path, std::vector<StreamInfo> streams, Aedat4WriteOptions options)
    : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.path = path;
  im.streams = std::move(streams);
  im.opts = options;
  HNN_CHECK(!im.streams.empty(), "{}: an AEDAT 4 file needs at least one stream", path);
  HNN_CHECK(options.events_per_packet >= 1 && options.events_per_packet <= (size_t{1} << 26),
            "{}: events_per_packet is {}, expected 1 to 2^26", path, options.events_per_packet);
  for (size_t i = 0; i < im.streams.size(); ++i) {
    const StreamInfo& s = im.streams[i];
    HNN_CHECK(s.type != StreamType::Other, "{}: stream {} has no known type", path, s.id);
    HNN_CHECK(s.width >= 0 && s.width <= 32767 && s.height >= 0 && s.height <= 32767,
              "{}: stream {} size {}x{} is outside the format's 0-32767", path, s.id, s.width, s.height);
    for (size_t j = 0; j < i; ++j)
      HNN_CHECK(im.streams[j].id != s.id, "{}: stream id {} is declared twice", path, s.id);
  }
  im.tmp = path + ".tmp-" + std::to_string(getpid());
  im.f = std::fopen(im.tmp.c_str(), "wb");
  HNN_CHECK(im.f, "cannot open '{}' for writing: {}", path, std::strerror(errno));
  im.put("#!AER-DAT4.0\r\n", 14);
  std::vector<uint8_t> h = im.header(-1);
  im.header_len = h.size();
  im.put(h.data(), h.size());
}

Aedat4Writer::~Aedat4Writer() {
  if (impl_ && impl_->f) {
    std::fclose(impl_->f);
    std::remove(impl_->tmp.c_str());
  }
}

void Aedat4Writer::write_events(int sid, const EventStream& ev, size_t begin, size_t end) {
  auto& im = *impl_;
  HNN_CHECK(im.f, "{}: writer is closed", im.path);
  const StreamInfo& s = im.stream(sid, StreamType::Events);
  end = std::min(end, ev.size());
  begin = std::min(begin, end);
  auto it = im.last_t.find(sid);
  int64_t prev = it == im.last_t.end() ? INT64_MIN : it->second;
  for (size_t i = begin; i < end; ++i) {
    HNN_CHECK(ev.t[i] >= prev, "{}: cannot write event {}: timestamp {} µs is before the previous {} µs", im.path, i,
              ev.t[i], prev);
    prev = ev.t[i];
    HNN_CHECK(
        s.width == 0 || s.height == 0 || (ev.x[i] >= 0 && ev.x[i] < s.width && ev.y[i] >= 0 && ev.y[i] < s.height),
        "{}: cannot write event {} at (x={}, y={}): outside the {}x{} sensor", im.path, i, ev.x[i], ev.y[i], s.width,
        s.height);
  }
  for (size_t b = begin; b < end; b += im.opts.events_per_packet) {
    size_t n = std::min(im.opts.events_per_packet, end - b);
    im.fbb.Clear();
    fb::Event* out = nullptr;
    auto vec = im.fbb.CreateUninitializedVectorOfStructs<fb::Event>(n, &out);
    for (size_t i = 0; i < n; ++i) out[i] = fb::Event(ev.t[b + i], ev.x[b + i], ev.y[b + i], ev.p[b + i] != 0);
    im.fbb.FinishSizePrefixed(fb::CreateEventPacket(im.fbb, vec), "EVTS");
    im.packet(sid, (int64_t)n, ev.t[b], ev.t[b + n - 1]);
  }
  if (end > begin) im.last_t[sid] = ev.t[end - 1];
}

void Aedat4Writer::write_frame(int sid, const Frame& fr) {
  auto& im = *impl_;
  HNN_CHECK(im.f, "{}: writer is closed", im.path);
  const StreamInfo& s = im.stream(sid, StreamType::Frames);
  HNN_CHECK(fr.width >= 0 && fr.height >= 0 && fr.width <= 32767 && fr.height <= 32767 && fr.offset_x >= 0 &&
                fr.offset_y >= 0 && fr.offset_x <= 32767 && fr.offset_y <= 32767,
            "{}: frame size {}x{} at {},{} is outside the format's range", im.path, fr.width, fr.height, fr.offset_x,
            fr.offset_y);
  HNN_CHECK(fr.pixels.size() == (size_t)fr.width * fr.height * fr.channels(),
            "{}: frame has {} pixel bytes, expected {}x{}x{}", im.path, fr.pixels.size(), fr.width, fr.height,
            fr.channels());
  HNN_CHECK(s.width == 0 || s.height == 0 || (fr.offset_x + fr.width <= s.width && fr.offset_y + fr.height <= s.height),
            "{}: {}x{} frame does not fit the {}x{} stream", im.path, fr.width, fr.height, s.width, s.height);
  im.fbb.Clear();
  auto px = im.fbb.CreateVector(fr.pixels.data(), fr.pixels.size());
  auto root = fb::CreateFrame(im.fbb, fr.t, fr.begin_t, fr.end_t, fr.exposure_begin_t, fr.exposure_end_t,
                              (fb::FrameFormat)fr.format, (int16_t)fr.width, (int16_t)fr.height, (int16_t)fr.offset_x,
                              (int16_t)fr.offset_y, px);
  im.fbb.FinishSizePrefixed(root, "FRME");
  im.packet(sid, 1, fr.t, fr.t);
}

void Aedat4Writer::write_imu(int sid, const std::vector<ImuSample>& v, size_t begin, size_t end) {
  auto& im = *impl_;
  HNN_CHECK(im.f, "{}: writer is closed", im.path);
  im.stream(sid, StreamType::Imu);
  end = std::min(end, v.size());
  if (begin >= end) return;
  im.fbb.Clear();
  std::vector<flatbuffers::Offset<fb::Imu>> items;
  items.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const ImuSample& m = v[i];
    items.push_back(fb::CreateImu(im.fbb, m.t, m.temperature, m.accelerometer[0], m.accelerometer[1],
                                  m.accelerometer[2], m.gyroscope[0], m.gyroscope[1], m.gyroscope[2], m.magnetometer[0],
                                  m.magnetometer[1], m.magnetometer[2]));
  }
  im.fbb.FinishSizePrefixed(fb::CreateImuPacket(im.fbb, im.fbb.CreateVector(items)), "IMUS");
  im.packet(sid, (int64_t)(end - begin), v[begin].t, v[end - 1].t);
}

void Aedat4Writer::write_triggers(int sid, const std::vector<Trigger>& v, size_t begin, size_t end) {
  auto& im = *impl_;
  HNN_CHECK(im.f, "{}: writer is closed", im.path);
  im.stream(sid, StreamType::Triggers);
  end = std::min(end, v.size());
  if (begin >= end) return;
  im.fbb.Clear();
  std::vector<flatbuffers::Offset<fb::Trigger>> items;
  items.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    HNN_CHECK(v[i].source >= -128 && v[i].source <= 127, "{}: trigger source {} does not fit int8", im.path,
              v[i].source);
    items.push_back(fb::CreateTrigger(im.fbb, v[i].t, (fb::TriggerSource)v[i].source));
  }
  im.fbb.FinishSizePrefixed(fb::CreateTriggerPacket(im.fbb, im.fbb.CreateVector(items)), "TRIG");
  im.packet(sid, (int64_t)(end - begin), v[begin].t, v[end - 1].t);
}

void Aedat4Writer::close() {
  auto& im = *impl_;
  HNN_CHECK(im.f, "{}: writer is already closed", im.path);
  if (im.opts.write_table) {
    const int64_t table_pos = (int64_t)im.pos;
    im.fbb.Clear();
    std::vector<flatbuffers::Offset<fb::FileDataDefinition>> defs;
    defs.reserve(im.table.size());
    for (const PacketInfo& e : im.table) {
      fb::PacketHeader ph(e.stream_id, e.size);
      defs.push_back(fb::CreateFileDataDefinition(im.fbb, e.byte_offset, &ph, e.elements, e.t_begin, e.t_end));
    }
    im.fbb.FinishSizePrefixed(fb::CreateFileDataTable(im.fbb, im.fbb.CreateVector(defs)), "FTAB");
    const uint8_t* body = im.fbb.GetBufferPointer();
    size_t n = im.fbb.GetSize();
    if (im.opts.compression != Compression::None) {
      im.codec.compress(im.opts.compression, body, n, im.cbuf);
      body = im.cbuf.data();
      n = im.cbuf.size();
    }
    im.put(body, n);
    std::vector<uint8_t> h = im.header(table_pos);
    HNN_CHECK(h.size() == im.header_len, "{}: header size changed ({} -> {})", im.path, im.header_len, h.size());
    if (std::fseek(im.f, 14, SEEK_SET) != 0) fail("{}: seek error: {}", im.path, std::strerror(errno));
    im.put(h.data(), h.size());
  }
  bool ok = std::fflush(im.f) == 0;
  ok = (std::fclose(im.f) == 0) && ok;
  im.f = nullptr;
  if (!ok) {
    std::remove(im.tmp.c_str());
    fail("{}: error while writing: {}", im.path, std::strerror(errno));
  }
  if (std::rename(im.tmp.c_str(), im.path.c_str()) != 0) {
    int err = errno;
    std::remove(im.tmp.c_str());
    fail("cannot write '{}': {}", im.path, std::strerror(err));
  }
}

void write_aedat4(const std::string& path, const Recording& rec, const Aedat4WriteOptions& options) {
  std::vector<StreamInfo> streams = streams_for(rec);
  int frame_sid = -1, imu_sid = -1, trig_sid = -1;
  for (const auto& s : streams) {
    if (s.type == StreamType::Frames) frame_sid = s.id;
    if (s.type == StreamType::Imu) imu_sid = s.id;
    if (s.type == StreamType::Triggers) trig_sid = s.id;
  }
  // Packets in time order as a camera emits them: event chunks, and IMU/trigger runs cut at the
  // same boundaries; frames one per packet.
  struct Item {
    int64_t t;
    int kind;  // 0 events, 1 frame, 2 imu, 3 triggers
    size_t begin, end;
  };
  std::vector<Item> items;
  const EventStream& ev = rec.events;
  std::vector<int64_t> cuts;
  for (size_t b = 0; b < ev.size(); b += options.events_per_packet) {
    size_t e = std::min(ev.size(), b + options.events_per_packet);
    items.push_back({ev.t[b], 0, b, e});
    if (b > 0) cuts.push_back(ev.t[b]);
  }
  for (size_t i = 0; i < rec.frames.size(); ++i) items.push_back({rec.frames[i].t, 1, i, i + 1});
  auto split = [&](auto const& v, int kind) {
    size_t b = 0;
    size_t c = 0;
    while (b < v.size()) {
      while (c < cuts.size() && cuts[c] <= v[b].t) ++c;
      size_t e = b + 1;
      while (e < v.size() && (c >= cuts.size() || v[e].t < cuts[c]) && e - b < 4096) ++e;
      items.push_back({v[b].t, kind, b, e});
      b = e;
    }
  };
  split(rec.imu, 2);
  split(rec.triggers, 3);
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.t < b.t; });
  Aedat4Writer w(path, streams, options);
  for (const Item& it : items) {
    switch (it.kind) {
      case 0:
        w.write_events(0, ev, it.begin, it.end);
        break;
      case 1:
        w.write_frame(frame_sid, rec.frames[it.begin]);
        break;
      case 2:
        w.write_imu(imu_sid, rec.imu, it.begin, it.end);
        break;
      case 3:
        w.write_triggers(trig_sid, rec.triggers, it.begin, it.end);
        break;
    }
  }
  w.close();
}

}  // namespace hnn::events
