// Wall-clock timing: a stopwatch, and a median-of-repeats helper for benchmarks.
#pragma once
#include <chrono>
#include <functional>
#include <vector>

namespace hnn {

class Timer {
 public:
  Timer() : start_(Clock::now()) {}
  void reset() { start_ = Clock::now(); }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  double millis() const { return seconds() * 1e3; }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

struct TimingStats {
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  int repeats = 0;
};

// Runs fn `warmup` times untimed, then `repeats` times timed (at least min_seconds in all
// when repeats is reached earlier, up to max_repeats), and returns the median.
TimingStats time_median(const std::function<void()>& fn, int warmup = 1, int repeats = 5, double min_seconds = 0.0,
                        int max_repeats = 50);

// Runs the functions in turn, `warmup` rounds untimed then `repeats` timed rounds, and returns
// each one's median: benchmarks compared with a yardstick see the same machine conditions.
std::vector<TimingStats> time_interleaved(const std::vector<std::function<void()>>& fns, int warmup = 1,
                                          int repeats = 5);

// Median of a list of values (copies; empty list gives 0).
double median(std::vector<double> values);

}  // namespace hnn
