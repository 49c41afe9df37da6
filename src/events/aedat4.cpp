// AEDAT 4.0 pieces shared by the reader and the writer: names of compressions and stream
// types, stream descriptions, and the whole-recording read.
#include <cctype>

#include "hnn/core/error.h"
#include "hnn/events/aedat4.h"

namespace hnn::events {

std::string to_string(Compression c) {
  switch (c) {
    case Compression::None:
      return "none";
    case Compression::Lz4:
      return "lz4";
    case Compression::Lz4High:
      return "lz4-high";
    case Compression::Zstd:
      return "zstd";
    case Compression::ZstdHigh:
      return "zstd-high";
  }
  return "unknown";
}

Compression parse_compression(const std::string& s) {
  std::string l;
  for (char c : s) l += (c == '_') ? '-' : (char)std::tolower((unsigned char)c);
  if (l == "none") return Compression::None;
  if (l == "lz4") return Compression::Lz4;
  if (l == "lz4-high") return Compression::Lz4High;
  if (l == "zstd") return Compression::Zstd;
  if (l == "zstd-high") return Compression::ZstdHigh;
  fail("unknown compression '{}', expected none, lz4, lz4-high, zstd or zstd-high", s);
}

const char* type_identifier(StreamType t) {
  switch (t) {
    case StreamType::Events:
      return "EVTS";
    case StreamType::Frames:
      return "FRME";
    case StreamType::Imu:
      return "IMUS";
    case StreamType::Triggers:
      return "TRIG";
    case StreamType::Other:
      return "";
  }
  return "";
}

size_t Aedat4Packet::elements() const {
  switch (type) {
    case StreamType::Events:
      return events.size();
    case StreamType::Frames:
      return 1;
    case StreamType::Imu:
      return imu.size();
    case StreamType::Triggers:
      return triggers.size();
    case StreamType::Other:
      return 0;
  }
  return 0;
}

StreamInfo StreamInfo::events(int id, int width, int height, std::string source) {
  StreamInfo s;
  s.id = id;
  s.type = StreamType::Events;
  s.type_identifier = "EVTS";
  s.name = "events";
  s.source = std::move(source);
  s.width = width;
  s.height = height;
  return s;
}

StreamInfo StreamInfo::frames(int id, int width, int height, std::string source) {
  StreamInfo s = events(id, width, height, std::move(source));
  s.type = StreamType::Frames;
  s.type_identifier = "FRME";
  s.name = "frames";
  return s;
}

StreamInfo StreamInfo::imu(int id, std::string source) {
  StreamInfo s = events(id, 0, 0, std::move(source));
  s.type = StreamType::Imu;
  s.type_identifier = "IMUS";
  s.name = "imu";
  return s;
}

StreamInfo StreamInfo::triggers(int id, std::string source) {
  StreamInfo s = events(id, 0, 0, std::move(source));
  s.type = StreamType::Triggers;
  s.type_identifier = "TRIG";
  s.name = "triggers";
  return s;
}

std::vector<StreamInfo> streams_for(const Recording& rec) {
  std::string src = rec.camera.empty() ? "hnn" : rec.camera;
  int w = rec.events.width, h = rec.events.height;
  if ((w == 0 || h == 0) && !rec.frames.empty()) {
    w = rec.frames[0].offset_x + rec.frames[0].width;
    h = rec.frames[0].offset_y + rec.frames[0].height;
  }
  std::vector<StreamInfo> s{StreamInfo::events(0, w, h, src)};
  if (!rec.frames.empty()) s.push_back(StreamInfo::frames((int)s.size(), w, h, src));
  if (!rec.imu.empty()) s.push_back(StreamInfo::imu((int)s.size(), src));
  if (!rec.triggers.empty()) s.push_back(StreamInfo::triggers((int)s.size(), src));
  return s;
}

namespace {
Recording read_all(Aedat4Reader& r) {
  Recording rec;
  rec.format = "aedat4";
  const StreamInfo* ev = r.find_stream(StreamType::Events);
  const StreamInfo* fr = r.find_stream(StreamType::Frames);
  const StreamInfo* im = r.find_stream(StreamType::Imu);
  const StreamInfo* tr = r.find_stream(StreamType::Triggers);
  if (ev) {
    rec.events.width = ev->width;
    rec.events.height = ev->height;
    rec.camera = ev->source;
  } else if (fr) {
    rec.events.width = fr->width;
    rec.events.height = fr->height;
    rec.camera = fr->source;
  }
  Aedat4Packet pk;
  while (r.next_packet(pk)) {
    if (ev && pk.stream_id == ev->id)
      rec.events.append(pk.events);
    else if (fr && pk.stream_id == fr->id)
      rec.frames.push_back(pk.frame);
    else if (im && pk.stream_id == im->id)
      rec.imu.insert(rec.imu.end(), pk.imu.begin(), pk.imu.end());
    else if (tr && pk.stream_id == tr->id)
      rec.triggers.insert(rec.triggers.end(), pk.triggers.begin(), pk.triggers.end());
  }
  return rec;
}
}  // namespace

Recording read_aedat4(const std::string& path, const Aedat4ReadOptions& options) {
  Aedat4Reader r(path, options);
  return read_all(r);
}

Recording read_aedat4(const void* data, size_t size, const std::string& name, const Aedat4ReadOptions& options) {
  Aedat4Reader r(data, size, name, options);
  return read_all(r);
}

}  // namespace hnn::events
