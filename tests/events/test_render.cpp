// Rendering: colours of ON/OFF pixels over a background or an APS frame, and the picture and
// video outputs (.png, .avi, .gif) written atomically.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "events_test_util.h"
#include "hnn/events/render.h"
#include "hnn/events/video.h"

using namespace hnn::events;
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
