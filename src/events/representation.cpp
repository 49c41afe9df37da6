#include "hnn/events/representation.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::events {

at::Tensor to_tensor(const EventStream& ev) {
  auto out = at::empty({(int64_t)ev.size(), 4}, at::kLong);
  int64_t* o = out.data_ptr<int64_t>();
  for (size_t i = 0; i < ev.size(); ++i) {
    o[4 * i] = ev.t[i];
    o[4 * i + 1] = ev.x[i];
    o[4 * i + 2] = ev.y[i];
    o[4 * i + 3] = ev.p[i];
  }
  return out;
}

EventStream from_tensor(const at::Tensor& events, int width, int height) {
  HNN_CHECK(events.dim() == 2 && events.size(1) == 4, "from_tensor: expected [N, 4] (t, x, y, p), got {}",
            shape_str(events.sizes()));
  auto e = events.to(at::kLong).contiguous();
  const int64_t* d = e.data_ptr<int64_t>();
  EventStream ev(width, height);
  ev.resize((size_t)e.size(0));
  for (size_t i = 0; i < ev.size(); ++i) {
    ev.t[i] = d[4 * i];
    ev.x[i] = (int16_t)d[4 * i + 1];
    ev.y[i] = (int16_t)d[4 * i + 2];
    ev.p[i] = d[4 * i + 3] > 0;
  }
  return ev;
}

EventStream crop(const EventStream& ev, const Roi& roi) {
  HNN_CHECK(roi.width > 0 && roi.height > 0, "crop: roi {}x{} must have a positive size", roi.width, roi.height);
  EventStream out(roi.width, roi.height);
  for (size_t i = 0; i < ev.size(); ++i) {
    int x = ev.x[i] - roi.x, y = ev.y[i] - roi.y;
    if (x >= 0 && x < roi.width && y >= 0 && y < roi.height) out.push_back(ev.t[i], x, y, ev.p[i]);
  }
  return out;
}

EventStream resize(const EventStream& ev, int width, int height) {
  HNN_CHECK(width > 0 && height > 0 && ev.width > 0 && ev.height > 0,
            "resize: sizes must be positive (stream {}x{}, target {}x{})", ev.width, ev.height, width, height);
  EventStream out = ev;
  out.width = width;
  out.height = height;
  for (size_t i = 0; i < ev.size(); ++i) {
    out.x[i] = (int16_t)std::clamp((int64_t)ev.x[i] * width / ev.width, int64_t{0}, (int64_t)width - 1);
    out.y[i] = (int16_t)std::clamp((int64_t)ev.y[i] * height / ev.height, int64_t{0}, (int64_t)height - 1);
  }
  return out;
}

BinOptions BinOptions::around(int64_t t, int64_t bins, int64_t bin_us, Align align) {
  HNN_CHECK(bins > 0 && bin_us > 0, "BinOptions::around: bins ({}) and bin_us ({}) must be positive", bins, bin_us);
  BinOptions o;
  o.bins = bins;
  o.by = BinBy::Time;
  int64_t span = bins * bin_us;
  int64_t begin = align == Align::Before ? t - span : align == Align::Centered ? t - span / 2 : t;
  o.t_begin = begin;
  o.t_end = begin + span;
  return o;
}

std::pair<int64_t, int64_t> bin_window(const EventStream& ev, const BinOptions& o) {
  int64_t b = o.t_begin ? *o.t_begin : ev.t_first();
  int64_t e = o.t_end ? *o.t_end : ev.t_last() + 1;
  if (ev.empty() && !o.t_begin && !o.t_end) return {0, 1};
  HNN_CHECK(e > b, "event window [{}, {}) µs is empty", b, e);
  return {b, e};
}

