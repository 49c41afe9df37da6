// AEDAT 4.0 reader. Every length is checked against the bytes that remain before it is used;
// every flatbuffer goes through the flatbuffers Verifier before any accessor touches it.
#include <flatbuffers/flatbuffers.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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
#include "hnn/events/aedat4.h"

namespace hnn::events {

namespace {
constexpr char kMagic[] = "#!AER-DAT4.0\r\n";
constexpr size_t kMagicSize = 14;
constexpr uint64_t kHeaderStart = kMagicSize + 4;
constexpr size_t kMaxFrameSide = 32767;

// Verifier limits: a packet may hold many IMU/trigger tables (one table each).
flatbuffers::Verifier make_verifier(const uint8_t* p, size_t n, bool check_alignment = true) {
  return flatbuffers::Verifier(p, n, /*max_depth=*/64, /*max_tables=*/1u << 30, check_alignment);
}

// Verifies a size-prefixed buffer; a writer that did not align its fields is accepted too
// (unaligned loads are fine on the CPUs we run on).
template <typename T>
bool verify_size_prefixed(const uint8_t* p, size_t n, const char* identifier) {
  auto v = make_verifier(p, n);
  if (v.VerifySizePrefixedBuffer<T>(identifier)) return true;
  auto u = make_verifier(p, n, false);
  return u.VerifySizePrefixedBuffer<T>(identifier);
}
}  // namespace

struct Aedat4Reader::Impl {
  std::unique_ptr<detail::ByteSource> src;
  Aedat4ReadOptions opts;
  Compression compression = Compression::None;
  std::string description;
  std::vector<StreamInfo> streams;
  int64_t table_pos = -1;
  uint64_t data_begin = 0, data_end = 0, pos = 0;
  std::vector<uint8_t> dec_buf, align_buf;
  detail::Codec codec;
  std::map<int, int64_t> last_t;  // last event time per stream (time-order check)
  bool cut_short = false;         // the file ends before its packet table (recover)
  int64_t packets_read = 0;

  // Whether a whole packet starts at `at` (recover: an incomplete one at the end of a file without
  // its packet table is where the recording was cut, not a fault inside it).
  bool incomplete_tail(uint64_t at) const {
    if (!opts.recover || table_pos >= 0) return false;
    if (data_end - at < 8) return true;
    const int32_t size = detail::load_i32_le(src->read(at + 4, 4, "a packet header"));
    return size > 0 && (uint64_t)size > data_end - at - 8;
  }
  void warn_dropped(uint64_t at) const {
    spdlog::warn(
        "{}: cut short: recovered {} complete packets; the last {} bytes (an incomplete packet at byte {}) "
        "are dropped",
        src->name(), packets_read, data_end - at, at);
  }

  const StreamInfo* stream(int id) const {
    for (const auto& s : streams)
      if (s.id == id) return &s;
    return nullptr;
  }

  void open() {
    const uint8_t* m = src->read(0, kMagicSize, "the AEDAT 4.0 magic");
    if (std::memcmp(m, kMagic, kMagicSize) != 0)
      src->fail_at(0, "not an AEDAT 4.0 file: expected the magic \"#!AER-DAT4.0\\r\\n\"");
    uint32_t hlen = detail::load_u32_le(src->read(kMagicSize, 4, "the IOHeader length"));
    if (hlen > src->size() - kHeaderStart)
      src->fail_at(kMagicSize, "IOHeader length {} exceeds the {} bytes left in the file", hlen,
                   src->size() - kHeaderStart);
    // The length field is the buffer's size prefix (DV aligns the fields relative to it).
    std::vector<uint8_t> hdr;
    const uint8_t* h = src->read_into(kMagicSize, 4 + (size_t)hlen, hdr, "the IOHeader");
    if (hlen < 8 || !verify_size_prefixed<fb::IOHeader>(h, 4 + (size_t)hlen, "IOHE"))
      src->fail_at(kHeaderStart, "invalid IOHeader flatbuffer of {} bytes (expected identifier IOHE)", hlen);
    const fb::IOHeader* io = fb::GetSizePrefixedIOHeader(h);
    int c = (int)io->compression();
    if (c < 0 || c > 4) src->fail_at(kHeaderStart, "unknown compression {} (expected 0-4)", c);
    compression = (Compression)c;
    data_begin = kHeaderStart + hlen;
    table_pos = io->data_table_position();
    if (opts.recover && table_pos > (int64_t)src->size()) {
      // A copy cut short keeps the position of a table it no longer has.
      spdlog::warn(
          "{}: its packet table would start at byte {}, past its end at byte {}: cut short (or a damaged "
          "position); reading its packets in order up to the last complete one",
          src->name(), table_pos, src->size());
      cut_short = true;
      table_pos = -1;
    }
    if (table_pos != -1 && (table_pos < (int64_t)data_begin || (uint64_t)table_pos > src->size()))
      src->fail_at(kHeaderStart, "packet table position {} is outside the data [{}, {}]", table_pos, data_begin,
                   src->size());
    data_end = table_pos >= 0 ? (uint64_t)table_pos : src->size();
    if (!io->description()) src->fail_at(kHeaderStart, "IOHeader has no stream description");
    description.assign(io->description()->c_str(), io->description()->size());
    uint64_t desc_offset = kMagicSize + (uint64_t)((const uint8_t*)io->description()->c_str() - h);
    streams = detail::parse_description(description, desc_offset, *src);
    if (streams.empty()) src->fail_at(desc_offset, "the stream description lists no outInfo streams");
    pos = data_begin;
  }

