#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/plot.h"

TEST(Plot, WritesPngWithPanels) {
  std::string path = "/tmp/hnn_test_plot_" + std::to_string(getpid()) + ".png";
  hnn::plot::Panel line;
  line.title = "curves";
  line.xlabel = "x";
  line.ylabel = "y";
  hnn::plot::Series a{{0, 1, 2, 3}, {0, 1, 4, 9}, "square", hnn::plot::Style::LinePoints};
  hnn::plot::Series b{{0, 1, 2, 3}, {1, 2, 3, 4}, "bars", hnn::plot::Style::Bars};
  line.series = {b, a};
  auto raster = hnn::plot::raster_panel({{1, 0, 1}, {0, 1, 0}, {1, 1, 0}}, "raster", {"a", "b", "c"});
  hnn::plot::Panel heat;
  heat.title = "heat";
  heat.heat = {{0, 1}, {2, 3}};
  hnn::plot::Figure f;
  f.panels = {line, raster, heat};
  f.columns = 3;
  f.width = 1200;
  f.height = 400;
  hnn::plot::save_png(f, path);
  std::string bytes = hnn::read_file(path);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  if (!std::getenv("HNN_KEEP_TEST_PLOTS")) std::remove(path.c_str());
  EXPECT_THROW(hnn::plot::save_png(line, "/nonexistent/dir/x.png"), hnn::Error);
}
