// Event-camera data in memory, free of LibTorch so that readers, writers and fuzz targets need
// only the standard library: EventStream (struct of arrays: t µs, x, y, polarity), APS frames,
// IMU samples, triggers, and Recording (all of them from one file). Tensors: representation.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hnn::events {

// Polarity events of one sensor, struct of arrays. Timestamps are int64 microseconds (AEDAT 4
// files carry Unix time; N-MNIST and AEDAT 2 start near 0); p is 1 for ON, 0 for OFF.
// Readers return streams sorted by time (ties keep file order) and inside the sensor.
struct EventStream {
  std::vector<int64_t> t;
  std::vector<int16_t> x, y;
  std::vector<uint8_t> p;
  int width = 0;  // sensor size; 0 when unknown
  int height = 0;

  EventStream() = default;
  EventStream(int w, int h) : width(w), height(h) {}

  size_t size() const { return t.size(); }
  bool empty() const { return t.empty(); }
  void reserve(size_t n);
  void resize(size_t n);
  void clear();  // keeps capacity and sensor size
  void push_back(int64_t ts, int xs, int ys, bool on) {
    t.push_back(ts);
    x.push_back((int16_t)xs);
    y.push_back((int16_t)ys);
    p.push_back(on ? 1 : 0);
  }
  // Appends other's events (sensor size taken from other when this one has none).
  void append(const EventStream& other);
  void append(const EventStream& other, size_t begin, size_t end);

  int64_t t_first() const { return t.empty() ? 0 : t.front(); }
  int64_t t_last() const { return t.empty() ? 0 : t.back(); }
  int64_t duration() const { return t_last() - t_first(); }
  int64_t count_on() const;

  bool is_sorted() const;
  // Index of the first event whose timestamp is smaller than its predecessor's, or size().
  size_t first_unsorted() const;
  // Index of the first event outside [0, width) x [0, height), or size(); size 0 is unchecked.
  size_t first_out_of_bounds() const;
  // hnn::Error naming `what` and the first offending event.
  void check_sorted(const std::string& what) const;
  void check_bounds(const std::string& what) const;

  // Indices [begin, end) of the events with t0 <= t < t1 (binary search; needs sorted times).
  std::pair<size_t, size_t> time_range(int64_t t0, int64_t t1) const;
  // Events with t0 <= t < t1, and events [begin, end) by count (clamped to size()).
  EventStream slice_time(int64_t t0, int64_t t1) const;
  EventStream slice_count(size_t begin, size_t end) const;
  // Sorts by time (stable), for streams built out of order.
  void sort_by_time();
};

bool operator==(const EventStream& a, const EventStream& b);
inline bool operator!=(const EventStream& a, const EventStream& b) {
  return !(a == b);
}

// Pixel layout of an APS frame (the AEDAT 4 values).
enum class FrameFormat : int { Gray = 0, Bgr = 16, Bgra = 24 };
int channels(FrameFormat f);

// One APS frame: 8-bit pixels, row-major, channels interleaved (BGR order for colour).
struct Frame {
  int64_t t = 0;                                     // the frame's representative timestamp
  int64_t begin_t = 0, end_t = 0;                    // readout
  int64_t exposure_begin_t = 0, exposure_end_t = 0;  // exposure
  FrameFormat format = FrameFormat::Gray;
  int width = 0, height = 0;
  int offset_x = 0, offset_y = 0;  // region of interest inside the sensor
  std::vector<uint8_t> pixels;     // height * width * channels(format)

  int channels() const { return events::channels(format); }
  // Intensity at (x, y) in [0, 255] (mean of the colour channels).
  float gray(int xs, int ys) const;
};
bool operator==(const Frame& a, const Frame& b);

struct ImuSample {
  int64_t t = 0;
  float temperature = 0;        // °C
  float accelerometer[3] = {};  // g
  float gyroscope[3] = {};      // °/s
  float magnetometer[3] = {};   // µT
};
bool operator==(const ImuSample& a, const ImuSample& b);

// External trigger or special signal; source uses the AEDAT 4 codes (0 timestamp reset, 1-3
// external signal edges/pulse, 4-5 generator edges, 6/7 frame begin/end, 8/9 exposure).
struct Trigger {
  int64_t t = 0;
  int source = 0;
};
bool operator==(const Trigger& a, const Trigger& b);

// Everything one file holds, in memory. Formats without frames, IMU or triggers leave them empty.
struct Recording {
  std::string format;  // "aedat4", "aedat2", "nmnist"
  std::string camera;  // camera / chip name from the file, if any
  EventStream events;
  std::vector<Frame> frames;
  std::vector<ImuSample> imu;
  std::vector<Trigger> triggers;
};

}  // namespace hnn::events
