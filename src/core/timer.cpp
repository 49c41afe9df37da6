#include "hnn/core/timer.h"

#include <algorithm>

namespace hnn {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

TimingStats time_median(const std::function<void()>& fn, int warmup, int repeats, double min_seconds,
                        int max_repeats) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> times;
  double total = 0;
  while ((int)times.size() < repeats || (total < min_seconds && (int)times.size() < max_repeats)) {
    Timer t;
    fn();
    times.push_back(t.seconds());
    total += times.back();
  }
  TimingStats s;
  s.median_s = median(times);
  s.min_s = *std::min_element(times.begin(), times.end());
  s.max_s = *std::max_element(times.begin(), times.end());
  s.repeats = (int)times.size();
  return s;
}

}  // namespace hnn