  // Decodes the packet whose header is at `at`; returns the offset after it.
  uint64_t decode_at(uint64_t at, Aedat4Packet& out, bool check_order) {
    if (data_end - at < 8) src->fail_at(at, "truncated packet header: {} bytes left, expected 8", data_end - at);
    const uint8_t* ph = src->read(at, 8, "a packet header");
    int32_t sid = detail::load_i32_le(ph);
    int32_t size = detail::load_i32_le(ph + 4);
    const StreamInfo* s = stream(sid);
    if (!s) src->fail_at(at, "packet of stream {}, which the description does not list", sid);
    if (size <= 0 || (uint64_t)size > data_end - at - 8)
      src->fail_at(at + 4, "packet size {} of stream {} is outside [1, {}] (the bytes left{})", size, sid,
                   data_end - at - 8, table_pos >= 0 ? " before the packet table" : "");
    const uint64_t body_at = at + 8;
    const uint8_t* b;
    size_t bn;
    if (compression == Compression::None) {
      b = src->read(body_at, (size_t)size, "a packet body");
      bn = (size_t)size;
    } else {
      const uint8_t* raw = src->read(body_at, (size_t)size, "a packet body");  // no copy from memory
      std::string err;
      if (!codec.decompress(compression, raw, (size_t)size, dec_buf, err))
        src->fail_at(body_at, "packet of stream {} ({}): {}", sid, to_string(compression), err);
      b = dec_buf.data();
      bn = dec_buf.size();
    }
    // Flatbuffer fields are aligned relative to the buffer start: give it 8-byte alignment.
    if (reinterpret_cast<uintptr_t>(b) % 8 != 0) {
      align_buf.assign(b, b + bn);
      b = align_buf.data();
    }
    // Byte offset in the file of a pointer into the body (exact when uncompressed).
    auto file_offset = [&](const uint8_t* p) -> uint64_t {
      return compression == Compression::None ? body_at + (uint64_t)(p - b) : body_at;
    };
    if (bn < 12) src->fail_at(body_at, "packet body of {} bytes is too short for a flatbuffer", bn);
    uint32_t prefix = detail::load_u32_le(b);
    if (prefix != bn - 4)
      src->fail_at(body_at, "size prefix {} does not match the {}-byte packet body", prefix, bn - 4);
    const char* want = type_identifier(s->type);
    if (s->type != StreamType::Other && std::memcmp(b + 8, want, 4) != 0)
      src->fail_at(file_offset(b + 8), "packet of stream {} has identifier '{}', expected '{}'", sid, printable(b + 8),
                   want);
    out.stream_id = sid;
    out.type = s->type;
    out.byte_offset = (int64_t)at;
    switch (s->type) {
      case StreamType::Events: {
        if (!verify_size_prefixed<fb::EventPacket>(b, bn, want))
          src->fail_at(body_at, "invalid EventPacket flatbuffer in stream {}", sid);
        decode_events(fb::GetSizePrefixedEventPacket(b), *s, out.events, check_order, file_offset);
        break;
      }
      case StreamType::Frames: {
        if (!verify_size_prefixed<fb::Frame>(b, bn, want))
          src->fail_at(body_at, "invalid Frame flatbuffer in stream {}", sid);
        decode_frame(fb::GetSizePrefixedFrame(b), *s, out.frame, body_at);
        break;
      }
      case StreamType::Imu: {
        if (!verify_size_prefixed<fb::ImuPacket>(b, bn, want))
          src->fail_at(body_at, "invalid ImuPacket flatbuffer in stream {}", sid);
        decode_imu(fb::GetSizePrefixedImuPacket(b), out.imu);
        break;
      }
      case StreamType::Triggers: {
        if (!verify_size_prefixed<fb::TriggerPacket>(b, bn, want))
          src->fail_at(body_at, "invalid TriggerPacket flatbuffer in stream {}", sid);
        decode_triggers(fb::GetSizePrefixedTriggerPacket(b), out.triggers);
        break;
      }
      case StreamType::Other:
        break;  // unknown stream types are skipped
    }
    return body_at + (uint64_t)size;
  }

