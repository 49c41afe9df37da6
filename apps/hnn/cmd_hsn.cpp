// hnn hsn: the hybrid sensing network (APS + DVS tracking of the turning disk).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/models/hsn/trainer.h"
#include "hnn/models/hsn/visualize.h"
#include "hnn/viz/plot.h"
#include "hsn_tasks.h"

namespace hnn::cli {
namespace {

using namespace hnn::cli::hsn;

struct HsnCli {
  // generate
  GenerateOptions gen;
  std::string out, gt;
  // data
  std::vector<std::string> train_paths;
  std::string val_path, in_path;
  LoadOptions load;
  // model / training
  NetworkOptions net;
  TrainOptions train;
  std::string mode = "hsn";
  std::vector<std::string> ckpts;
  std::string ckpt, ann_ckpt, plot;
  DecodeOptions decode;
  std::vector<double> offsets_ms = {0};
  // sweep
  std::vector<double> factors = {1, 2, 4, 8};
  // throughput
  int64_t batch = 16, repeats = 5;
  std::string device = "cpu";
  // track
  TrackVideoOptions video;
};

void add_load_options(CLI::App* c, HsnCli& o) {
  c->add_option("--crop", o.load.crop_x, "Left column of the DVS crop (sensor pixels)")->capture_default_str();
  c->add_option("--crop-y", o.load.crop_y, "Top row of the DVS crop")->capture_default_str();
  c->add_option("--crop-size", o.load.crop_size, "Crop size (145 in the reference)")->capture_default_str();
  c->add_option("--bins", o.load.bins, "DVS bins around each APS frame")->check(positive())->capture_default_str();
  c->add_option("--bin-us", o.load.bin_us, "Bin width in microseconds")->check(positive())->capture_default_str();
  c->add_flag("--aps-full-frame", o.load.aps_full_frame,
              "Resize the whole APS frame as the reference does (default: crop it like the DVS bins)");
  c->add_flag("--contour-labels", o.load.contour_labels, "Label objects from image contours, not ground truth");
}

void add_decode_options(CLI::App* c, HsnCli& o) {
  c->add_option("--upsample", o.decode.upsample, "Response-map upsampling (bicubic) before the argmax (1: none)")
      ->check(positive())
      ->capture_default_str();
  c->add_option("--decode-radius", o.decode.radius,
                "Refine the argmax to the centroid of the map's top within this many cells (0: the argmax alone, "
                "as the reference)")
      ->check(non_negative())
      ->capture_default_str();
  c->add_option("--decode-floor", o.decode.floor, "The top: response above this fraction of the peak")
      ->check(CLI::Range(0.0, 0.999))
      ->capture_default_str();
}

// "1,2,4" -> {1, 2, 4}; hnn::Error naming the option when an item is not a (positive) number.
std::vector<double> parse_numbers(const std::string& s, const char* option, bool positive) {
  std::vector<double> v;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      v.push_back(std::stod(item, &used));
      HNN_CHECK(used == item.size() && std::isfinite(v.back()) && (!positive || v.back() > 0), "");
    } catch (...) {
      fail("{}: bad list '{}': expected {}numbers separated by commas", option, s, positive ? "positive " : "");
    }
  }
  HNN_CHECK(!v.empty(), "{}: empty list", option);
  return v;
}

}  // namespace

