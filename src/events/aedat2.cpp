#include "hnn/events/aedat2.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "byte_source.h"
#include "hnn/core/fs.h"

namespace hnn::events {

namespace {
constexpr char kMagic[] = "#!AER-DAT2.0";
constexpr size_t kRecord = 8;
constexpr uint32_t kDavisApsOrImu = 1u << 31;
constexpr uint32_t kDavisExternal = 1u << 10;

std::string lower(std::string s) {
  for (char& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

// Sensor size of a jAER chip class name; {0, 0} when unknown.
std::pair<int, int> chip_size(const std::string& chip) {
  std::string c = lower(chip);
  if (c.find("dvs128") != std::string::npos) return {128, 128};
  if (c.find("davis346") != std::string::npos) return {346, 260};
  if (c.find("davis240") != std::string::npos) return {240, 180};
  if (c.find("davis640") != std::string::npos) return {640, 480};
  return {0, 0};
}
}  // namespace

std::string to_string(Aedat2Layout l) {
  switch (l) {
    case Aedat2Layout::Auto:
      return "auto";
    case Aedat2Layout::Dvs128:
      return "dvs128";
    case Aedat2Layout::Davis:
      return "davis";
  }
  return "auto";
}

struct Aedat2Reader::Impl {
  std::unique_ptr<detail::ByteSource> src;
  Aedat2Options opts;
  Aedat2Layout layout = Aedat2Layout::Dvs128;
  int width = 0, height = 0;
  std::string chip;
  uint64_t header = 0, records = 0, next = 0, skipped = 0;
  int64_t wrap = 0;
  uint32_t prev_raw = 0;
  int64_t prev_t = INT64_MIN;
  std::vector<Trigger> triggers;
  int header_w = 0, header_h = 0;  // from our "# hnn-sensor-size: WxH" header line

  void open() {
    const uint64_t size = src->size();
    const uint8_t* m = src->read(0, std::min<uint64_t>(size, sizeof kMagic - 1), "the AEDAT 2.0 magic");
    if (size < sizeof kMagic - 1 || std::memcmp(m, kMagic, sizeof kMagic - 1) != 0)
      src->fail_at(0, "not an AEDAT 2.0 file: expected the first line \"#!AER-DAT2.0\"");
    // Header: lines that start with '#'. Read in chunks so a huge header never needs a huge buffer.
    uint64_t at = 0;
    std::string line;
    while (at < size) {
      const uint8_t* c = src->read(at, 1, "a header line");
      if (*c != '#') break;
      line.clear();
      uint64_t e = at;
      while (e < size) {
        size_t n = (size_t)std::min<uint64_t>(4096, size - e);
        const uint8_t* b = src->read(e, n, "a header line");
        const void* nl = std::memchr(b, '\n', n);
        size_t take = nl ? (size_t)((const uint8_t*)nl - b) + 1 : n;
        if (line.size() < 4096) line.append((const char*)b, std::min(take, 4096 - line.size()));
        e += take;
        if (nl) break;
      }
      auto sz = line.find("hnn-sensor-size:");
      if (sz != std::string::npos) {
        // 64-bit fields: a 32-bit %d would wrap 4294967297 to 1 (and overflowing it is undefined).
        long long w = 0, h = 0;
        if (std::sscanf(line.c_str() + sz + 16, " %lldx%lld", &w, &h) == 2) {
          if (w <= 0 || h <= 0 || w > 1024 || h > 512)
            src->fail_at(at, "header sensor size {}x{} is outside 1x1 to 1024x512", w, h);
          header_w = (int)w;
          header_h = (int)h;
        }
      }
      auto pos = line.find("AEChip:");
      if (pos != std::string::npos) {
        chip = line.substr(pos + 7);
        while (!chip.empty() && std::isspace((unsigned char)chip.front())) chip.erase(chip.begin());
        while (!chip.empty() && std::isspace((unsigned char)chip.back())) chip.pop_back();
      }
      at = e;
    }
    header = at;
    if ((size - header) % kRecord != 0) {
      if (!opts.recover)
        src->fail_at(size - (size - header) % kRecord,
                     "truncated AEDAT 2.0 file: {} bytes after the {}-byte header is not a whole number "
                     "of 8-byte events",
                     size - header, header);
      spdlog::warn("{}: cut short in the middle of an event: read its {} whole events, dropped the last {} bytes",
                   src->name(), (size - header) / kRecord, (size - header) % kRecord);
    }
    records = (size - header) / kRecord;
    layout = opts.layout;
    if (layout == Aedat2Layout::Auto)
      layout = lower(chip).find("davis") != std::string::npos ? Aedat2Layout::Davis : Aedat2Layout::Dvs128;
    auto [w, h] = chip_size(chip);
    if (header_w > 0) w = header_w, h = header_h;
    if (w == 0) std::tie(w, h) = layout == Aedat2Layout::Dvs128 ? std::pair{128, 128} : std::pair{346, 260};
    width = opts.width > 0 ? opts.width : w;
    height = opts.height > 0 ? opts.height : h;
    int max_w = layout == Aedat2Layout::Dvs128 ? 128 : 1024, max_h = layout == Aedat2Layout::Dvs128 ? 128 : 512;
    if (width > max_w || height > max_h)
      fail("{}: sensor size {}x{} does not fit the {} address layout (at most {}x{})", src->name(), width, height,
           to_string(layout), max_w, max_h);
  }
};

Aedat2Reader::Aedat2Reader(const std::string& path, Aedat2Options options) : impl_(std::make_unique<Impl>()) {
  impl_->src = detail::ByteSource::open_file(path);
  impl_->opts = options;
  impl_->open();
}

Aedat2Reader::Aedat2Reader(const void* data, size_t size, std::string name, Aedat2Options options)
    : impl_(std::make_unique<Impl>()) {
  impl_->src = detail::ByteSource::view(data, size, std::move(name));
  impl_->opts = options;
  impl_->open();
}

Aedat2Reader::~Aedat2Reader() = default;
Aedat2Reader::Aedat2Reader(Aedat2Reader&&) noexcept = default;
Aedat2Reader& Aedat2Reader::operator=(Aedat2Reader&&) noexcept = default;

Aedat2Layout Aedat2Reader::layout() const {
  return impl_->layout;
}
int Aedat2Reader::width() const {
  return impl_->width;
}
int Aedat2Reader::height() const {
  return impl_->height;
}
const std::string& Aedat2Reader::chip() const {
  return impl_->chip;
}
size_t Aedat2Reader::header_size() const {
  return (size_t)impl_->header;
}
uint64_t Aedat2Reader::events_in_file() const {
  return impl_->records;
}
const std::vector<Trigger>& Aedat2Reader::triggers() const {
  return impl_->triggers;
}
uint64_t Aedat2Reader::skipped() const {
  return impl_->skipped;
}

void Aedat2Reader::rewind() {
  auto& im = *impl_;
  im.next = 0;
  im.skipped = 0;
  im.wrap = 0;
  im.prev_raw = 0;
  im.prev_t = INT64_MIN;
  im.triggers.clear();
}

bool Aedat2Reader::next_packet(EventStream& out, size_t max_events) {
  auto& im = *impl_;
  out.clear();
  out.width = im.width;
  out.height = im.height;
  max_events = std::max<size_t>(1, max_events);
  const bool davis = im.layout == Aedat2Layout::Davis;
  const unsigned W = (unsigned)im.width, H = (unsigned)im.height;
  while (im.next < im.records && out.size() < max_events) {
    size_t n = (size_t)std::min<uint64_t>(max_events - out.size(), im.records - im.next);
    const uint64_t at = im.header + im.next * kRecord;
    const uint8_t* b = im.src->read(at, n * kRecord, "events");
    size_t k = out.size();
    out.resize(k + n);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* e = b + i * kRecord;
      uint32_t addr = detail::load_u32_be(e), ts = detail::load_u32_be(e + 4);
      // Unroll the 32-bit counter: a drop of more than half its range is a wrap, not disorder.
      if (ts < im.prev_raw && im.prev_raw - ts > 0x80000000u) im.wrap += int64_t{1} << 32;
      im.prev_raw = ts;
      int64_t t = im.wrap + ts;
      if (t < im.prev_t && im.opts.check_sorted)
        im.src->fail_at(at + i * kRecord,
                        "event timestamp {} µs is before the previous event's {} µs "
                        "(expected sorted times)",
                        t, im.prev_t);
      im.prev_t = std::max(im.prev_t, t);
      unsigned x, y, p;
      if (davis) {
        if (addr & kDavisApsOrImu) {
          ++im.skipped;
          continue;
        }
        if (addr & kDavisExternal) {
          im.triggers.push_back({t, 1});
          continue;
        }
        unsigned xf = (addr >> 12) & 0x3ff, yf = (addr >> 22) & 0x1ff;
        if (xf >= W || yf >= H)
          im.src->fail_at(at + i * kRecord, "address 0x{:08x} gives (x={}, y={}) outside the {}x{} sensor", addr, xf,
                          yf, W, H);
        x = W - 1 - xf;
        y = H - 1 - yf;
        p = (addr >> 11) & 1;
      } else {
        x = (addr >> 1) & 0x7f;
        y = (addr >> 8) & 0x7f;
        p = addr & 1;
        if (x >= W || y >= H)
          im.src->fail_at(at + i * kRecord, "address 0x{:08x} gives (x={}, y={}) outside the {}x{} sensor", addr, x, y,
                          W, H);
      }
      out.t[k] = t;
      out.x[k] = (int16_t)x;
      out.y[k] = (int16_t)y;
      out.p[k] = (uint8_t)p;
      ++k;
    }
    out.resize(k);
    im.next += n;
  }
  return !out.empty() || im.next < im.records;
}

namespace {
Recording read_all(Aedat2Reader& r) {
  Recording rec;
  rec.format = "aedat2";
  rec.camera = r.chip();
  rec.events.width = r.width();
  rec.events.height = r.height();
  rec.events.reserve((size_t)r.events_in_file());
  EventStream pk;
  while (r.next_packet(pk, 1 << 20)) rec.events.append(pk);
  rec.triggers = r.triggers();
  return rec;
}
}  // namespace

Recording read_aedat2(const std::string& path, const Aedat2Options& options) {
  Aedat2Reader r(path, options);
  return read_all(r);
}

Recording read_aedat2(const void* data, size_t size, const std::string& name, const Aedat2Options& options) {
  Aedat2Reader r(data, size, name, options);
  return read_all(r);
}

void write_aedat2(const std::string& path, const EventStream& ev, Aedat2Layout layout, int64_t t_shift) {
  const int W = ev.width, H = ev.height;
  if (layout == Aedat2Layout::Auto) layout = (W <= 128 && H <= 128) ? Aedat2Layout::Dvs128 : Aedat2Layout::Davis;
  std::string chip;
  if (layout == Aedat2Layout::Dvs128) {
    HNN_CHECK(W > 0 && W <= 128 && H > 0 && H <= 128, "{}: a {}x{} stream does not fit the DVS128 layout", path, W, H);
    chip = "ch.unizh.ini.jaer.chip.retina.DVS128";
  } else {
    HNN_CHECK(W > 0 && W <= 1024 && H > 0 && H <= 512, "{}: a {}x{} stream does not fit the DAVIS layout", path, W, H);
    if (W == 240 && H == 180)
      chip = "eu.seebetter.ini.chips.davis.DAVIS240C";
    else if (W == 640 && H == 480)
      chip = "eu.seebetter.ini.chips.davis.Davis640";
    else
      chip = "eu.seebetter.ini.chips.davis.Davis346B";
  }
  std::string out = "#!AER-DAT2.0\r\n";
  out += "# This is a raw AE data file created by hnn\r\n";
  out += "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n";
  out += "# Timestamps tick is 1 us\r\n";
  out += "# AEChip: " + chip + "\r\n";
  // The chip names no size for DVS128-layout streams smaller than 128x128 (e.g. N-MNIST):
  // a comment line keeps it (jAER ignores it, our reader uses it).
  out += "# hnn-sensor-size: " + std::to_string(W) + "x" + std::to_string(H) + "\r\n";
  size_t h = out.size();
  out.resize(h + ev.size() * kRecord);
  for (size_t i = 0; i < ev.size(); ++i) {
    int64_t t = ev.t[i] - t_shift;
    HNN_CHECK(t >= 0 && t <= (int64_t)UINT32_MAX,
              "{}: event {} at {} µs is outside AEDAT 2.0's 32-bit time range (shift the times)", path, i, t);
    HNN_CHECK(i == 0 || ev.t[i] >= ev.t[i - 1], "{}: event {} goes back in time", path, i);
    int x = ev.x[i], y = ev.y[i];
    HNN_CHECK(x >= 0 && x < W && y >= 0 && y < H, "{}: event {} at (x={}, y={}) is outside the {}x{} sensor", path, i,
              x, y, W, H);
    uint32_t addr = layout == Aedat2Layout::Dvs128
                        ? ((uint32_t)y << 8 | (uint32_t)x << 1 | (ev.p[i] ? 1u : 0u))
                        : ((uint32_t)(H - 1 - y) << 22 | (uint32_t)(W - 1 - x) << 12 | (ev.p[i] ? 1u << 11 : 0u));
    uint8_t* e = reinterpret_cast<uint8_t*>(&out[h + i * kRecord]);
    detail::store_u32_be(e, addr);
    detail::store_u32_be(e + 4, (uint32_t)t);
  }
  write_file_atomically(path, out);
}

}  // namespace hnn::events