  static std::string printable(const uint8_t* p) {
    std::string s;
    for (int i = 0; i < 4; ++i) s += (p[i] >= 32 && p[i] < 127) ? (char)p[i] : '?';
    return s;
  }

  template <typename Offset>
  void decode_events(const fb::EventPacket* pk, const StreamInfo& s, EventStream& ev, bool check_order,
                     const Offset& file_offset) {
    ev.width = s.width;
    ev.height = s.height;
    const auto* el = pk->elements();
    const size_t n = el ? el->size() : 0;
    ev.resize(n);
    if (n == 0) return;
    const uint8_t* raw = reinterpret_cast<const uint8_t*>(el->Data());
    int64_t* T = ev.t.data();
    int16_t* X = ev.x.data();
    int16_t* Y = ev.y.data();
    uint8_t* P = ev.p.data();
    auto it = last_t.find(s.id);
    const int64_t start = (check_order && it != last_t.end()) ? it->second : INT64_MIN;
    int64_t prev = start;
    const uint32_t W = (uint32_t)s.width, H = (uint32_t)s.height;
    const bool bounds = opts.check_bounds && W > 0 && H > 0;
    bool unsorted = false, outside = false;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* e = raw + 16 * i;
      int64_t t;
      int16_t x, y;
      std::memcpy(&t, e, 8);
      std::memcpy(&x, e + 8, 2);
      std::memcpy(&y, e + 10, 2);
      T[i] = t;
      X[i] = x;
      Y[i] = y;
      P[i] = e[12] != 0;
      unsorted |= t < prev;
      prev = t;
      outside |= (uint32_t)(uint16_t)x >= W || (uint32_t)(uint16_t)y >= H;
    }
    if (opts.check_sorted && unsorted) {
      int64_t before = start;
      for (size_t i = 0; i < n; ++i) {
        if (T[i] < before)
          src->fail_at(file_offset(raw + 16 * i),
                       "event {} of the packet of stream {} has timestamp {} µs, before the previous "
                       "event's {} µs (expected sorted times)",
                       i, s.id, T[i], before);
        before = T[i];
      }
    }
    if (bounds && outside) {
      for (size_t i = 0; i < n; ++i)
        if ((uint32_t)(uint16_t)X[i] >= W || (uint32_t)(uint16_t)Y[i] >= H)
          src->fail_at(file_offset(raw + 16 * i),
                       "event {} of the packet of stream {} at (x={}, y={}) is outside the {}x{} sensor", i, s.id, X[i],
                       Y[i], W, H);
    }
    if (check_order) last_t[s.id] = T[n - 1];
  }

