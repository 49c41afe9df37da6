#include "hnn/models/hsn/evaluate.h"

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "hnn/core/error.h"
#include "hnn/core/timer.h"
#include "hnn/events/representation.h"
#include "hnn/models/hsn/loss.h"

namespace hnn::models::hsn {

EvalResult evaluate_tracker(Tracker& model, const HsnData& data, const EvalOptions& o) {
  HNN_CHECK(data.size() > 0, "HSN evaluation: no samples");
  torch::NoGradGuard ng;
  bool was_training = model->is_training();
  model->eval();
  Timer timer;
  const int64_t S = data.aps.size(-1);
  std::vector<at::Tensor> preds;
  for (int64_t b = 0; b < data.size(); b += o.batch) {
    auto batch = data.batch(b, b + o.batch);
    auto cm = model(batch.aps, batch.dvs, batch.aps_loc, batch.search);                 // [T, B, O, 13, 13]
    preds.push_back(loc_to_pixels(decode_locations(cm, o.decode), S).transpose(0, 1));  // [B, T, O, 2]
  }
  EvalResult r;
  r.pred_px = torch::cat(preds);
  r.seconds = timer.seconds();
  r.overall = track_metrics(r.pred_px, data.boxes);
  for (int k = 0; k < kObjects; ++k) r.per_object[k] = track_metrics(r.pred_px.select(2, k), data.boxes.select(2, k));
  model->train(was_training);
  return r;
}

namespace {

at::Tensor crop_frame(const cv::Mat& gray, const LoadOptions& l) {
  cv::Mat region = gray(cv::Rect(l.crop_x, l.crop_y, l.crop_size, l.crop_size)).clone();
  return torch::from_blob(region.data, {1, 1, l.crop_size, l.crop_size}, torch::kUInt8).to(torch::kFloat);
}

at::Tensor frame_tensor(const events::Frame& f, const LoadOptions& l) {
  HNN_CHECK(f.channels() == 1, "streaming evaluation expects gray APS frames");
  cv::Mat m(f.height, f.width, CV_8UC1, const_cast<uint8_t*>(f.pixels.data()));
  return crop_frame(m, l);
}

// True locations (grid units) and boxes (crop pixels) at time t.
std::pair<at::Tensor, at::Tensor> truth(const GroundTruth& gt, int64_t t, const LoadOptions& l) {
  auto b = gt.at(t);
  auto loc = torch::zeros({1, kObjects, 2}), box = torch::zeros({kObjects, 4});
  for (int k = 0; k < kObjects; ++k) {
    box[k] =
        torch::tensor({b[k].x0 - l.crop_x, b[k].y0 - l.crop_y, b[k].x1 - l.crop_x, b[k].y1 - l.crop_y}, torch::kFloat);
    loc[0][k] = pixels_to_loc(torch::tensor({b[k].cx() - l.crop_x, b[k].cy() - l.crop_y}, torch::kFloat), l.crop_size);
  }
  return {loc, box};
}

}  // namespace

StreamingResult streaming_eval(Tracker& hsn, Tracker& ann, const events::Recording& rec, const GroundTruth& gt,
                               const TurningDisk& scene, const StreamingOptions& o) {
  HNN_CHECK(hsn->mode == Mode::Hybrid && ann->mode == Mode::AnnOnly,
            "streaming evaluation needs an HSN tracker and an ANN-only tracker");
  HNN_CHECK(rec.frames.size() >= 2, "streaming evaluation needs at least two APS frames");
  torch::NoGradGuard ng;
  hsn->eval();
  ann->eval();
  const auto& l = o.load;
  const int64_t S = l.crop_size, bin = l.bin_us;
  std::vector<at::Tensor> p_hsn, p_real, p_ideal, boxes;
  cv::Mat ideal;
  int64_t t_start = rec.frames.front().t + o.warmup_ms * 1000;
  for (size_t k = 0; k + 1 < rec.frames.size(); ++k) {
    const auto& f = rec.frames[k];
    int64_t t0 = f.t, t1 = rec.frames[k + 1].t;
    if (t1 > rec.events.t_last()) break;
    auto aps = frame_tensor(f, l);
    auto [loc, box0] = truth(gt, t0, l);
    auto k_hsn = hsn->templates(aps, loc);
    auto k_ann = ann->templates(aps, loc);
    // The real ANN answers once per frame and holds it.
    auto real = loc_to_pixels(decode_locations(ann->respond_ann(aps, k_ann), o.decode), S)[0][0];  // [O, 2]
    // The HSN: all bins until the next frame as one sequence.
    const int64_t T = (t1 - t0) / bin;
    if (T <= 0) continue;
    auto bo = events::BinOptions::around(t0, T, bin, events::Align::After);
    bo.roi = events::Roi{l.crop_x, l.crop_y, (int)S, (int)S};
    auto dvs = events::event_counts(rec.events, bo).flip({1}).unsqueeze(1);            // [T, 1, 2, S, S]
    auto hs = loc_to_pixels(decode_locations(hsn->respond(dvs, k_hsn), o.decode), S);  // [T, 1, O, 2]
    for (int64_t t = 0; t < T; ++t) {
      int64_t tc = t0 + t * bin + bin / 2;
      if (tc < t_start) continue;
      scene.render((tc - gt.t.front()) * 1e-6, ideal);
      auto id = loc_to_pixels(decode_locations(ann->respond_ann(crop_frame(ideal, l), k_ann), o.decode), S)[0][0];
      p_hsn.push_back(hs[t][0]);
      p_real.push_back(real);
      p_ideal.push_back(id);
      boxes.push_back(truth(gt, tc, l).second);
    }
  }
  HNN_CHECK(!boxes.empty(), "streaming evaluation: no bins to evaluate");
  StreamingResult r;
  auto b = torch::stack(boxes);
  r.hsn = track_metrics(torch::stack(p_hsn), b);
  r.real_ann = track_metrics(torch::stack(p_real), b);
  r.ideal_ann = track_metrics(torch::stack(p_ideal), b);
  r.bins = b.size(0);
  return r;
}

Throughput measure_throughput(Tracker& hsn, int64_t batch, int64_t repeats, const std::string& device) {
  HNN_CHECK(hsn->mode == Mode::Hybrid, "throughput: needs an HSN tracker");
  torch::NoGradGuard ng;
  hsn->eval();
  torch::Device dev(device);
  hsn->to(dev);
  const int64_t S = 145;
  Throughput r;
  r.device = device;
  r.batch = batch;
  DecodeOptions on_grid;  // the default peak centroid, without the upsampling
  on_grid.upsample = 1;
  auto run = [&](int64_t B, int64_t T) {
    auto aps = torch::rand({B, 1, S, S}, dev) * 255;
    auto loc = torch::zeros({B, kObjects, 2}, dev);
    auto templates = hsn->templates(aps, loc);
    auto dvs = (torch::rand({T, B, 2, S, S}, dev) > 0.97).to(torch::kFloat);
    auto step = [&] {
      auto cm = hsn->respond(dvs, templates);
      decode_locations(cm, on_grid);
      if (dev.is_cuda()) cm.cpu();  // synchronise
    };
    auto s = time_median(step, 2, repeats);
    return s.median_s;
  };
  const int64_t T = 10;
  double s1 = run(1, T);
  r.bins_per_s_batch1 = T / s1;
  r.latency_ms_batch1 = s1 / T * 1e3;
  r.bins_per_s_batched = T * batch / run(batch, T);
  r.latency_ms_single = run(1, 1) * 1e3;
  return r;
}

}  // namespace hnn::models::hsn
