#include "hnn/models/hsn/visualize.h"

#include <torch/torch.h>

#include "hnn/config.h"
#include "hnn/core/error.h"
#include "hnn/events/representation.h"
#include "hnn/models/hsn/loss.h"

#if HNN_HAVE_VIDEO
#include <opencv2/imgproc.hpp>

#include "hnn/viz/video.h"
#endif

namespace hnn::models::hsn {

#if HNN_HAVE_VIDEO
namespace {
// BGR; kept exactly in GIFs.
const cv::Vec3b kEventPixel(0, 0, 255);
const cv::Scalar kEventColor(kEventPixel[0], kEventPixel[1], kEventPixel[2]), kTruthColor(0, 200, 0),
    kPredictionColor(255, 80, 0);
}  // namespace

int64_t write_tracking_video(Tracker& hsn, const events::Recording& rec, const GroundTruth* gt, const std::string& out,
                             const TrackVideoOptions& o) {
  HNN_CHECK(hsn->mode == Mode::Hybrid, "tracking video: needs an HSN tracker");
  auto data = build_dataset(rec, gt, o.load);
  torch::NoGradGuard ng;
  hsn->eval();
  const int64_t S = o.load.crop_size, N = std::min<int64_t>(data.size(), o.max_frames);
  viz::VideoOutput video(out, o.fps, {kEventColor, kTruthColor, kPredictionColor});
  const int sc = o.scale;
  auto rect = [&](const at::Tensor& b) {  // crop pixels -> scaled cv::Rect
    return cv::Rect(cv::Point((int)std::lround(b[0].item<float>() * sc), (int)std::lround(b[1].item<float>() * sc)),
                    cv::Point((int)std::lround(b[2].item<float>() * sc), (int)std::lround(b[3].item<float>() * sc)));
  };
  int64_t written = 0;
  for (int64_t i = 0; i < N; ++i) {
    auto batch = data.batch(i, i + 1);
    auto cm = hsn(batch.aps, batch.dvs, batch.aps_loc);
    auto pred = loc_to_pixels(decode_locations(cm, o.decode), S);  // [T, 1, O, 2]
    cv::Mat aps(S, S, CV_8UC1, data.aps[i][0].contiguous().data_ptr<uint8_t>());
    for (int64_t t = 0; t < batch.dvs.size(0); ++t) {
      cv::Mat bgr, big;
      cv::cvtColor(aps, bgr, cv::COLOR_GRAY2BGR);
      bgr.convertTo(bgr, -1, 0.6, 0);
      auto d = data.dvs[i][t];  // [2 (ON, OFF), S, S]
      auto any = ((d[0] + d[1]) > 0).to(torch::kUInt8).contiguous();
      const uint8_t* a = any.data_ptr<uint8_t>();
      for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
          if (a[y * S + x]) bgr.at<cv::Vec3b>(y, x) = kEventPixel;
      cv::resize(bgr, big, cv::Size(S * sc, S * sc), 0, 0, cv::INTER_NEAREST);
      for (int k = 0; k < kObjects; ++k) {
        auto truth = data.boxes[i][t][k];
        cv::rectangle(big, rect(truth), kTruthColor, 2);
        auto w = truth[2] - truth[0], h = truth[3] - truth[1];
        auto p = pred[t][0][k];
        auto pb = torch::stack({p[0] - w / 2, p[1] - h / 2, p[0] + w / 2, p[1] + h / 2});
        cv::rectangle(big, rect(pb), kPredictionColor, 2);
      }
      cv::putText(big,
                  "t = " + std::to_string((data.t_us[i] - data.t_us[0]) / 1000 + t - batch.dvs.size(0) / 2) + " ms",
                  cv::Point(6, 18), cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
      video.write(big);
      ++written;
    }
  }
  video.close();
  return written;
}

#else

int64_t write_tracking_video(Tracker& hsn, const events::Recording& rec, const GroundTruth* gt, const std::string& out,
                             const TrackVideoOptions& o) {
  fail(
      "cannot write the tracking video '{}': hnn was built without OpenCV (install libopencv-dev, then "
      "reconfigure with -DHNN_WITH_VIDEO=ON)",
      out);
}

#endif  // HNN_HAVE_VIDEO

}  // namespace hnn::models::hsn