  void decode_frame(const fb::Frame* f, const StreamInfo& s, Frame& out, uint64_t at) {
    int fmt = (int)f->format();
    if (fmt != 0 && fmt != 16 && fmt != 24)
      src->fail_at(at, "frame of stream {} has pixel format {}, expected 0 (gray), 16 (BGR) or 24 (BGRA)", s.id, fmt);
    out.format = (FrameFormat)fmt;
    out.t = f->t();
    out.begin_t = f->begin_t();
    out.end_t = f->end_t();
    out.exposure_begin_t = f->exposure_begin_t();
    out.exposure_end_t = f->exposure_end_t();
    out.width = f->width();
    out.height = f->height();
    out.offset_x = f->offset_x();
    out.offset_y = f->offset_y();
    if (out.width < 0 || out.height < 0 || out.offset_x < 0 || out.offset_y < 0)
      src->fail_at(at, "frame of stream {} has negative size or offset ({}x{} at {},{})", s.id, out.width, out.height,
                   out.offset_x, out.offset_y);
    if (opts.check_bounds && s.width > 0 && s.height > 0 &&
        (out.offset_x + out.width > s.width || out.offset_y + out.height > s.height))
      src->fail_at(at, "frame of stream {} ({}x{} at {},{}) does not fit the {}x{} sensor", s.id, out.width, out.height,
                   out.offset_x, out.offset_y, s.width, s.height);
    size_t want = (size_t)out.width * out.height * out.channels();
    size_t have = f->pixels() ? f->pixels()->size() : 0;
    if (want != have)
      src->fail_at(at, "frame of stream {} has {} pixel bytes, expected {}x{}x{} = {}", s.id, have, out.width,
                   out.height, out.channels(), want);
    if (have)
      out.pixels.assign(f->pixels()->data(), f->pixels()->data() + have);
    else
      out.pixels.clear();
  }

  static void decode_imu(const fb::ImuPacket* pk, std::vector<ImuSample>& out) {
    const auto* el = pk->elements();
    out.resize(el ? el->size() : 0);
    for (size_t i = 0; i < out.size(); ++i) {
      const fb::Imu* m = el->Get((flatbuffers::uoffset_t)i);
      ImuSample& o = out[i];
      o.t = m->t();
      o.temperature = m->temperature();
      o.accelerometer[0] = m->accelerometer_x();
      o.accelerometer[1] = m->accelerometer_y();
      o.accelerometer[2] = m->accelerometer_z();
      o.gyroscope[0] = m->gyroscope_x();
      o.gyroscope[1] = m->gyroscope_y();
      o.gyroscope[2] = m->gyroscope_z();
      o.magnetometer[0] = m->magnetometer_x();
      o.magnetometer[1] = m->magnetometer_y();
      o.magnetometer[2] = m->magnetometer_z();
    }
  }

  static void decode_triggers(const fb::TriggerPacket* pk, std::vector<Trigger>& out) {
    const auto* el = pk->elements();
    out.resize(el ? el->size() : 0);
    for (size_t i = 0; i < out.size(); ++i) {
      const fb::Trigger* m = el->Get((flatbuffers::uoffset_t)i);
      out[i].t = m->t();
      out[i].source = (int)m->source();
    }
  }

  std::vector<PacketInfo> read_table() {
    const uint64_t at = (uint64_t)table_pos;
    size_t n = (size_t)(src->size() - at);
    std::vector<uint8_t> raw;
    const uint8_t* p = src->read_into(at, n, raw, "the packet table");
    const uint8_t* b = p;
    size_t bn = n;
    if (compression != Compression::None) {
      std::string err;
      if (!codec.decompress(compression, p, n, dec_buf, err))
        src->fail_at(at, "packet table ({}): {}", to_string(compression), err);
      b = dec_buf.data();
      bn = dec_buf.size();
    }
    if (bn < 12 || detail::load_u32_le(b) != bn - 4)
      src->fail_at(at, "packet table: size prefix does not match its {} bytes", bn);
    if (!verify_size_prefixed<fb::FileDataTable>(b, bn, "FTAB"))
      src->fail_at(at, "invalid packet table flatbuffer (expected identifier FTAB)");
    const auto* tab = fb::GetSizePrefixedFileDataTable(b)->table();
    std::vector<PacketInfo> out;
    if (!tab) return out;
    out.reserve(tab->size());
    for (const fb::FileDataDefinition* d : *tab) {
      PacketInfo e;
      e.byte_offset = d->byte_offset();
      if (d->packet_info()) {
        e.stream_id = d->packet_info()->stream_id();
        e.size = d->packet_info()->size();
      }
      e.elements = d->num_elements();
      e.t_begin = d->t_start();
      e.t_end = d->t_end();
      if (e.byte_offset < (int64_t)data_begin + 8 || e.size <= 0 ||
          (uint64_t)e.byte_offset + (uint64_t)e.size > data_end || !stream(e.stream_id))
        src->fail_at(at, "packet table entry {} (offset {}, size {}, stream {}) does not point at a packet", out.size(),
                     e.byte_offset, e.size, e.stream_id);
      out.push_back(e);
    }
    return out;
  }
};