namespace {

// The sensor geometry after roi and resize, and the mapping of one event into it.
struct Geometry {
  int W, H;            // output size
  int rx, ry, rw, rh;  // roi
  bool scale;
  bool map(int x, int y, int& ox, int& oy) const {
    x -= rx;
    y -= ry;
    if (x < 0 || x >= rw || y < 0 || y >= rh) return false;
    if (scale) {
      x = (int)((int64_t)x * W / rw);
      y = (int)((int64_t)y * H / rh);
    }
    ox = x;
    oy = y;
    return true;
  }
};

Geometry geometry(const EventStream& ev, const BinOptions& o) {
  Geometry g{};
  if (o.roi) {
    g.rx = o.roi->x;
    g.ry = o.roi->y;
    g.rw = o.roi->width;
    g.rh = o.roi->height;
  } else {
    g.rx = g.ry = 0;
    g.rw = ev.width;
    g.rh = ev.height;
  }
  HNN_CHECK(g.rw > 0 && g.rh > 0, "event representation needs a sensor size or a roi (stream is {}x{})", ev.width,
            ev.height);
  g.W = g.rw;
  g.H = g.rh;
  g.scale = false;
  if (o.size) {
    HNN_CHECK(o.size->first > 0 && o.size->second > 0, "resize target {}x{} must be positive", o.size->first,
              o.size->second);
    g.W = o.size->first;
    g.H = o.size->second;
    g.scale = g.W != g.rw || g.H != g.rh;
  }
  return g;
}

void fill(const EventStream& ev, Kind kind, const BinOptions& o, float* out, int64_t stride_t) {
  const Geometry g = geometry(ev, o);
  const int64_t T = o.bins;
  // (no structured bindings: clang before C++20 cannot capture them in the lambda below)
  const auto window = bin_window(ev, o);
  const auto t0 = window.first, t1 = window.second;
  const auto range = ev.time_range(t0, t1);
  const auto b = range.first, e = range.second;
  const int64_t n = (int64_t)(e - b);
  const int64_t HW = (int64_t)g.H * g.W;
  const double span = (double)(t1 - t0);
  auto bin_of = [&](size_t i) -> int64_t {
    int64_t k = o.by == BinBy::Time ? (int64_t)((double)(ev.t[i] - t0) * T / span)
                                    : (int64_t)((double)(i - b) * T / std::max<int64_t>(n, 1));
    return std::clamp<int64_t>(k, 0, T - 1);
  };
  switch (kind) {
    case Kind::Counts:
    case Kind::Binary: {
      for (size_t i = b; i < e; ++i) {
        int x, y;
        if (!g.map(ev.x[i], ev.y[i], x, y)) continue;
        float* px = out + bin_of(i) * stride_t + (int64_t)ev.p[i] * HW + (int64_t)y * g.W + x;
        *px = kind == Kind::Binary ? 1.0f : *px + 1.0f;
      }
      break;
    }
    case Kind::VoxelGrid: {
      HNN_CHECK(o.by == BinBy::Time, "voxel grids bin by time (BinBy::Count is not supported)");
      for (size_t i = b; i < e; ++i) {
        int x, y;
        if (!g.map(ev.x[i], ev.y[i], x, y)) continue;
        double ts = T > 1 ? (double)(ev.t[i] - t0) * (T - 1) / span : 0.0;
        int64_t k0 = (int64_t)std::floor(ts);
        double w1 = ts - (double)k0;
        float v = o.signed_voxels ? (ev.p[i] ? 1.0f : -1.0f) : 1.0f;
        int64_t c = o.signed_voxels ? 0 : ev.p[i];
        int64_t off = c * HW + (int64_t)y * g.W + x;
        out[k0 * stride_t + off] += v * (float)(1.0 - w1);
        if (k0 + 1 < T) out[(k0 + 1) * stride_t + off] += v * (float)w1;
      }
      break;
    }
    case Kind::TimeSurface: {
      HNN_CHECK(o.tau_us > 0, "time surface tau {} µs must be positive", o.tau_us);
      std::vector<int64_t> last((size_t)(2 * HW), INT64_MIN);
      size_t i = b;
      for (int64_t k = 0; k < T; ++k) {
        // Bin k ends at its time boundary (by time) or at its last event (by count).
        int64_t t_end;
        size_t stop;
        if (o.by == BinBy::Time) {
          t_end = t0 + (int64_t)std::llround(span * (double)(k + 1) / (double)T);
          stop = i;
          while (stop < e && ev.t[stop] < t_end) ++stop;
        } else {
          // Event j of the window is in bin floor(j * T / n): bin k ends before ceil((k + 1) n / T).
          stop = b + (size_t)((n * (k + 1) + T - 1) / T);
          stop = std::min(std::max(stop, i), e);
          t_end = stop > b ? ev.t[stop - 1] : t0;
        }
        for (; i < stop; ++i) {
          int x, y;
          if (g.map(ev.x[i], ev.y[i], x, y)) last[(size_t)(ev.p[i] * HW + (int64_t)y * g.W + x)] = ev.t[i];
        }
        float* dst = out + k * stride_t;
        for (int64_t j = 0; j < 2 * HW; ++j)
          dst[j] = last[(size_t)j] == INT64_MIN ? 0.0f : (float)std::exp(-(double)(t_end - last[(size_t)j]) / o.tau_us);
      }
      break;
    }
  }
}

int64_t channels_of(Kind kind, const BinOptions& o) {
  return kind == Kind::VoxelGrid && o.signed_voxels ? 1 : 2;
}

}  // namespace

at::Tensor represent(const EventStream& ev, Kind kind, const BinOptions& o) {
  HNN_CHECK(o.bins > 0, "number of bins must be positive, got {}", o.bins);
  const Geometry g = geometry(ev, o);
  const int64_t C = channels_of(kind, o);
  auto out = at::zeros({o.bins, C, g.H, g.W}, at::kFloat);
  fill(ev, kind, o, out.data_ptr<float>(), C * g.H * g.W);
  return out;
}

at::Tensor event_counts(const EventStream& ev, const BinOptions& o) {
  return represent(ev, Kind::Counts, o);
}
at::Tensor binary_frames(const EventStream& ev, const BinOptions& o) {
  return represent(ev, Kind::Binary, o);
}
at::Tensor time_surfaces(const EventStream& ev, const BinOptions& o) {
  return represent(ev, Kind::TimeSurface, o);
}
at::Tensor voxel_grid(const EventStream& ev, const BinOptions& o) {
  return represent(ev, Kind::VoxelGrid, o);
}

at::Tensor represent_batch(const std::vector<EventStream>& streams, Kind kind, const BinOptions& o) {
  HNN_CHECK(!streams.empty(), "represent_batch: no streams");
  HNN_CHECK(o.bins > 0, "number of bins must be positive, got {}", o.bins);
  const Geometry g = geometry(streams[0], o);
  const int64_t B = (int64_t)streams.size(), C = channels_of(kind, o);
  for (const auto& s : streams)
    HNN_CHECK(s.width == streams[0].width && s.height == streams[0].height,
              "represent_batch: streams of different sensor sizes ({}x{} and {}x{})", s.width, s.height,
              streams[0].width, streams[0].height);
  auto out = at::zeros({o.bins, B, C, g.H, g.W}, at::kFloat);
  float* d = out.data_ptr<float>();
  const int64_t item = C * g.H * g.W;
  // [T, B, C, H, W]: stream b's bin k starts at (k * B + b) * item.
  for (int64_t bi = 0; bi < B; ++bi) fill(streams[(size_t)bi], kind, o, d + bi * item, B * item);
  return out;
}

}  // namespace hnn::events
