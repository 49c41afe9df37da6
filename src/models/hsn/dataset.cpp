#include "hnn/models/hsn/dataset.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <optional>

#include "hnn/config.h"
#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "hnn/events/representation.h"
#include "hnn/models/hsn/loss.h"

#if HNN_HAVE_VIDEO
#include <opencv2/imgproc.hpp>
#endif

namespace hnn::models::hsn {

Batch HsnData::batch(const at::Tensor& idx) const {
  Batch b;
  b.aps = aps.index_select(0, idx).to(torch::kFloat);
  if (search.defined()) b.search = search.index_select(0, idx).to(torch::kFloat);
  b.dvs = dvs.index_select(0, idx).to(torch::kFloat).transpose(0, 1).contiguous();
  b.aps_loc = aps_loc.index_select(0, idx);
  b.dvs_loc = dvs_loc.index_select(0, idx).transpose(0, 1).contiguous();
  b.boxes = boxes.index_select(0, idx).transpose(0, 1).contiguous();
  return b;
}

Batch HsnData::batch(int64_t begin, int64_t end) const {
  return batch(torch::arange(begin, std::min(end, size()), torch::kLong));
}

HsnData concat(const std::vector<HsnData>& parts) {
  HNN_CHECK(!parts.empty(), "no recordings to join");
  if (parts.size() == 1) return parts[0];
  HsnData out;
  auto cat = [&](at::Tensor HsnData::*field, const char* name) {
    std::vector<at::Tensor> ts;
    for (size_t i = 0; i < parts.size(); ++i) {
      const auto& t = parts[i].*field;
      HNN_CHECK(t.sizes().slice(1) == (parts[0].*field).sizes().slice(1),
                "recording {} has {} samples of shape {}, the first one {} (same crop and bins expected)", i + 1, name,
                shape_str(t.sizes().slice(1)), shape_str((parts[0].*field).sizes().slice(1)));
      ts.push_back(t);
    }
    out.*field = torch::cat(ts);
  };
  cat(&HsnData::aps, "APS");
  cat(&HsnData::dvs, "DVS");
  cat(&HsnData::aps_loc, "template-location");
  cat(&HsnData::dvs_loc, "target-location");
  cat(&HsnData::boxes, "box");
  bool with_search = true;
  for (const auto& p : parts) with_search = with_search && p.search.defined();
  if (with_search) cat(&HsnData::search, "search-frame");
  for (const auto& p : parts) out.t_us.insert(out.t_us.end(), p.t_us.begin(), p.t_us.end());
  return out;
}

#if HNN_HAVE_VIDEO
bool contour_centres(const at::Tensor& image, bool aps, std::vector<std::array<double, 2>>& centres) {
  auto img = image.to(torch::kUInt8).contiguous();
  const int H = (int)img.size(0), W = (int)img.size(1);
  cv::Mat m(H, W, CV_8UC1, img.data_ptr<uint8_t>()), mask;
  if (aps) {
    cv::threshold(m, mask, 20, 255, cv::THRESH_BINARY);
  } else {
    mask = m > 0;
  }
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(mask, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_SIMPLE);
  std::stable_sort(contours.begin(), contours.end(),
                   [](const auto& a, const auto& b) { return cv::contourArea(a) > cv::contourArea(b); });
  size_t first = aps ? 1 : 0;  // APS: the largest contour is the disk itself
  if (contours.size() < first + kObjects) return false;
  centres.clear();
  for (size_t i = first; i < first + kObjects; ++i) {
    cv::Rect r = cv::boundingRect(contours[i]);
    centres.push_back({r.x + r.width / 2.0, r.y + r.height / 2.0});
  }
  double cx = W / 2.0, cy = H / 2.0;
  std::stable_sort(centres.begin(), centres.end(), [&](const auto& a, const auto& b) {
    return std::hypot(a[0] - cx, a[1] - cy) < std::hypot(b[0] - cx, b[1] - cy);
  });
  return true;
}

namespace {
// A gray sensor image (APS frame or rendered) as the ANN sees it: cropped to the DVS region (or
// the whole frame), resized to S x S; uint8 [1, S, S].
at::Tensor aps_pixels(const cv::Mat& gray, int offset_x, int offset_y, const LoadOptions& o) {
  const int S = o.crop_size;
  cv::Mat region = o.aps_full_frame ? gray : gray(cv::Rect(o.crop_x - offset_x, o.crop_y - offset_y, S, S)), resized;
  cv::resize(region, resized, cv::Size(S, S), 0, 0, cv::INTER_LINEAR);
  return torch::from_blob(resized.data, {1, S, S}, torch::kUInt8).clone();
}
}  // namespace

HsnData build_dataset(const events::Recording& rec, const GroundTruth* gt, const LoadOptions& o,
                      const SceneFile* scene_file) {
  const auto& ev = rec.events;
  HNN_CHECK(o.crop_x >= 0 && o.crop_y >= 0 && o.crop_x + o.crop_size <= ev.width && o.crop_y + o.crop_size <= ev.height,
            "HSN data: the {}-pixel crop at ({}, {}) does not fit the {}x{} sensor (the reference crop needs at "
            "least 233x216, e.g. a DAVIS346)",
            o.crop_size, o.crop_x, o.crop_y, ev.width, ev.height);
  HNN_CHECK(!rec.frames.empty(), "HSN data: the recording has no APS frames");
  HNN_CHECK(!o.offsets_us.empty(), "HSN data: no window offsets");
  HNN_CHECK(!ev.empty(), "HSN data: the recording has no events");
  const int S = o.crop_size;
  const int64_t T = o.bins, half = T * o.bin_us / 2;
  const bool contours = o.contour_labels || !gt || gt->empty();
  std::vector<at::Tensor> aps, dvs, aps_loc, dvs_loc, boxes, search;
  std::optional<TurningDisk> scene;
  if (scene_file) scene.emplace(scene_file->scene);
  cv::Mat rendered;
  HsnData d;
  int64_t skipped = 0;
  events::Roi roi{o.crop_x, o.crop_y, S, S};
  for (const auto& f : rec.frames)
    for (int64_t off : o.offsets_us) {
      const int64_t tc = f.t + off;  // centre of the bin window
      if (tc - half < ev.t_first() || tc + half > ev.t_last()) continue;
      // APS: gray, cropped (or the whole frame), resized to S x S.
      cv::Mat frame(f.height, f.width, f.channels() == 1 ? CV_8UC1 : CV_8UC3, const_cast<uint8_t*>(f.pixels.data()));
      cv::Mat gray;
      if (f.channels() == 1) {
        gray = frame;
      } else {
        cv::cvtColor(frame, gray, f.channels() == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
      }
      auto a = aps_pixels(gray, f.offset_x, f.offset_y, o);
      // The ANN's search frame: the frame itself at offset 0, else the scene rendered at the
      // window centre with read noise as the APS frames have (seeded by the time).
      at::Tensor sf;
      if (scene) {
        if (off == 0) {
          sf = a;
        } else {
          scene->render((tc - scene_file->t0_us) * 1e-6, rendered, tc);
          sf = aps_pixels(rendered, 0, 0, o);
        }
      }
      // DVS: T bins of bin_us centred on tc, ON/OFF counts in the crop.
      auto bo = events::BinOptions::around(tc, T, o.bin_us, events::Align::Centered);
      bo.roi = roi;
      auto counts = events::event_counts(ev, bo);                    // [T, 2 (OFF, ON), S, S]
      auto d_t = counts.flip({1}).clamp_max(255).to(torch::kUInt8);  // reference order: ON, OFF
      // Labels: templates at the frame's locations, targets at each bin's.
      auto al = torch::zeros({kObjects, 2}), dl = torch::zeros({T, kObjects, 2}), bx = torch::zeros({T, kObjects, 4});
      bool ok = true;
      if (contours) {
        std::vector<std::array<double, 2>> c;
        ok = contour_centres(a[0], true, c);
        for (int k = 0; ok && k < kObjects; ++k) al[k] = torch::tensor({c[k][0], c[k][1]}, torch::kFloat);
        for (int64_t t = 0; ok && t < T; ++t) {
          ok = contour_centres(d_t[t][1], false, c);
          for (int k = 0; ok && k < kObjects; ++k) {
            dl[t][k] = torch::tensor({c[k][0], c[k][1]}, torch::kFloat);
            bx[t][k] = torch::tensor({c[k][0] - 8, c[k][1] - 8, c[k][0] + 8, c[k][1] + 8}, torch::kFloat);
          }
        }
      } else {
        auto shift = [&](const Box& b) {
          return torch::tensor({b.x0 - o.crop_x, b.y0 - o.crop_y, b.x1 - o.crop_x, b.y1 - o.crop_y}, torch::kFloat);
        };
        auto at_frame = gt->at(f.t);
        for (int k = 0; k < kObjects; ++k) {
          auto b = shift(at_frame[k]);
          al[k] = torch::stack({(b[0] + b[2]) / 2, (b[1] + b[3]) / 2});
          if (o.aps_full_frame) {  // the whole frame was resized: scale the centre likewise
            al[k][0] = (at_frame[k].cx()) * S / f.width;
            al[k][1] = (at_frame[k].cy()) * S / f.height;
          }
        }
        for (int64_t t = 0; t < T; ++t) {
          auto at_bin = gt->at(tc - half + t * o.bin_us + o.bin_us / 2);
          for (int k = 0; k < kObjects; ++k) {
            bx[t][k] = shift(at_bin[k]);
            dl[t][k] = torch::stack({(bx[t][k][0] + bx[t][k][2]) / 2, (bx[t][k][1] + bx[t][k][3]) / 2});
          }
        }
      }
      if (!ok) {
        ++skipped;
        continue;
      }
      aps.push_back(a);
      if (sf.defined()) search.push_back(sf);
      dvs.push_back(d_t);
      aps_loc.push_back(pixels_to_loc(al, S));
      dvs_loc.push_back(pixels_to_loc(dl, S));
      boxes.push_back(bx);
      d.t_us.push_back(f.t);
    }
  if (skipped) spdlog::warn("HSN data: {} frames skipped (fewer than {} objects found by contours)", skipped, kObjects);
  HNN_CHECK(!aps.empty(), "HSN data: no usable frame (need APS frames with {} ms of events around them{})",
            T * o.bin_us / 1000, contours ? " and three objects visible" : "");
  d.aps = torch::stack(aps);
  if (!search.empty()) d.search = torch::stack(search);
  d.dvs = torch::stack(dvs);
  d.aps_loc = torch::stack(aps_loc);
  d.dvs_loc = torch::stack(dvs_loc);
  d.boxes = torch::stack(boxes);
  return d;
}
#else   // built without OpenCV: the HSN's frame processing (contours, resizing) is unavailable

namespace {
[[noreturn]] void no_opencv() {
  fail(
      "the HSN data pipeline needs OpenCV: hnn was built without it (install libopencv-dev, then "
      "reconfigure with -DHNN_WITH_VIDEO=ON)");
}
}  // namespace

bool contour_centres(const at::Tensor& image, bool aps, std::vector<std::array<double, 2>>& centres) {
  no_opencv();
}

HsnData build_dataset(const events::Recording& rec, const GroundTruth* gt, const LoadOptions& o, const SceneFile*) {
  no_opencv();
}
#endif  // HNN_HAVE_VIDEO

}  // namespace hnn::models::hsn
