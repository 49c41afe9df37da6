#include "hnn/viz/video.h"

#include <gif_lib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "hnn/core/error.h"

namespace hnn::viz {

namespace {
std::string lower_extension(const std::string& path) {
  auto dot = path.find_last_of('.');
  auto slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string e = path.substr(dot);
  for (char& c : e) c = (char)std::tolower((unsigned char)c);
  return e;
}
constexpr size_t kMaxColors = 16;
}  // namespace

struct VideoOutput::Impl {
  std::string path, tmp, ext;
  double fps;
  std::vector<cv::Vec3b> colors;  // palette entries grays() .. 255
  int grays() const { return 256 - (int)colors.size(); }
  cv::VideoWriter video;
  GifFileType* gif = nullptr;
  cv::Size size;
  int frames = 0;
  bool closed = false;

  void gif_frame(const cv::Mat& bgr) {
    if (frames == 0) {
      int err = 0;
      gif = EGifOpenFileName(tmp.c_str(), false, &err);
      HNN_CHECK(gif, "cannot open '{}' for writing: {}", path, GifErrorString(err));
      const int n = grays();
      std::vector<GifColorType> palette(256);
      for (int i = 0; i < n; ++i) {
        auto v = (GifByteType)((i * 255 + (n - 1) / 2) / (n - 1));
        palette[(size_t)i] = {v, v, v};
      }
      for (size_t k = 0; k < colors.size(); ++k) palette[(size_t)n + k] = {colors[k][2], colors[k][1], colors[k][0]};
      ColorMapObject* map = GifMakeMapObject(256, palette.data());
      HNN_CHECK(map, "{}: cannot make the GIF palette", path);
      EGifSetGifVersion(gif, true);
      int rc = EGifPutScreenDesc(gif, bgr.cols, bgr.rows, 8, 0, map);
      GifFreeMapObject(map);
      HNN_CHECK(rc == GIF_OK, "{}: GIF error {}", path, GifErrorString(gif->Error));
      // Loop forever (NETSCAPE2.0 application extension).
      unsigned char app[] = "NETSCAPE2.0";
      unsigned char loop[] = {1, 0, 0};
      HNN_CHECK(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_OK &&
                    EGifPutExtensionBlock(gif, 11, app) == GIF_OK && EGifPutExtensionBlock(gif, 3, loop) == GIF_OK &&
                    EGifPutExtensionTrailer(gif) == GIF_OK,
                "{}: GIF error {}", path, GifErrorString(gif->Error));
    }
    int delay = std::max(1, (int)(100.0 / fps + 0.5));  // centiseconds
    unsigned char gce[4] = {0, (unsigned char)(delay & 0xff), (unsigned char)(delay >> 8), 0};
    HNN_CHECK(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_OK &&
                  EGifPutImageDesc(gif, 0, 0, bgr.cols, bgr.rows, false, nullptr) == GIF_OK,
              "{}: GIF error {}", path, GifErrorString(gif->Error));
    const int n = grays();
    std::vector<GifPixelType> line((size_t)bgr.cols);
    for (int y = 0; y < bgr.rows; ++y) {
      const cv::Vec3b* row = bgr.ptr<cv::Vec3b>(y);
      for (int x = 0; x < bgr.cols; ++x) {
        const cv::Vec3b& c = row[x];
        auto it = std::find(colors.begin(), colors.end(), c);
        if (it != colors.end()) {
          line[(size_t)x] = (GifPixelType)(n + (it - colors.begin()));
        } else {
          int g = (c[0] * 114 + c[1] * 587 + c[2] * 299) / 1000;
          line[(size_t)x] = (GifPixelType)((g * (n - 1) + 127) / 255);
        }
      }
      HNN_CHECK(EGifPutLine(gif, line.data(), bgr.cols) == GIF_OK, "{}: GIF error {}", path,
                GifErrorString(gif->Error));
    }
  }
};

VideoOutput::VideoOutput(const std::string& path, double fps, const std::vector<cv::Scalar>& colors)
    : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.path = path;
  im.ext = lower_extension(path);
  HNN_CHECK(im.ext == ".png" || im.ext == ".avi" || im.ext == ".mp4" || im.ext == ".gif",
            "'{}': unknown output extension '{}', expected .png, .avi, .mp4 or .gif", path, im.ext);
  HNN_CHECK(fps > 0 && fps <= 1000, "frame rate {} must be in (0, 1000]", fps);
  im.fps = fps;
  // The temporary name keeps the extension: OpenCV picks the container from it.
  im.tmp = path + ".tmp-" + std::to_string(getpid()) + im.ext;
  HNN_CHECK(colors.size() <= kMaxColors, "{}: at most {} exact GIF colours, got {}", path, kMaxColors, colors.size());
  for (auto& c : colors) im.colors.emplace_back((uchar)c[0], (uchar)c[1], (uchar)c[2]);
}

VideoOutput::~VideoOutput() {
  if (!impl_ || impl_->closed) return;
  if (impl_->video.isOpened()) impl_->video.release();
  if (impl_->gif) {
    int err = 0;
    EGifCloseFile(impl_->gif, &err);
  }
  std::remove(impl_->tmp.c_str());
}

int VideoOutput::frames() const {
  return impl_->frames;
}

void VideoOutput::write(const cv::Mat& bgr) {
  auto& im = *impl_;
  HNN_CHECK(!im.closed, "{}: output is closed", im.path);
  HNN_CHECK(bgr.type() == CV_8UC3 && !bgr.empty(), "{}: frames must be 8-bit BGR", im.path);
  if (im.frames == 0) im.size = bgr.size();
  HNN_CHECK(bgr.size() == im.size, "{}: frame {} is {}x{}, the first was {}x{}", im.path, im.frames, bgr.cols, bgr.rows,
            im.size.width, im.size.height);
  if (im.ext == ".png") {
    if (im.frames == 0) HNN_CHECK(cv::imwrite(im.tmp, bgr), "cannot write '{}'", im.path);
  } else if (im.ext == ".gif") {
    im.gif_frame(bgr);
  } else {
    if (im.frames == 0) {
      int fourcc =
          im.ext == ".avi" ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G') : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
      im.video.open(im.tmp, cv::CAP_FFMPEG, fourcc, im.fps, bgr.size());
      if (!im.video.isOpened()) im.video.open(im.tmp, fourcc, im.fps, bgr.size());
      HNN_CHECK(im.video.isOpened(), "cannot open '{}' for writing (OpenCV videoio has no {} writer)", im.path, im.ext);
    }
    im.video.write(bgr);
  }
  ++im.frames;
}

void VideoOutput::close() {
  auto& im = *impl_;
  HNN_CHECK(!im.closed, "{}: output is already closed", im.path);
  HNN_CHECK(im.frames > 0, "{}: no frames to write", im.path);
  if (im.video.isOpened()) im.video.release();
  if (im.gif) {
    int err = 0;
    int rc = EGifCloseFile(im.gif, &err);
    im.gif = nullptr;
    HNN_CHECK(rc == GIF_OK, "{}: GIF error {}", im.path, GifErrorString(err));
    chmod(im.tmp.c_str(), 0644);  // giflib creates the file 0600
  }
  im.closed = true;
  if (std::rename(im.tmp.c_str(), im.path.c_str()) != 0) {
    std::remove(im.tmp.c_str());
    fail("cannot write '{}'", im.path);
  }
}

}  // namespace hnn::viz
