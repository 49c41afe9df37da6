// AEDAT 2.0 (jAER) reader and writer: '#' header lines, then big-endian (uint32 address,
// uint32 timestamp µs) pairs. Address layouts: DVS128 polarity bit 0 (1 = ON), x bits 1-7,
// y bits 8-14, raw (jAER's masks; no axis flip); DAVIS x bits 12-21, y bits 22-30 (both axes
// flipped), polarity bit 11, bit 31 set for APS/IMU samples (skipped), bit 10 for external
// events (triggers). 32-bit timestamp wrap-around is unrolled. No LibTorch here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hnn/events/event_stream.h"

namespace hnn::events {

enum class Aedat2Layout { Auto, Dvs128, Davis };
std::string to_string(Aedat2Layout l);

struct Aedat2Options {
  Aedat2Layout layout = Aedat2Layout::Auto;  // Auto: from the header's AEChip line (DVS128 if none)
  int width = 0, height = 0;                 // 0: from the header (our size line, else the chip: DVS128 128x128, ...)
  bool check_sorted = true;                  // timestamps must not go back (except a 32-bit wrap)
  // A file cut mid-event (a recorder that crashed, a partial copy): read up to its last whole
  // event, with a warning saying how many bytes were dropped. false: an hnn::Error.
  bool recover = true;
};

class Aedat2Reader {
 public:
  explicit Aedat2Reader(const std::string& path, Aedat2Options options = {});
  // Reads from memory that the caller keeps alive while the reader exists.
  Aedat2Reader(const void* data, size_t size, std::string name, Aedat2Options options = {});
  ~Aedat2Reader();
  Aedat2Reader(Aedat2Reader&&) noexcept;
  Aedat2Reader& operator=(Aedat2Reader&&) noexcept;

  Aedat2Layout layout() const;
  int width() const;
  int height() const;
  const std::string& chip() const;  // the AEChip class name, e.g. "ch.unizh.ini.jaer.chip.retina.DVS128"
  size_t header_size() const;       // bytes of '#' lines
  uint64_t events_in_file() const;  // 8-byte records after the header (DVS + skipped)

  // Up to max_events polarity events into out (cleared first); false when none are left.
  bool next_packet(EventStream& out, size_t max_events = 65536);
  // External (trigger) events seen so far, and APS/IMU records skipped so far (DAVIS).
  const std::vector<Trigger>& triggers() const;
  uint64_t skipped() const;
  void rewind();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Recording read_aedat2(const std::string& path, const Aedat2Options& options = {});
Recording read_aedat2(const void* data, size_t size, const std::string& name, const Aedat2Options& options = {});

// Writes events (times minus t_shift must lie in [0, 2^32) µs) with the given layout (Auto:
// DVS128 for sensors up to 128x128, else DAVIS). A "# hnn-sensor-size: WxH" comment line keeps
// the sensor size. Written atomically.
void write_aedat2(const std::string& path, const EventStream& ev, Aedat2Layout layout = Aedat2Layout::Auto,
                  int64_t t_shift = 0);

}  // namespace hnn::events
