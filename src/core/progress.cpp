#include "hnn/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace hnn {
namespace {
bool g_enabled = true;

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  int64_t t = (int64_t)(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
  return fmt::format("{:02}:{:02}", t / 60, t % 60);
}

std::string format_metric(double v) {
  double a = std::abs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e5)) return fmt::format("{:.3e}", v);
  return fmt::format("{:.4g}", v);
}
}  // namespace

void Progress::set_enabled(bool on) {
  g_enabled = on;
}

Progress::Progress(int64_t total, std::string label, std::string unit)
    : total_(total), label_(std::move(label)), unit_(std::move(unit)), tty_(isatty(STDERR_FILENO)) {}

Progress::~Progress() {
  if (!finished_) finish();
}

void Progress::update(int64_t n, const Metrics& metrics) {
  done_ += n;
  if (!metrics.empty()) metrics_ = metrics;
  double now = timer_.seconds();
  double every = tty_ ? 0.1 : 10.0;
  if (last_draw_ < 0 || now - last_draw_ >= every) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  if (!g_enabled) return;
  double el = timer_.seconds();
  double rate = el > 0 ? done_ / el : 0;
  double eta = rate > 0 && total_ > 0 ? (total_ - done_) / rate : -1;
  std::string line = label_ + " ";
  if (total_ > 0) {
    double frac = std::min(1.0, (double)done_ / total_);
    if (tty_) {
      const int width = 24;
      int fill = (int)(frac * width);
      line += "[" + std::string(fill, '#') + std::string(width - fill, '.') + "] ";
    }
    line += fmt::format("{:3.0f}% {}/{}", frac * 100, done_, total_);
  } else {
    line += fmt::format("{}", done_);
  }
  line += fmt::format(" {} {:.1f} {}/s", format_duration(el), rate, unit_);
  if (!final && eta >= 0) line += " eta " + format_duration(eta);
  for (auto& [k, v] : metrics_) line += " " + k + "=" + format_metric(v);
  if (tty_) {
    fmt::print(stderr, "\r\033[K{}{}", line, final ? "\n" : "");
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

}  // namespace hnn
