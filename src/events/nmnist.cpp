#include "hnn/events/nmnist.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "byte_source.h"
#include "hnn/core/fs.h"

namespace hnn::events {

namespace {
constexpr size_t kRecord = 5;
constexpr int kOverflowY = 240;
constexpr int64_t kOverflowStep = int64_t{1} << 13;
constexpr int64_t kMaxTime = (int64_t{1} << 23) - 1;
constexpr size_t kScanChunk = 1 << 16;  // records per read when scanning a file
}  // namespace

struct NmnistReader::Impl {
  std::unique_ptr<detail::ByteSource> src;
  NmnistOptions opts;
  int width = 0, height = 0;
  uint64_t records = 0, next = 0;  // next record index
  int64_t t_base = 0, prev_t = INT64_MIN;

  void open() {
    if (src->size() % kRecord != 0) {
      if (!opts.recover)
        src->fail_at(src->size() - src->size() % kRecord,
                     "truncated N-MNIST file: {} bytes is not a whole number of 5-byte events", src->size());
      spdlog::warn("{}: cut short in the middle of an event: read its {} whole events, dropped the last {} bytes",
                   src->name(), src->size() / kRecord, src->size() % kRecord);
    }
    records = src->size() / kRecord;
    width = opts.width;
    height = opts.height;
    if (width < 0 || height < 0 || width > 256 || height > 256)
      fail("{}: sensor size {}x{} is outside 1-256 (8-bit coordinates)", src->name(), width, height);
    if (width == 0 || height == 0) {
      int mx = -1, my = -1;
      for (uint64_t r = 0; r < records; r += kScanChunk) {
        size_t n = (size_t)std::min<uint64_t>(kScanChunk, records - r);
        const uint8_t* b = src->read(r * kRecord, n * kRecord, "events");
        for (size_t i = 0; i < n; ++i) {
          if (b[i * kRecord + 1] == kOverflowY) continue;
          mx = std::max<int>(mx, b[i * kRecord]);
          my = std::max<int>(my, b[i * kRecord + 1]);
        }
      }
      if (mx < 34 && my < 34)
        width = height = 34;
      else
        width = mx + 1, height = my + 1;
    }
  }
};

NmnistReader::NmnistReader(const std::string& path, NmnistOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->src = detail::ByteSource::open_file(path);
  impl_->opts = options;
  impl_->open();
}

NmnistReader::NmnistReader(const void* data, size_t size, std::string name, NmnistOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->src = detail::ByteSource::view(data, size, std::move(name));
  impl_->opts = options;
  impl_->open();
}

NmnistReader::~NmnistReader() = default;
NmnistReader::NmnistReader(NmnistReader&&) noexcept = default;
NmnistReader& NmnistReader::operator=(NmnistReader&&) noexcept = default;

int NmnistReader::width() const {
  return impl_->width;
}
int NmnistReader::height() const {
  return impl_->height;
}
uint64_t NmnistReader::records() const {
  return impl_->records;
}

void NmnistReader::rewind() {
  impl_->next = 0;
  impl_->t_base = 0;
  impl_->prev_t = INT64_MIN;
}

bool NmnistReader::next_packet(EventStream& out, size_t max_events) {
  auto& im = *impl_;
  out.clear();
  out.width = im.width;
  out.height = im.height;
  if (im.next >= im.records) return false;
  max_events = std::max<size_t>(1, max_events);
  size_t n = (size_t)std::min<uint64_t>(max_events, im.records - im.next);
  const uint64_t at = im.next * kRecord;
  const uint8_t* b = im.src->read(at, n * kRecord, "events");
  out.resize(n);
  int64_t* T = out.t.data();
  int16_t* X = out.x.data();
  int16_t* Y = out.y.data();
  uint8_t* P = out.p.data();
  const unsigned W = (unsigned)im.width, H = (unsigned)im.height;
  size_t k = 0;
  int64_t prev = im.prev_t;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* e = b + i * kRecord;
    unsigned x = e[0], y = e[1];
    if (y == kOverflowY) {
      im.t_base += kOverflowStep;
      continue;
    }
    int64_t t = im.t_base + ((int64_t)(e[2] & 0x7f) << 16 | (int64_t)e[3] << 8 | e[4]);
    if (x >= W || y >= H)
      im.src->fail_at(at + i * kRecord, "event at (x={}, y={}) is outside the {}x{} sensor", x, y, W, H);
    if (t < prev && im.opts.check_sorted)
      im.src->fail_at(at + i * kRecord,
                      "event timestamp {} µs is before the previous event's {} µs "
                      "(expected sorted times)",
                      t, prev);
    prev = t;
    T[k] = t;
    X[k] = (int16_t)x;
    Y[k] = (int16_t)y;
    P[k] = e[2] >> 7;
    ++k;
  }
  im.prev_t = prev;
  out.resize(k);
  im.next += n;
  return true;
}

namespace {
EventStream read_all(NmnistReader& r) {
  EventStream all, pk;
  all.reserve((size_t)r.records());
  while (r.next_packet(pk, 1 << 20)) all.append(pk);
  all.width = r.width();
  all.height = r.height();
  return all;
}
}  // namespace

EventStream read_nmnist(const std::string& path, const NmnistOptions& options) {
  NmnistReader r(path, options);
  return read_all(r);
}

EventStream read_nmnist(const void* data, size_t size, const std::string& name, const NmnistOptions& options) {
  NmnistReader r(data, size, name, options);
  return read_all(r);
}

void write_nmnist(const std::string& path, const EventStream& ev, int64_t t_shift) {
  std::string bytes(ev.size() * kRecord, '\0');
  for (size_t i = 0; i < ev.size(); ++i) {
    int64_t t = ev.t[i] - t_shift;
    HNN_CHECK(t >= 0 && t <= kMaxTime,
              "{}: event {} at {} µs is outside the N-MNIST format's 23-bit time range [0, {}] µs", path, i, t,
              kMaxTime);
    HNN_CHECK(ev.x[i] >= 0 && ev.x[i] < 256 && ev.y[i] >= 0 && ev.y[i] < 256 && ev.y[i] != kOverflowY,
              "{}: event {} at (x={}, y={}) does not fit N-MNIST's 8-bit coordinates (y 240 is reserved)", path, i,
              ev.x[i], ev.y[i]);
    HNN_CHECK(i == 0 || ev.t[i] >= ev.t[i - 1], "{}: event {} goes back in time", path, i);
    uint8_t* e = reinterpret_cast<uint8_t*>(&bytes[i * kRecord]);
    e[0] = (uint8_t)ev.x[i];
    e[1] = (uint8_t)ev.y[i];
    e[2] = (uint8_t)((ev.p[i] ? 0x80 : 0) | ((t >> 16) & 0x7f));
    e[3] = (uint8_t)(t >> 8);
    e[4] = (uint8_t)t;
  }
  write_file_atomically(path, bytes);
}

}  // namespace hnn::events
