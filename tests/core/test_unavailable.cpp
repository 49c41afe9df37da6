// A build without the optional components: the AEDAT 4 reader and writer and the plots are
// still there, and using them (or joining a distributed job) is a clear hnn::Error that says what
// to install. (This program compiles the *_unavailable.cpp sources in place of the real ones.)
#include <gtest/gtest.h>

#include "hnn/core/error.h"
#include "hnn/events/aedat4.h"
#include "hnn/train/distributed.h"
#include "hnn/viz/plot.h"

namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const hnn::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Unavailable, Aedat4SaysWhatToInstall) {
  auto msg = error_of([] { hnn::events::read_aedat4("x.aedat4"); });
  EXPECT_NE(msg.find("x.aedat4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("without AEDAT 4 support"), std::string::npos) << msg;
  EXPECT_NE(msg.find("liblz4-dev"), std::string::npos) << msg;
  msg = error_of([] { hnn::events::Aedat4Writer w("y.aedat4", {}); });
  EXPECT_NE(msg.find("HNN_WITH_AEDAT4"), std::string::npos) << msg;
  // What needs no codec still works.
  EXPECT_EQ(hnn::events::parse_compression("zstd"), hnn::events::Compression::Zstd);
}

TEST(Unavailable, PlotsSayWhatToInstall) {
  hnn::viz::Panel p = hnn::viz::raster_panel({{1, 0}, {0, 1}}, "raster");
  EXPECT_EQ(p.series.size(), 1u);
  auto msg = error_of([&] { hnn::viz::save_png(p, "z.png"); });
  EXPECT_NE(msg.find("z.png"), std::string::npos) << msg;
  EXPECT_NE(msg.find("without PLplot"), std::string::npos) << msg;
}

TEST(Unavailable, DistributedSaysWhatToInstall) {
  EXPECT_FALSE(hnn::train::dist::available());
  hnn::train::dist::Environment env;
  env.world_size = 2;
  auto msg = error_of([&] { hnn::train::dist::ProcessGroup::create(env); });
  EXPECT_NE(msg.find("libgloo-dev"), std::string::npos) << msg;
  // The sampler needs no c10d.
  EXPECT_EQ(hnn::train::dist::shard(hnn::train::dist::permutation(5, 1), 1, 2).numel(), 3);
}
