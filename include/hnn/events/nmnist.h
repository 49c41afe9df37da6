// N-MNIST / N-Caltech101 binary files (Orchard et al. 2015): 5 bytes an event, x (8 bits),
// y (8 bits), polarity (1 bit, 1 = ON), timestamp µs (23 bits, big-endian). An event with
// y == 240 is a timestamp-overflow marker: it adds 2^13 µs to the events after it (Tonic's
// reading) and is not an event. No LibTorch here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hnn/events/event_stream.h"

namespace hnn::events {

struct NmnistOptions {
  // Sensor size; 0 infers it with one pass over the file: 34x34 (N-MNIST) when every event
  // fits, else the bounding box. Events outside a given size are an error.
  int width = 0, height = 0;
  bool check_sorted = true;
  // A file cut mid-event: read up to its last whole event, with a warning. false: an hnn::Error.
  bool recover = true;
};

class NmnistReader {
 public:
  explicit NmnistReader(const std::string& path, NmnistOptions options = {});
  // Reads from memory that the caller keeps alive while the reader exists.
  NmnistReader(const void* data, size_t size, std::string name, NmnistOptions options = {});
  ~NmnistReader();
  NmnistReader(NmnistReader&&) noexcept;
  NmnistReader& operator=(NmnistReader&&) noexcept;

  int width() const;
  int height() const;
  uint64_t records() const;  // 5-byte records in the file (events and overflow markers)
  // Up to max_events events into out (cleared first); false when none are left.
  bool next_packet(EventStream& out, size_t max_events = 65536);
  void rewind();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

EventStream read_nmnist(const std::string& path, const NmnistOptions& options = {});
EventStream read_nmnist(const void* data, size_t size, const std::string& name, const NmnistOptions& options = {});
// Writes events (x, y < 256; times minus t_shift in [0, 2^23) µs; y != 240). Written atomically.
void write_nmnist(const std::string& path, const EventStream& ev, int64_t t_shift = 0);

}  // namespace hnn::events
