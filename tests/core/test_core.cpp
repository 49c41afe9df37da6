#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"
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

// Integers from JSON files: in range, or an hnn::Error naming the field (never nlohmann's unchecked
// cast, which is undefined for a float beyond the type's range).
TEST(Json, IntegersAreRangeChecked) {
  using nlohmann::json;
  EXPECT_EQ(hnn::json_integer<int>(json(42), "n"), 42);
  EXPECT_EQ(hnn::json_integer<int>(json(-7), "n"), -7);
  EXPECT_EQ(hnn::json_integer<int64_t>(json(3.0), "n"), 3);  // an integral float, as Python may write it
  EXPECT_EQ(hnn::json_integer<uint64_t>(json(std::numeric_limits<uint64_t>::max()), "n"),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(hnn::json_integer<int64_t>(json(std::numeric_limits<int64_t>::min()), "n"),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(hnn::json_integer<uint8_t>(json(255), "n"), 255);
  auto refused = [](const json& j, auto type, const char* shown) {
    try {
      hnn::json_integer<decltype(type)>(j, "field 'x'");
      ADD_FAILURE() << j.dump() << " accepted";
    } catch (const hnn::Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("field 'x'"), std::string::npos) << m;
      EXPECT_NE(m.find(shown), std::string::npos) << m;
    }
  };
  refused(json(1.7e60), int64_t{}, "1.7e+60");
  refused(json(2.5), int{}, "2.5");
  refused(json(std::nan("")), int{}, "null");  // nlohmann writes NaN as null
  refused(json(int64_t{1} << 40), int{}, "1099511627776");
  refused(json(uint64_t{1} << 63), int64_t{}, "9223372036854775808");
  refused(json(-1), uint64_t{}, "-1");
  refused(json(256), uint8_t{}, "from 0 to 255");
  refused(json("12"), int{}, "\"12\"");
  refused(json(true), int{}, "true");
  EXPECT_EQ(hnn::json_get<std::vector<int64_t>>(json::parse("[1, 2.0, 3]"), "v"), (std::vector<int64_t>{1, 2, 3}));
  try {
    hnn::json_get<std::vector<int64_t>>(json::parse("[1, 1e300]"), "v");
    ADD_FAILURE() << "accepted";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("v[1]"), std::string::npos) << e.what();
  }
  EXPECT_DOUBLE_EQ(hnn::json_get<double>(json(2), "d"), 2.0);
  EXPECT_THROW(hnn::json_get<std::string>(json(2), "s"), nlohmann::json::type_error);
}
