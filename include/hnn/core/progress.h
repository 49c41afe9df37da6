// Progress bar for long loops: done/total, rate, ETA and the latest metrics. On a terminal it
// redraws one line on stderr; otherwise it prints a plain line every `plain_every` seconds and
// at the end, so logs stay readable.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hnn/core/timer.h"

namespace hnn {

class Progress {
 public:
  using Metrics = std::vector<std::pair<std::string, double>>;

  Progress(int64_t total, std::string label, std::string unit = "it");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Advances by n and records metrics shown after the counters.
  void update(int64_t n = 1, const Metrics& metrics = {});
  // Draws the final state and a newline (called by the destructor if not called before).
  void finish();

  static void set_enabled(bool on);  // false silences every bar (e.g. --quiet)
  double elapsed() const { return timer_.seconds(); }

 private:
  void draw(bool final);

  int64_t total_;
  int64_t done_ = 0;
  std::string label_, unit_;
  Metrics metrics_;
  Timer timer_;
  double last_draw_ = -1;
  bool tty_;
  bool finished_ = false;
};

}  // namespace hnn