void register_hsn(CLI::App& app, Globals& g) {
  static HsnCli o;
  auto* hsn = app.add_subcommand("hsn", "Hybrid sensing network: APS + DVS object tracking (turning disk)");
  hsn->require_subcommand(1);

  auto* gen =
      hsn->add_subcommand("generate", "Render a turning-disk recording (AEDAT 4 with APS frames) and its ground truth");
  gen->add_option("--speed", o.gen.scene.speed, "Disk speed in turns per second")
      ->check(positive())
      ->capture_default_str();
  gen->add_option("--seconds", o.gen.seconds, "Duration")->check(positive())->capture_default_str();
  gen->add_option("--aps-hz", o.gen.aps_hz, "APS frame rate")->check(positive())->capture_default_str();
  gen->add_option("--render-hz", o.gen.render_hz, "Frames fed to the event simulator per second")
      ->check(positive())
      ->capture_default_str();
  gen->add_option("--out", o.out, "Output .aedat4 file")->required();
  gen->add_option("--gt", o.gt, "Ground-truth JSON lines (default: <out>.gt.jsonl)");
  gen->callback([&g] {
    apply_globals(g);
    o.gen.seed = g.seed;
    generate(o.gen, o.out, o.gt.empty() ? ground_truth_path(o.out) : o.gt);
  });

  auto* tr = hsn->add_subcommand("train", "Train a tracker (HSN, or the ANN / SNN baselines) on a recording");
  tr->add_option("--train", o.train_paths, "Training recordings (.aedat4; several are joined, e.g. at several speeds)")
      ->required();
  tr->add_option("--val", o.val_path, "Validation recording (mIoU after each epoch)");
  tr->add_option("--mode", o.mode, "hsn (ANN templates, SNN search), ann or snn")
      ->check(CLI::IsMember({"hsn", "ann", "snn"}))
      ->capture_default_str();
  tr->add_option("--width", o.net.width, "Channel width factor (1: the paper's model; at most 4)")
      ->check(positive())
      ->check(CLI::Range(0.0, models::hsn::kMaxTrackerWidth))
      ->capture_default_str();
  tr->add_option("--decay", o.net.decay, "SNN membrane decay (0: memoryless, as the reference)")->capture_default_str();
  tr->add_option("--epochs", o.train.epochs, "Epochs")->check(positive())->capture_default_str();
  tr->add_option("--batch", o.train.batch, "Batch size")->check(positive())->capture_default_str();
  tr->add_option("--lr", o.train.lr, "Adam learning rate (x0.1 after half the epochs)")
      ->check(positive())
      ->capture_default_str();
  tr->add_flag("--balanced-loss", o.train.balanced_loss,
               "Weigh positive and negative cells of each response map equally (the reference sums them)");
  tr->add_option("--checkpoint-every", o.train.checkpoint_every, "Also save every N epochs")->check(non_negative());
  tr->add_option("--out", o.train.checkpoint, "Checkpoint to write")->required();
  tr->add_option("--resume", o.train.resume, "Continue from this checkpoint");
  tr->add_option_function<std::string>(
      "--offsets-ms", [](const std::string& s) { o.offsets_ms = parse_numbers(s, "--offsets-ms", false); },
      "Training samples per frame: bin windows centred at frame time + each offset, e.g. 0,10,20,30 "
      "(default 0, the reference; offsets across the frame interval help streaming use)");
  add_load_options(tr, o);
  tr->callback([&g] {
    apply_globals(g);
    LoadOptions train_load = o.load;
    train_load.offsets_us.clear();
    for (double ms : o.offsets_ms) train_load.offsets_us.push_back((int64_t)std::llround(ms * 1000));
    std::vector<HsnData> parts;
    for (auto& path : o.train_paths) parts.push_back(load(path, "", train_load).data);
    auto train_data = concat(parts);
    bool offsets = std::any_of(o.offsets_ms.begin(), o.offsets_ms.end(), [](double ms) { return ms != 0; });
    if (parse_mode(o.mode) == Mode::AnnOnly && offsets && !train_data.search.defined())
      spdlog::warn(
          "ANN with window offsets but no scene file (<recording>.scene.json, written by 'hnn hsn generate'): the ANN "
          "searches the APS frame for every offset");
    HsnData val;
    if (!o.val_path.empty()) val = load(o.val_path, "", o.load).data;
    o.train.callbacks = {std::make_shared<train::ProgressBar>("epoch")};
    train(o.mode, parse_mode(o.mode), o.net, train_data, o.val_path.empty() ? nullptr : &val, o.train);
    fmt::print("wrote {}\n", o.train.checkpoint);
  });

  auto* ev = hsn->add_subcommand("eval", "Evaluate checkpoints on a recording: mIoU, centre error, success plot");
  ev->add_option("--ckpt", o.ckpts, "Checkpoints (several to compare)")->required();
  ev->add_option("--in", o.in_path, "Recording (.aedat4)")->required();
  ev->add_option("--plot", o.plot, "Write the success plot to this PNG");
  add_decode_options(ev, o);
  add_load_options(ev, o);
  ev->callback([&g] {
    apply_globals(g);
    auto data = load(o.in_path, "", o.load).data;
    viz::Panel p = success_panel("Success plot");
    print_metrics_header();
    for (auto& c : o.ckpts) {
      auto m = load_tracker(c).model;
      EvalOptions eo;
      eo.decode = o.decode;
      auto r = evaluate_tracker(m, data, eo);
      print_metrics(to_string(m->mode), r.overall);
      p.series.push_back(success_series(r.overall, to_string(m->mode)));
    }
    if (!o.plot.empty()) {
      viz::save_png(p, o.plot, 700, 500);
      fmt::print("wrote {}\n", o.plot);
    }
  });

  auto* sw = hsn->add_subcommand("sweep", "Streaming evaluation against object speed (HSN vs real and ideal ANN)");
  sw->add_option("--hsn", o.ckpt, "HSN checkpoint")->required();
  sw->add_option("--ann", o.ann_ckpt, "ANN-only checkpoint")->required();
  sw->add_option("--speed", o.gen.scene.speed, "Base speed (turns/s)")->check(positive())->capture_default_str();
  sw->add_option("--seconds", o.gen.seconds, "Seconds of recording per speed")
      ->check(positive())
      ->capture_default_str();
  sw->add_option_function<std::string>(
      "--factors", [](const std::string& s) { o.factors = parse_numbers(s, "--factors", true); },
      "Speed factors, e.g. 1,2,4,8");
  sw->add_option("--plot", o.plot, "Write the plot to this PNG");
  add_decode_options(sw, o);
  sw->callback([&g] {
    apply_globals(g);
    auto hsn_m = load_tracker(o.ckpt).model, ann_m = load_tracker(o.ann_ckpt).model;
    o.gen.seed = g.seed + 1000;
    StreamingOptions so;
    so.load = o.load;
    so.decode = o.decode;
    auto rows = speed_sweep(hsn_m, ann_m, o.gen, o.factors, so);
    print_sweep(rows);
    if (!o.plot.empty()) {
      plot_sweep(rows, o.plot);
      fmt::print("wrote {}\n", o.plot);
    }
  });

  auto* tp = hsn->add_subcommand("throughput", "Bins per second and latency of the HSN (SNN pathway + correlation)");
  tp->add_option("--ckpt", o.ckpt, "Checkpoint (default: an untrained model of --width)");
  tp->add_option("--width", o.net.width, "Channel width factor (at most 4)")
      ->check(positive())
      ->check(CLI::Range(0.0, models::hsn::kMaxTrackerWidth))
      ->capture_default_str();
  tp->add_option("--batch", o.batch, "Batch size for the batched figure")->check(positive())->capture_default_str();
  tp->add_option("--repeats", o.repeats, "Timed runs (median)")->check(positive())->capture_default_str();
  tp->add_option("--device", o.device, "cpu or cuda")->capture_default_str();
  tp->callback([&g] {
    apply_globals(g);
    HNN_CHECK(o.device == "cpu" || torch::cuda::is_available(), "--device {}: CUDA is not available", o.device);
    Tracker m = o.ckpt.empty() ? Tracker(o.net, Mode::Hybrid) : load_tracker(o.ckpt).model;
    auto r = measure_throughput(m, o.batch, o.repeats, o.device);
    fmt::print(
        "HSN width {} on {} ({} threads): batch 1 {:.0f} bins/s ({:.2f} ms per bin), batch {} {:.0f} bins/s; "
        "streaming one bin per call {:.2f} ms ({:.0f} bins/s)\n",
        m->options.width, r.device, at::get_num_threads(), r.bins_per_s_batch1, r.latency_ms_batch1, r.batch,
        r.bins_per_s_batched, r.latency_ms_single, 1e3 / r.latency_ms_single);
  });

  auto* tk =
      hsn->add_subcommand("track", "Tracking video: APS frame, DVS events (red), truth (green), prediction (blue)");
  tk->add_option("--ckpt", o.ckpt, "HSN checkpoint")->required();
  tk->add_option("--in", o.in_path, "Recording (.aedat4)")->required();
  tk->add_option("--gt", o.gt, "Ground truth (default: <in>.gt.jsonl if present; else contour labels)");
  tk->add_option("--out", o.out, "Output video: .avi, .mp4, .gif or .png")->required();
  tk->add_option("--frames", o.video.max_frames, "APS frames to show")->check(positive())->capture_default_str();
  tk->add_option("--fps", o.video.fps, "Video frames per second")->check(positive())->capture_default_str();
  add_load_options(tk, o);
  add_decode_options(tk, o);
  tk->callback([&g] {
    apply_globals(g);
    auto m = load_tracker(o.ckpt).model;
    auto l = load(o.in_path, o.gt, o.load);
    o.video.load = o.load;
    o.video.decode = o.decode;
    int64_t n = write_tracking_video(m, l.recording, l.gt.empty() ? nullptr : &l.gt, o.out, o.video);
    fmt::print("wrote {} ({} frames)\n", o.out, n);
  });
}

}  // namespace hnn::cli
