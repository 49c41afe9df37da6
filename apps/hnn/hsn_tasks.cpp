#include "hsn_tasks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/events/formats.h"
#include "hnn/viz/plot.h"

namespace hnn::cli::hsn {

namespace {
std::string stem(const std::string& recording) {
  auto dot = recording.find_last_of('.');
  auto slash = recording.find_last_of('/');
  return dot != std::string::npos && (slash == std::string::npos || dot > slash) ? recording.substr(0, dot) : recording;
}
}  // namespace

std::string ground_truth_path(const std::string& recording) {
  return stem(recording) + ".gt.jsonl";
}

std::string scene_path(const std::string& recording) {
  return stem(recording) + ".scene.json";
}

void generate(const GenerateOptions& g, const std::string& out, const std::string& gt_out) {
  GroundTruth gt;
  auto rec = generate_recording(g, &gt);
  events::write_recording(out, rec);
  const int64_t n = (int64_t)rec.events.size();
  write_ground_truth(gt_out, gt);
  write_scene(scene_path(out), SceneFile{g.scene, g.t0_us});
  fmt::print("wrote {}: {} events, {} APS frames, {:.1f} s at {} turns/s ({} events/s); ground truth {}\n", out, n,
             rec.frames.size(), g.seconds, g.scene.speed, (int64_t)(n / g.seconds), gt_out);
}

Loaded load(const std::string& path, const std::string& gt_path, const LoadOptions& lo) {
  Loaded l;
  l.recording = events::read_recording(path);
  std::string gp = gt_path.empty() ? ground_truth_path(path) : gt_path;
  if (!gt_path.empty() || file_exists(gp)) l.gt = read_ground_truth(gp);
  SceneFile scene;
  const bool with_scene = !l.gt.empty() && file_exists(scene_path(path));
  if (with_scene) scene = read_scene(scene_path(path));
  l.data = build_dataset(l.recording, l.gt.empty() ? nullptr : &l.gt, lo, with_scene ? &scene : nullptr);
  return l;
}

Tracker train(const std::string& label, Mode mode, const NetworkOptions& net, const HsnData& train_data,
              const HsnData* val, TrainOptions to) {
  Tracker model(net, mode);
  int64_t params = 0;
  for (auto& p : model->parameters()) params += p.numel();
  fmt::print("training {} ({} tracker, width {}, {} parameters) on {} samples for {} epochs\n", label, to_string(mode),
             net.width, params, train_data.size(), to.epochs);
  train_tracker(model, train_data, val, to, [&](const EpochLog& e) {
    fmt::print("  {} epoch {:>3}: loss {:>9.4f}{}  {:.1f} s\n", label, e.epoch, e.loss,
               e.val_miou >= 0 ? fmt::format("  val mIoU {:.3f}", e.val_miou) : std::string(), e.seconds);
    std::fflush(stdout);
  });
  return model;
}

std::vector<SweepRow> speed_sweep(Tracker& hsn, Tracker& ann, GenerateOptions g, const std::vector<double>& factors,
                                  const StreamingOptions& so) {
  std::vector<SweepRow> rows;
  const double base = g.scene.speed;
  for (double f : factors) {
    g.scene.speed = base * f;
    GroundTruth gt;
    auto rec = generate_recording(g, &gt);
    SweepRow r;
    r.factor = f;
    r.speed = g.scene.speed;
    r.result = streaming_eval(hsn, ann, rec, gt, TurningDisk(g.scene), so);
    fmt::print("  speed x{:g} ({:.2f} turns/s): HSN {:.3f}, real ANN {:.3f}, ideal ANN {:.3f} mIoU over {} bins\n", f,
               r.speed, r.result.hsn.mean_iou, r.result.real_ann.mean_iou, r.result.ideal_ann.mean_iou, r.result.bins);
    std::fflush(stdout);
    rows.push_back(r);
  }
  return rows;
}

void print_sweep(const std::vector<SweepRow>& rows) {
  fmt::print("\nstreaming mIoU (HSN every 1-ms bin; real ANN only at 25 Hz APS frames; ideal ANN a frame every bin)\n");
  fmt::print("{:>7} {:>10} {:>8} {:>9} {:>10} {:>13}\n", "speed", "turns/s", "HSN", "real ANN", "ideal ANN",
             "HSN/real ANN");
  for (auto& r : rows)
    fmt::print("{:>6}x {:>10.2f} {:>8.3f} {:>9.3f} {:>10.3f} {:>12.2f}x\n", r.factor, r.speed, r.result.hsn.mean_iou,
               r.result.real_ann.mean_iou, r.result.ideal_ann.mean_iou,
               r.result.hsn.mean_iou / std::max(1e-9, r.result.real_ann.mean_iou));
}

void plot_sweep(const std::vector<SweepRow>& rows, const std::string& png) {
  viz::Panel p;
  p.title = "Streaming tracking accuracy against object speed";
  p.xlabel = "speed factor";
  p.ylabel = "mIoU";
  p.xmin = 0;
  p.ymin = 0;
  p.ymax = 1;
  p.legend = "bl";
  viz::Series h{{}, {}, "HSN (1 ms bins)", viz::Style::LinePoints, 0};
  viz::Series r{{}, {}, "real ANN (25 Hz)", viz::Style::LinePoints, 1};
  viz::Series i{{}, {}, "ideal ANN (1 kHz frames)", viz::Style::LinePoints, 2};
  for (auto& row : rows) {
    for (auto* s : {&h, &r, &i}) s->x.push_back(row.factor);
    h.y.push_back(row.result.hsn.mean_iou);
    r.y.push_back(row.result.real_ann.mean_iou);
    i.y.push_back(row.result.ideal_ann.mean_iou);
  }
  p.series = {h, r, i};
  viz::save_png(p, png, 800, 500);
}

viz::Panel success_panel(const std::string& title) {
  viz::Panel p;
  p.title = title;
  p.xlabel = "IoU threshold";
  p.ylabel = "fraction of predictions";
  p.ymin = 0;
  p.ymax = 1;
  p.legend = "bl";
  return p;
}

void print_metrics_header() {
  fmt::print("{:<12} {:>7} {:>14} {:>13} {:>12}\n", "tracker", "mIoU", "centre err px", "prec@20px", "success AUC");
}

void print_metrics(const std::string& name, const TrackMetrics& m) {
  fmt::print("{:<12} {:>7.3f} {:>14.2f} {:>13.3f} {:>12.3f}\n", name, m.mean_iou, m.center_error_px, m.precision_20px,
             m.success_auc);
}

}  // namespace hnn::cli::hsn
