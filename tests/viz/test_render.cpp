// Rendering: colours of ON/OFF pixels over a background or an APS frame, and the picture and
// video outputs (.png, .avi, .gif) written atomically.
#include <gif_lib.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <array>

#include "events/events_test_util.h"
#include "hnn/viz/render.h"
#include "hnn/viz/video.h"

using namespace hnn::events;
using namespace hnn::viz;
using hnn::events::test::TempFile;

TEST(Render, ColoursOverBackgroundAndFrame) {
  EventStream ev(4, 2);
  ev.push_back(0, 0, 0, true);
  ev.push_back(1, 1, 0, false);
  ev.push_back(2, 1, 0, false);
  ev.push_back(3, 1, 0, true);  // net OFF
  RenderOptions o;
  cv::Mat img = render_events(ev, 0, ev.size(), nullptr, o);
  ASSERT_EQ(img.cols, 4);
  EXPECT_EQ(img.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(img.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 128, 0));
  EXPECT_EQ(img.at<cv::Vec3b>(1, 3), cv::Vec3b(255, 255, 255));
  Frame f;
  f.width = 4;
  f.height = 2;
  f.pixels.assign(8, 200);
  o.scale = 3;
  o.frame_dim = 0.5;
  cv::Mat over = render_events(ev, 0, 1, &f, o);
  ASSERT_EQ(over.rows, 6);
  EXPECT_EQ(over.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(over.at<cv::Vec3b>(5, 11), cv::Vec3b(100, 100, 100));
  EXPECT_THROW(render_events(EventStream{}, 0, 0, nullptr, o), hnn::Error);
}

TEST(Render, PictureAndVideoFiles) {
  EventStream ev(32, 24);
  for (int i = 0; i < 200; ++i) ev.push_back(i * 100, i % 32, (i / 3) % 24, i % 2 == 0);
  for (const char* name : {"r.png", "r.avi", "r.gif"}) {
    TempFile f(name);
    {
      VideoOutput out(f.path, 10);
      for (int k = 0; k < 5; ++k) out.write(render_events(ev, (size_t)k * 40, (size_t)k * 40 + 40, nullptr));
      EXPECT_FALSE(hnn::file_exists(f.path));  // nothing under the final name before close()
      out.close();
    }
    ASSERT_TRUE(hnn::file_exists(f.path)) << name;
    std::string head = hnn::read_file(f.path).substr(0, 6);
    if (std::string(name) == "r.gif") {
      EXPECT_EQ(head, "GIF89a");
    }
    if (std::string(name) == "r.png") {
      EXPECT_EQ(cv::imread(f.path).cols, 32);
    }
    if (std::string(name) == "r.avi") {
      cv::VideoCapture cap(f.path);
      ASSERT_TRUE(cap.isOpened());
      EXPECT_EQ((int)cap.get(cv::CAP_PROP_FRAME_COUNT), 5);
    }
  }
  TempFile g("never.gif");
  {
    VideoOutput out(g.path, 10);
    out.write(render_events(ev, 0, 10, nullptr));
  }  // destroyed without close(): nothing left
  EXPECT_FALSE(hnn::file_exists(g.path));
  EXPECT_THROW(VideoOutput("x.webm", 10), hnn::Error);
}

// GIF palettes keep the given colours exactly (the tracking video's truth and prediction boxes);
// other colours become gray.
TEST(Render, GifKeepsTheGivenColours) {
  const cv::Scalar green(0, 200, 0), blue(255, 80, 0);
  TempFile f("colours.gif");
  {
    VideoOutput out(f.path, 10, {{0, 0, 255}, green, blue});
    cv::Mat m(8, 8, CV_8UC3, cv::Scalar(40, 40, 40));
    m.at<cv::Vec3b>(1, 1) = cv::Vec3b(0, 200, 0);
    m.at<cv::Vec3b>(2, 2) = cv::Vec3b(255, 80, 0);
    m.at<cv::Vec3b>(3, 3) = cv::Vec3b(10, 250, 10);  // not in the palette
    out.write(m);
    out.close();
  }
  int err = 0;
  GifFileType* gif = DGifOpenFileName(f.path.c_str(), &err);
  ASSERT_NE(gif, nullptr);
  ASSERT_EQ(DGifSlurp(gif), GIF_OK);
  ASSERT_EQ(gif->ImageCount, 1);
  const ColorMapObject* map = gif->SColorMap;
  const GifByteType* px = gif->SavedImages[0].RasterBits;
  auto rgb = [&](int y, int x) {
    const GifColorType& c = map->Colors[px[y * 8 + x]];
    return std::array<int, 3>{c.Red, c.Green, c.Blue};
  };
  EXPECT_EQ(rgb(1, 1), (std::array<int, 3>{0, 200, 0}));
  EXPECT_EQ(rgb(2, 2), (std::array<int, 3>{0, 80, 255}));
  auto other = rgb(3, 3);
  EXPECT_EQ(other[0], other[1]);
  EXPECT_EQ(other[1], other[2]);
  auto background = rgb(0, 0);
  EXPECT_NEAR(background[0], 40, 2);
  DGifCloseFile(gif, &err);
  EXPECT_THROW(VideoOutput(f.path, 10, std::vector<cv::Scalar>(17, green)), hnn::Error);
}
