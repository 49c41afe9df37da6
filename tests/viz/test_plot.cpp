#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/viz/plot.h"

TEST(Plot, WritesPngWithPanels) {
  std::string path = "/tmp/hnn_test_plot_" + std::to_string(getpid()) + ".png";
  hnn::viz::Panel line;
  line.title = "curves";
  line.xlabel = "x";
  line.ylabel = "y";
  hnn::viz::Series a{{0, 1, 2, 3}, {0, 1, 4, 9}, "square", hnn::viz::Style::LinePoints};
  hnn::viz::Series b{{0, 1, 2, 3}, {1, 2, 3, 4}, "bars", hnn::viz::Style::Bars};
  line.series = {b, a};
  auto raster = hnn::viz::raster_panel({{1, 0, 1}, {0, 1, 0}, {1, 1, 0}}, "raster", {"a", "b", "c"});
  hnn::viz::Panel heat;
  heat.title = "heat";
  heat.heat = {{0, 1}, {2, 3}};
  hnn::viz::Figure f;
  f.panels = {line, raster, heat};
  f.columns = 3;
  f.width = 1200;
  f.height = 400;
  hnn::viz::save_png(f, path);
  std::string bytes = hnn::read_file(path);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  if (!std::getenv("HNN_KEEP_TEST_PLOTS")) std::remove(path.c_str());
  EXPECT_THROW(hnn::viz::save_png(line, "/nonexistent/dir/x.png"), hnn::Error);
}
