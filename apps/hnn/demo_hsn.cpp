// hnn demo hsn: the hybrid sensing network end to end on built-in data. Generates a training and
// a test recording of the turning disk (AEDAT 4 + ground truth), trains a narrow HSN and the
// pure-ANN and pure-SNN baselines, evaluates them, sweeps the object speed in the streaming
// setting, measures throughput and writes plots and a tracking video to --out-dir.
#include <fmt/format.h>
#include <torch/torch.h>

#include "demos.h"
#include "hnn/core/fs.h"
#include "hnn/core/timer.h"
#include "hnn/models/hsn/visualize.h"
#include "hnn/viz/plot.h"
#include "hsn_tasks.h"

namespace hnn::cli {

void run_hsn(const DemoOptions& o, uint64_t seed) {
  using namespace hnn::cli::hsn;
  make_dirs(o.out_dir);
  auto path = [&](const std::string& f) { return o.out_dir + "/" + f; };
  Timer total;

  // 1. Data: two speeds, as the original train and test recordings, and a faster training
  // recording so that the trackers also see the larger steps of fast objects.
  GenerateOptions g;
  g.seed = seed;
  g.seconds = o.train_seconds;
  g.scene.speed = 0.5;
  fmt::print("== generating recordings (turning disk, DAVIS346 346x260, APS 25 Hz)\n");
  generate(g, path("train.aedat4"), path("train.gt.jsonl"));
  std::vector<std::string> train_files{path("train.aedat4")};
  if (o.fast_seconds > 0) {
    GenerateOptions gf = g;
    gf.seed = seed + 3;
    gf.seconds = o.fast_seconds;
    gf.scene.speed = 1.5;
    generate(gf, path("train_fast.aedat4"), path("train_fast.gt.jsonl"));
    train_files.push_back(path("train_fast.aedat4"));
  }
  GenerateOptions gt_opts = g;
  gt_opts.seed = seed + 1;
  gt_opts.seconds = o.test_seconds;
  gt_opts.scene.speed = 0.75;
  generate(gt_opts, path("test.aedat4"), path("test.gt.jsonl"));
  LoadOptions lo;
  // Training samples: 10 bins centred on each frame and 10, 20, 30 ms after it, so that the
  // trackers learn to follow the objects between frames (streaming use). The templates always
  // come from the frame; the ANN searches in the frame the scene shows at the window centre
  // (rendered from the recording's scene file), the HSN in the DVS bins. Test samples as the
  // reference (centred on the frame).
  LoadOptions train_lo = lo;
  train_lo.offsets_us = {0, 10000, 20000, 30000};
  std::vector<HsnData> windows;
  for (auto& f : train_files) windows.push_back(load(f, "", train_lo).data);
  auto train_data = concat(windows);
  auto test = load(path("test.aedat4"), "", lo);
  fmt::print(
      "samples: {} training (4 windows per frame, {} recording{}), {} test (APS frame + 10 DVS bins of 1 ms each)\n",
      train_data.size(), train_files.size(), train_files.size() > 1 ? "s at 0.5 and 1.5 turns/s" : "",
      test.data.size());

  // 2. Training: the HSN and the two baselines, same data and schedule.
  NetworkOptions net;
  net.width = o.width;
  TrainOptions to;
  to.epochs = o.hsn_epochs;
  to.batch = 8;
  to.lr = 3e-3;
  to.balanced_loss = true;
  fmt::print("\n== training (width {}, {} epochs, Adam 3e-3 -> 3e-4 at half, batch 8, balanced loss)\n", o.width,
             to.epochs);
  to.checkpoint = path("hsn.pt");
  auto hsn_m = train("HSN", Mode::Hybrid, net, train_data, nullptr, to);
  to.checkpoint = path("ann.pt");
  auto ann_m = train("ANN", Mode::AnnOnly, net, train_data, nullptr, to);
  std::vector<std::pair<std::string, Tracker>> trackers{{"HSN", hsn_m}, {"ANN", ann_m}};
  if (o.snn_baseline) {
    to.checkpoint = path("snn.pt");
    trackers.emplace_back("SNN", train("SNN", Mode::SnnOnly, net, train_data, nullptr, to));
  }

  // 3. Offline evaluation on the test recording.
  fmt::print("\n== test recording ({} turns/s), every bin of every sample\n", gt_opts.scene.speed);
  viz::Panel sp = success_panel("Success plot (test recording)");
  print_metrics_header();
  for (auto& [name, m] : trackers) {
    auto r = evaluate_tracker(m, test.data);
    print_metrics(name, r.overall);
    sp.series.push_back(success_series(r.overall, name));
  }
  viz::save_png(sp, path("success.png"), 700, 500);

  // 4. Streaming: the frame ANN answers at 25 Hz; the HSN every millisecond.
  fmt::print("\n== streaming evaluation against object speed\n");
  StreamingOptions so;
  so.load = lo;
  GenerateOptions sweep = gt_opts;
  sweep.seed = seed + 2;
  sweep.seconds = std::min(o.test_seconds, 2.0);
  auto rows = speed_sweep(hsn_m, ann_m, sweep, {1, 2, 4, 8}, so);
  print_sweep(rows);
  plot_sweep(rows, path("speed_sweep.png"));

  // 5. Throughput and the tracking video.
  auto tp = measure_throughput(hsn_m, 16, 5);
  fmt::print(
      "\nthroughput (CPU, {} threads): {:.0f} bins/s at batch 1 ({:.2f} ms per bin), {:.0f} bins/s at batch 16, "
      "{:.2f} ms for one bin alone\n",
      at::get_num_threads(), tp.bins_per_s_batch1, tp.latency_ms_batch1, tp.bins_per_s_batched, tp.latency_ms_single);
  TrackVideoOptions vo;
  vo.load = lo;
  vo.max_frames = 12;
  write_tracking_video(hsn_m, test.recording, &test.gt, path("tracking.gif"), vo);
  vo.max_frames = 40;
  write_tracking_video(hsn_m, test.recording, &test.gt, path("tracking.avi"), vo);
  fmt::print(
      "\nwrote {}/: train/test recordings (.aedat4 + .gt.jsonl + .scene.json), hsn.pt ann.pt{}, success.png, "
      "speed_sweep.png, "
      "tracking.gif, tracking.avi ({:.0f} s in all)\n",
      o.out_dir, o.snn_baseline ? " snn.pt" : "", total.seconds());
}

}  // namespace hnn::cli
