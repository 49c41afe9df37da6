// Helpers for the events tests: temporary files, synthetic streams, and the corrupt-input check
// (a reader must either succeed or raise hnn::Error naming the file and a byte offset).
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <random>
#include <string>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/events/event_stream.h"
#include "test_util.h"

namespace hnn::events::test {

// A path under /tmp unique to this process; the file is removed at scope exit.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name) { path = "/tmp/hnn_test_events_" + std::to_string(getpid()) + "_" + name; }
  ~TempFile() { std::remove(path.c_str()); }
};

// Sorted random events on a w x h sensor, times from t0 with gaps 0-3 µs.
inline EventStream random_stream(size_t n, int w, int h, uint64_t seed, int64_t t0 = 1000) {
  std::mt19937_64 rng(seed);
  EventStream ev(w, h);
  int64_t t = t0;
  for (size_t i = 0; i < n; ++i) {
    t += (int64_t)(rng() % 4);
    ev.push_back(t, (int)(rng() % (uint64_t)w), (int)(rng() % (uint64_t)h), rng() & 1);
  }
  return ev;
}

using ::expect_error;

// Flips random bytes of `bytes` (after `protect` leading bytes) `trials` times; each corrupt
// copy must read fine or raise hnn::Error with a byte offset. Returns how many raised.
inline int fuzz_flips(const std::string& bytes, size_t protect, int trials, uint64_t seed,
                      const std::function<void(const std::string&)>& read) {
  std::mt19937_64 rng(seed);
  int errors = 0;
  for (int k = 0; k < trials; ++k) {
    std::string c = bytes;
    int flips = 1 + (int)(rng() % 4);
    for (int f = 0; f < flips && c.size() > protect; ++f)
      c[protect + rng() % (c.size() - protect)] ^= (char)(1 + rng() % 255);
    try {
      read(c);
    } catch (const hnn::Error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("byte"), std::string::npos) << e.what();
    }
  }
  return errors;
}

}  // namespace hnn::events::test
