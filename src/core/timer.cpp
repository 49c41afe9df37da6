#include "hnn/core/timer.h"

#include <algorithm>

namespace hnn {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {
TimingStats stats_of(const std::vector<double>& times) {
  TimingStats s;
  if (times.empty()) return s;
  s.median_s = median(times);
  s.min_s = *std::min_element(times.begin(), times.end());
  s.max_s = *std::max_element(times.begin(), times.end());
  s.repeats = (int)times.size();
  return s;
}
}  // namespace

TimingStats time_median(const std::function<void()>& fn, int warmup, int repeats, double min_seconds, int max_repeats) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> times;
  double total = 0;
  while ((int)times.size() < repeats || (total < min_seconds && (int)times.size() < max_repeats)) {
    Timer t;
    fn();
    times.push_back(t.seconds());
    total += times.back();
  }
  return stats_of(times);
}

std::vector<TimingStats> time_interleaved(const std::vector<std::function<void()>>& fns, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i)
    for (auto& f : fns) f();
  std::vector<std::vector<double>> times(fns.size());
  for (int r = 0; r < repeats; ++r) {
    for (size_t k = 0; k < fns.size(); ++k) {
      Timer t;
      fns[k]();
      times[k].push_back(t.seconds());
    }
  }
  std::vector<TimingStats> out;
  for (auto& t : times) out.push_back(stats_of(t));
  return out;
}

}  // namespace hnn