Aedat4Reader::Aedat4Reader(const std::string& path, Aedat4ReadOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->src = detail::ByteSource::open_file(path);
  impl_->opts = options;
  impl_->open();
}

Aedat4Reader::Aedat4Reader(const void* data, size_t size, std::string name, Aedat4ReadOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->src = detail::ByteSource::view(data, size, std::move(name));
  impl_->opts = options;
  impl_->open();
}

Aedat4Reader::~Aedat4Reader() = default;
Aedat4Reader::Aedat4Reader(Aedat4Reader&&) noexcept = default;
Aedat4Reader& Aedat4Reader::operator=(Aedat4Reader&&) noexcept = default;

const std::string& Aedat4Reader::name() const {
  return impl_->src->name();
}
Compression Aedat4Reader::compression() const {
  return impl_->compression;
}
const std::string& Aedat4Reader::description() const {
  return impl_->description;
}
const std::vector<StreamInfo>& Aedat4Reader::streams() const {
  return impl_->streams;
}
const StreamInfo* Aedat4Reader::stream(int id) const {
  return impl_->stream(id);
}
int64_t Aedat4Reader::data_table_position() const {
  return impl_->table_pos;
}

const StreamInfo* Aedat4Reader::find_stream(StreamType type) const {
  for (const auto& s : impl_->streams)
    if (s.type == type) return &s;
  return nullptr;
}

bool Aedat4Reader::next_packet(Aedat4Packet& out) {
  auto& im = *impl_;
  if (im.pos >= im.data_end) return false;
  if (im.incomplete_tail(im.pos)) {
    im.warn_dropped(im.pos);
    im.cut_short = true;
    im.pos = im.data_end;
    return false;
  }
  im.pos = im.decode_at(im.pos, out, /*check_order=*/true);
  ++im.packets_read;
  return true;
}

bool Aedat4Reader::cut_short() const {
  return impl_->cut_short;
}

void Aedat4Reader::rewind() {
  impl_->pos = impl_->data_begin;
  impl_->last_t.clear();
  impl_->packets_read = 0;
}

std::vector<PacketInfo> Aedat4Reader::packet_table() {
  if (impl_->table_pos >= 0) return impl_->read_table();
  std::vector<PacketInfo> out;
  Aedat4Packet pk;
  uint64_t at = impl_->data_begin;
  while (at < impl_->data_end) {
    if (impl_->incomplete_tail(at)) break;
    uint64_t next = impl_->decode_at(at, pk, /*check_order=*/false);
    PacketInfo e;
    e.byte_offset = (int64_t)at + 8;
    e.stream_id = pk.stream_id;
    e.size = (int32_t)(next - at - 8);
    e.elements = (int64_t)pk.elements();
    switch (pk.type) {
      case StreamType::Events:
        e.t_begin = pk.events.t_first();
        e.t_end = pk.events.t_last();
        break;
      case StreamType::Frames:
        e.t_begin = e.t_end = pk.frame.t;
        break;
      case StreamType::Imu:
        if (!pk.imu.empty()) e.t_begin = pk.imu.front().t, e.t_end = pk.imu.back().t;
        break;
      case StreamType::Triggers:
        if (!pk.triggers.empty()) e.t_begin = pk.triggers.front().t, e.t_end = pk.triggers.back().t;
        break;
      case StreamType::Other:
        break;
    }
    out.push_back(e);
    at = next;
  }
  return out;
}

void Aedat4Reader::read_packet(const PacketInfo& info, Aedat4Packet& out) {
  auto& im = *impl_;
  if (info.byte_offset < (int64_t)im.data_begin + 8 || (uint64_t)info.byte_offset > im.data_end)
    im.src->fail_at((uint64_t)std::max<int64_t>(info.byte_offset, 0), "no packet at this offset (data spans [{}, {}])",
                    im.data_begin, im.data_end);
  uint64_t at = (uint64_t)info.byte_offset - 8;
  im.decode_at(at, out, /*check_order=*/false);
  if (out.stream_id != info.stream_id)
    im.src->fail_at(at, "packet belongs to stream {}, the table says {}", out.stream_id, info.stream_id);
}

}  // namespace hnn::events
