#include "hnn/events/event_stream.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hnn/core/error.h"

namespace hnn::events {

void EventStream::reserve(size_t n) {
  t.reserve(n);
  x.reserve(n);
  y.reserve(n);
  p.reserve(n);
}

void EventStream::resize(size_t n) {
  t.resize(n);
  x.resize(n);
  y.resize(n);
  p.resize(n);
}

void EventStream::clear() {
  t.clear();
  x.clear();
  y.clear();
  p.clear();
}

void EventStream::append(const EventStream& other) {
  append(other, 0, other.size());
}

void EventStream::append(const EventStream& other, size_t begin, size_t end) {
  end = std::min(end, other.size());
  begin = std::min(begin, end);
  if (width == 0 && height == 0) {
    width = other.width;
    height = other.height;
  }
  t.insert(t.end(), other.t.begin() + begin, other.t.begin() + end);
  x.insert(x.end(), other.x.begin() + begin, other.x.begin() + end);
  y.insert(y.end(), other.y.begin() + begin, other.y.begin() + end);
  p.insert(p.end(), other.p.begin() + begin, other.p.begin() + end);
}

int64_t EventStream::count_on() const {
  int64_t n = 0;
  for (uint8_t v : p) n += v != 0;
  return n;
}

size_t EventStream::first_unsorted() const {
  for (size_t i = 1; i < t.size(); ++i)
    if (t[i] < t[i - 1]) return i;
  return t.size();
}

bool EventStream::is_sorted() const {
  return first_unsorted() == t.size();
}

size_t EventStream::first_out_of_bounds() const {
  if (width <= 0 || height <= 0) return size();
  for (size_t i = 0; i < size(); ++i)
    if (x[i] < 0 || x[i] >= width || y[i] < 0 || y[i] >= height) return i;
  return size();
}

void EventStream::check_sorted(const std::string& what) const {
  size_t i = first_unsorted();
  if (i < size())
    fail("{}: event {} has timestamp {} µs, before the previous event's {} µs (expected sorted times)", what, i, t[i],
         t[i - 1]);
}

void EventStream::check_bounds(const std::string& what) const {
  size_t i = first_out_of_bounds();
  if (i < size()) fail("{}: event {} at (x={}, y={}) is outside the {}x{} sensor", what, i, x[i], y[i], width, height);
}

std::pair<size_t, size_t> EventStream::time_range(int64_t t0, int64_t t1) const {
  auto b = std::lower_bound(t.begin(), t.end(), t0);
  auto e = std::lower_bound(b, t.end(), std::max(t0, t1));
  return {(size_t)(b - t.begin()), (size_t)(e - t.begin())};
}

EventStream EventStream::slice_time(int64_t t0, int64_t t1) const {
  auto [b, e] = time_range(t0, t1);
  return slice_count(b, e);
}

EventStream EventStream::slice_count(size_t begin, size_t end) const {
  EventStream out(width, height);
  out.append(*this, begin, end);
  return out;
}

void EventStream::sort_by_time() {
  if (is_sorted()) return;
  std::vector<size_t> idx(size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return t[a] < t[b]; });
  EventStream s(width, height);
  s.resize(size());
  for (size_t i = 0; i < idx.size(); ++i) {
    s.t[i] = t[idx[i]];
    s.x[i] = x[idx[i]];
    s.y[i] = y[idx[i]];
    s.p[i] = p[idx[i]];
  }
  *this = std::move(s);
}

bool operator==(const EventStream& a, const EventStream& b) {
  return a.width == b.width && a.height == b.height && a.t == b.t && a.x == b.x && a.y == b.y && a.p == b.p;
}

int channels(FrameFormat f) {
  switch (f) {
    case FrameFormat::Gray:
      return 1;
    case FrameFormat::Bgr:
      return 3;
    case FrameFormat::Bgra:
      return 4;
  }
  return 1;
}

float Frame::gray(int xs, int ys) const {
  int c = channels();
  const uint8_t* px = pixels.data() + ((size_t)ys * width + xs) * c;
  if (c == 1) return px[0];
  return (px[0] + px[1] + px[2]) / 3.0f;
}

bool operator==(const Frame& a, const Frame& b) {
  return a.t == b.t && a.begin_t == b.begin_t && a.end_t == b.end_t && a.exposure_begin_t == b.exposure_begin_t &&
         a.exposure_end_t == b.exposure_end_t && a.format == b.format && a.width == b.width && a.height == b.height &&
         a.offset_x == b.offset_x && a.offset_y == b.offset_y && a.pixels == b.pixels;
}

namespace {
// Equal values (flatbuffers drops a -0.0 field as the default 0.0), NaN equal to NaN.
bool same(float a, float b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}
}  // namespace

bool operator==(const ImuSample& a, const ImuSample& b) {
  if (a.t != b.t || !same(a.temperature, b.temperature)) return false;
  for (int i = 0; i < 3; ++i)
    if (!same(a.accelerometer[i], b.accelerometer[i]) || !same(a.gyroscope[i], b.gyroscope[i]) ||
        !same(a.magnetometer[i], b.magnetometer[i]))
      return false;
  return true;
}

bool operator==(const Trigger& a, const Trigger& b) {
  return a.t == b.t && a.source == b.source;
}

}  // namespace hnn::events
