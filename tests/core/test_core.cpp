#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/log.h"
#include "hnn/core/progress.h"
#include "hnn/core/seed.h"
#include "hnn/core/timer.h"

TEST(Error, CheckFormatsMessage) {
  try {
    HNN_CHECK(1 + 1 == 3, "expected {} got {}", 3, 2);
    FAIL() << "no throw";
  } catch (const hnn::Error& e) {
    EXPECT_STREQ(e.what(), "expected 3 got 2");
  }
}

TEST(Seed, SameSeedSameNumbers) {
  hnn::seed_everything(7);
  auto a = torch::rand({5});
  auto ra = hnn::rng()();
  hnn::seed_everything(7);
  auto b = torch::rand({5});
  auto rb = hnn::rng()();
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(ra, rb);
  EXPECT_EQ(hnn::derive_engine(3)(), hnn::derive_engine(3)());
  EXPECT_NE(hnn::derive_engine(3)(), hnn::derive_engine(4)());
}

TEST(Log, RejectsUnknownLevel) {
  EXPECT_NO_THROW(hnn::set_log_level("warn"));
  EXPECT_THROW(hnn::set_log_level("loud"), hnn::Error);
  hnn::set_log_level("info");
}

TEST(Timer, MedianOfRepeats) {
  EXPECT_DOUBLE_EQ(hnn::median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(hnn::median({4, 1, 2, 3}), 2.5);
  int calls = 0;
  auto s = hnn::time_median([&] { ++calls; }, 2, 5);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(s.repeats, 5);
  // Interleaved: a, b, a, b, ... with every function run warmup + repeats times.
  std::string order;
  auto t = hnn::time_interleaved({[&] { order += 'a'; }, [&] { order += 'b'; }}, 1, 3);
  EXPECT_EQ(order, "abababab");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].repeats, 3);
  EXPECT_LE(t[0].min_s, t[0].median_s);
}

TEST(Progress, RunsWithoutTerminal) {
  hnn::Progress p(10, "test");
  for (int i = 0; i < 10; ++i) p.update(1, {{"loss", 0.5}});
  p.finish();
}

TEST(Fs, AtomicWriteLeavesNothingOnFailure) {
  std::string path = "/tmp/hnn_test_atomic_" + std::to_string(getpid());
  EXPECT_THROW(hnn::write_atomically(path,
                                     [](const std::string& tmp) {
                                       std::ofstream(tmp) << "partial";
                                       hnn::fail("boom");
                                     }),
               hnn::Error);
  EXPECT_FALSE(hnn::file_exists(path));
  EXPECT_FALSE(hnn::file_exists(path + ".tmp-" + std::to_string(getpid())));
  hnn::write_file_atomically(path, "hello");
  EXPECT_EQ(hnn::read_file(path), "hello");
  std::remove(path.c_str());
  EXPECT_THROW(hnn::read_file("/nonexistent/file"), hnn::Error);
}
