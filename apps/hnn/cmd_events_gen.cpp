// hnn events simulate|saccades: generated event recordings (the event simulator on frames or a
// video; N-MNIST-like saccade recordings of an IDX image set), written in the real formats.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <dirent.h>
#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <optional>

#include "cli_util.h"
#include "cmd_events.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/data/idx.h"
#include "hnn/events/formats.h"
#include "hnn/events/nmnist.h"
#include "hnn/events/saccades.h"
#include "hnn/events/simulator.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {

using namespace hnn::events;

namespace {

// ---------------------------------------------------------------- simulate

struct SimulateCliOptions {
  std::string frames, out, compression = "lz4", resize;
  double fps = 0;
  double threshold = 0.2, threshold_on = 0, threshold_off = 0, mismatch = 0.03;
  double shot_noise_hz = 0, leak_hz = 0;
  int64_t refractory_us = 0;
  int64_t max_frames = 0;
  bool keep_frames = false;
};

std::vector<std::string> image_files(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  HNN_CHECK(d, "cannot open folder '{}'", dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name, l = n;
    for (char& c : l) c = (char)std::tolower((unsigned char)c);
    for (const char* ext : {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff"}) {
      size_t k = std::strlen(ext);
      if (l.size() > k && l.compare(l.size() - k, k, ext) == 0) {
        names.push_back(n);
        break;
      }
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (auto& n : names) n = dir + "/" + n;
  return names;
}

void simulate_cmd(const SimulateCliOptions& o, uint64_t seed) {
  SimulatorOptions so;
  so.threshold_on = o.threshold_on > 0 ? o.threshold_on : o.threshold;
  so.threshold_off = o.threshold_off > 0 ? o.threshold_off : o.threshold;
  so.mismatch = o.mismatch;
  so.refractory_us = o.refractory_us;
  so.shot_noise_hz = o.shot_noise_hz;
  so.leak_hz = o.leak_hz;
  so.seed = seed;
  const bool to_aedat4 = format_from_extension(o.out) == FileFormat::Aedat4;

  // Frame source: a folder of images (sorted by name) or a video.
  std::vector<std::string> files;
  cv::VideoCapture cap;
  double fps = o.fps;
  int64_t total = 0;
  if (is_directory(o.frames)) {
    files = image_files(o.frames);
    HNN_CHECK(!files.empty(), "--frames folder '{}' has no images (.png, .jpg, .bmp, .pgm, .tif)", o.frames);
    if (fps <= 0) fps = 30;
    total = (int64_t)files.size();
  } else {
    HNN_CHECK(file_exists(o.frames), "--frames '{}' does not exist", o.frames);
    HNN_CHECK(cap.open(o.frames), "cannot open video '{}' (OpenCV videoio)", o.frames);
    if (fps <= 0) fps = cap.get(cv::CAP_PROP_FPS);
    if (!(fps > 0 && fps < 100000)) fps = 30;
    total = std::max<int64_t>(0, (int64_t)cap.get(cv::CAP_PROP_FRAME_COUNT));
  }
  if (o.max_frames > 0) total = total > 0 ? std::min(total, o.max_frames) : o.max_frames;

  std::optional<EventSimulator> sim;
  std::unique_ptr<Aedat4Writer> writer;
  Recording rec;
  rec.format = to_aedat4 ? "aedat4" : "";
  EventStream pending;
  int64_t n_events = 0, n_on = 0, index = 0;
  int W = 0, H = 0;
  Aedat4WriteOptions wo;
  wo.compression = parse_compression(o.compression);
  Progress bar(total, "simulating", "frames");
  cv::Mat img, gray;
  while (o.max_frames <= 0 || index < o.max_frames) {
    if (!files.empty()) {
      if (index >= (int64_t)files.size()) break;
      img = cv::imread(files[(size_t)index], cv::IMREAD_GRAYSCALE);
      HNN_CHECK(!img.empty(), "cannot read image '{}'", files[(size_t)index]);
    } else if (!cap.read(img) || img.empty()) {
      break;
    }
    if (img.channels() == 3)
      cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
    else if (img.channels() == 4)
      cv::cvtColor(img, gray, cv::COLOR_BGRA2GRAY);
    else
      gray = img;
    if (gray.depth() != CV_8U) gray.convertTo(gray, CV_8U, gray.depth() == CV_16U ? 1.0 / 257 : 1.0);
    if (!o.resize.empty()) {
      auto [rw, rh] = parse_size(o.resize, "--resize");
      cv::resize(gray, gray, cv::Size(rw, rh), 0, 0, cv::INTER_AREA);
    }
    if (!gray.isContinuous()) gray = gray.clone();
    if (index == 0) {
      W = gray.cols, H = gray.rows;
      sim.emplace(W, H, so);
      pending = EventStream(W, H);
      rec.events = EventStream(W, H);
      if (to_aedat4) {
        std::vector<StreamInfo> streams{StreamInfo::events(0, W, H, "hnn-simulator")};
        if (o.keep_frames) streams.push_back(StreamInfo::frames(1, W, H, "hnn-simulator"));
        writer = std::make_unique<Aedat4Writer>(o.out, streams, wo);
      }
    }
    HNN_CHECK(gray.cols == W && gray.rows == H, "frame {} is {}x{}, the first was {}x{} (use --resize)", index,
              gray.cols, gray.rows, W, H);
    const int64_t t = (int64_t)std::llround((double)index * 1e6 / fps);
    sim->add_frame(gray.ptr<uint8_t>(), t, pending);
    n_events += (int64_t)pending.size();
    n_on += pending.count_on();
    if (writer) {
      // Events up to this frame, then the frame: packets stay in time order.
      writer->write_events(0, pending);
      if (o.keep_frames) {
        Frame f;
        f.t = f.begin_t = f.end_t = f.exposure_begin_t = f.exposure_end_t = t;
        f.width = W;
        f.height = H;
        f.pixels.assign(gray.data, gray.data + (size_t)W * H);
        writer->write_frame(1, f);
      }
    } else {
      rec.events.append(pending);
    }
    pending.clear();
    ++index;
    bar.update(1, {{"events", (double)n_events}});
  }
  bar.finish();
  HNN_CHECK(index >= 2, "'{}' gave {} frame(s); the simulator needs at least 2", o.frames, index);
  if (writer)
    writer->close();
  else
    write_recording(o.out, rec);
  fmt::print("{} frames ({}x{}, {:.2f} fps) -> {}: {} events ({:.1f}% ON), seed {}\n", index, W, H, fps, o.out,
             n_events, n_events ? 100.0 * (double)n_on / (double)n_events : 0.0, seed);
}

// ---------------------------------------------------------------- saccades

struct SaccadeCliOptions {
  std::string idx, labels, out, format = "bin", compare, plot;
  int64_t first = 0, count = 1000, id_base = 1;
  double threshold = 0, blur = -1, amplitude = 1, shot_noise_hz = -1;
  bool no_invert = false;
};

// Correlation of the per-pixel (ON - OFF) counts of two streams in [t0, t1), relative times.
double net_map_correlation(const EventStream& a, const EventStream& b, int64_t t0, int64_t t1) {
  auto map = [&](const EventStream& e) {
    std::vector<double> m((size_t)e.width * e.height, 0.0);
    for (size_t i = 0; i < e.size(); ++i)
      if (e.t[i] >= t0 && e.t[i] < t1) m[(size_t)e.y[i] * e.width + e.x[i]] += e.p[i] ? 1.0 : -1.0;
    return m;
  };
  if (a.width != b.width || a.height != b.height) return 0.0;
  std::vector<double> x = map(a), y = map(b);
  double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= (double)x.size();
  my /= (double)y.size();
  for (size_t i = 0; i < x.size(); ++i)
    sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my), sxy += (x[i] - mx) * (y[i] - my);
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

void saccades_cmd(const SaccadeCliOptions& o, uint64_t seed) {
  HNN_CHECK(o.format == "bin" || o.format == "aedat4", "--format '{}': expected bin or aedat4", o.format);
  at::Tensor images = data::read_idx(o.idx, o.first + o.count);
  HNN_CHECK(images.dim() == 3 && images.scalar_type() == at::kByte,
            "'{}': expected uint8 images [N, H, W], got {} dimensions", o.idx, images.dim());
  const int64_t n_total = images.size(0);
  HNN_CHECK(o.first >= 0 && o.first < n_total, "--first {} is outside the {} images of '{}'", o.first, n_total, o.idx);
  const int64_t count = std::min(o.count, n_total - o.first);
  at::Tensor labels;
  if (!o.labels.empty()) labels = data::read_idx(o.labels, o.first + count).to(at::kLong);
  images = images.contiguous();
  make_dirs(o.out);

  SaccadeOptions so;
  if (o.threshold > 0) so.sim.threshold_on = so.sim.threshold_off = o.threshold;
  if (o.blur >= 0) so.blur_sigma = o.blur;
  if (o.shot_noise_hz >= 0) so.sim.shot_noise_hz = o.shot_noise_hz;
  so.amplitude = o.amplitude;
  so.invert = !o.no_invert;
  const int H = (int)images.size(1), W = (int)images.size(2);
  Progress bar(count, "saccades", "images");
  std::vector<std::string> written((size_t)count);
  const int64_t chunk = 64;
  for (int64_t c0 = 0; c0 < count; c0 += chunk) {
    int64_t c1 = std::min(count, c0 + chunk);
    // Each recording depends only on (seed, id), so the order of the threads does not matter.
    at::parallel_for(c0, c1, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int64_t index = o.first + i, id = index + o.id_base;
        const uint8_t* px = images.data_ptr<uint8_t>() + index * H * W;
        EventStream ev = saccade_recording(px, H, W, so, seed * 1000003ull + (uint64_t)id);
        std::string path = fmt::format("{}/{}.{}", o.out, id, o.format);
        if (o.format == "bin") {
          write_nmnist(path, ev);
        } else {
          Recording rec;
          rec.events = std::move(ev);
          write_aedat4(path, rec);
        }
        written[(size_t)i] = path;
      }
    });
    bar.update(c1 - c0);
  }
  bar.finish();
  if (labels.defined()) {
    std::string text = "#sample #class\n";
    for (int64_t i = 0; i < count; ++i)
      text += fmt::format("{}\t{}\n", o.first + i + o.id_base, labels[o.first + i].item<int64_t>());
    write_file_atomically(o.out + "/labels.txt", text);
  }
  fmt::print("wrote {} recordings ({}x{} sensor, ids {}-{}) to {}{}\n", count, so.sensor, so.sensor,
             o.first + o.id_base, o.first + count - 1 + o.id_base, o.out, labels.defined() ? " with labels.txt" : "");

  if (o.compare.empty()) return;
  // The same ids in the reference folder when it has them (same digits), else all its files.
  std::vector<std::string> ref_files;
  for (const auto& w : written) {
    std::string name = w.substr(w.find_last_of('/') + 1);
    std::string cand = o.compare + "/" + name.substr(0, name.find_last_of('.')) + ".bin";
    if (file_exists(cand)) ref_files.push_back(cand);
  }
  const bool matched = ref_files.size() == written.size();
  if (!matched) ref_files = event_files(o.compare);
  SetStats gen = set_stats(written, "stats (generated)");
  SetStats ref = set_stats(ref_files, "stats (reference)");
  fmt::print("\n");
  print_set_table({{"generated (" + o.out + ")", &gen}, {"reference (" + o.compare + ")", &ref}});
  if (matched && count > 1) {
    double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
    for (size_t i = 0; i < gen.stats.size(); ++i) {
      ma += (double)gen.stats[i].events;
      mb += (double)ref.stats[i].events;
    }
    ma /= (double)gen.stats.size();
    mb /= (double)gen.stats.size();
    for (size_t i = 0; i < gen.stats.size(); ++i) {
      double a = (double)gen.stats[i].events - ma, b = (double)ref.stats[i].events - mb;
      saa += a * a;
      sbb += b * b;
      sab += a * b;
    }
    fmt::print("\nsame images in both sets: correlation of events per recording {:.3f}\n", sab / std::sqrt(saa * sbb));
    // Where the events are, and of which polarity: per saccade, the map of ON minus OFF counts
    // of each generated recording against the real one of the same image.
    const int64_t sac = so.saccade_us;
    double sum[3] = {0, 0, 0};
    for (size_t i = 0; i < written.size(); ++i) {
      EventStream g = read_recording(written[i]).events, r = read_recording(ref_files[i]).events;
      for (int k = 0; k < 3; ++k) sum[k] += net_map_correlation(g, r, k * sac, k == 2 ? INT64_MAX : (k + 1) * sac);
    }
    double n = (double)written.size();
    fmt::print("net polarity maps (ON - OFF per pixel), mean correlation per saccade: {:.3f}, {:.3f}, {:.3f}\n",
               sum[0] / n, sum[1] / n, sum[2] / n);
  }
  if (!o.plot.empty()) {
    // Histograms of events per recording and of durations, generated vs reference.
    auto hist = [](const SetStats& s, auto f, double lo, double hi, int bins, const std::string& label, int color) {
      viz::Series se;
      se.label = label;
      se.style = viz::Style::Steps;
      se.color = color;
      std::vector<double> h((size_t)bins, 0.0);
      for (const auto& x : s.stats) {
        int k = (int)((f(x) - lo) / (hi - lo) * bins);
        if (k >= 0 && k < bins) h[(size_t)k] += 1.0 / (double)s.stats.size();
      }
      for (int k = 0; k < bins; ++k) {
        se.x.push_back(lo + (hi - lo) * k / bins);
        se.y.push_back(h[(size_t)k]);
      }
      return se;
    };
    auto ev = [](const StreamStats& x) { return (double)x.events / 1000.0; };
    auto du = [](const StreamStats& x) { return x.duration_us / 1000.0; };
    auto on = [](const StreamStats& x) { return x.on_fraction; };
    viz::Figure fig;
    fig.columns = 3;
    fig.width = 1500;
    fig.height = 450;
    auto panel = [](const char* title, const char* xlabel, const char* ylabel) {
      viz::Panel p;
      p.title = title;
      p.xlabel = xlabel;
      p.ylabel = ylabel;
      return p;
    };
    viz::Panel a = panel("events per recording", "thousand events", "fraction of recordings");
    a.series = {hist(gen, ev, 0, 9, 36, "generated", 0), hist(ref, ev, 0, 9, 36, "reference", 1)};
    viz::Panel b = panel("ON fraction", "ON events / events", "");
    b.series = {hist(gen, on, 0.46, 0.54, 32, "generated", 0), hist(ref, on, 0.46, 0.54, 32, "reference", 1)};
    viz::Panel c = panel("duration", "ms", "");
    c.series = {hist(gen, du, 285, 320, 35, "generated", 0), hist(ref, du, 285, 320, 35, "reference", 1)};
    fig.panels = {a, b, c};
    viz::save_png(fig, o.plot);
    fmt::print("wrote {}\n", o.plot);
  }
}

}  // namespace

void register_events_simulate(CLI::App& events, Globals& g) {
  static SimulateCliOptions o;
  auto* cmd =
      events.add_subcommand("simulate",
                            "Event simulator: frames (a folder of images, sorted by name, or a video) to DVS events "
                            "(log intensity, per-pixel thresholds with mismatch, linear interpolation between frames, "
                            "refractory period, shot noise, leak). Deterministic per --seed");
  cmd->add_option("--frames", o.frames, "Folder of images or a video file (OpenCV videoio)")->required();
  cmd->add_option("--out", o.out, "Output event file (.aedat4; .aedat and .bin also work)")->required();
  cmd->add_option("--fps", o.fps, "Frame rate (default: the video's, 30 for a folder)")->check(positive());
  cmd->add_option("--threshold", o.threshold, "Nominal ON and OFF contrast threshold (log units)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--threshold-on", o.threshold_on, "ON threshold (overrides --threshold)")->check(positive());
  cmd->add_option("--threshold-off", o.threshold_off, "OFF threshold (overrides --threshold)")->check(positive());
  cmd->add_option("--mismatch", o.mismatch, "Std of the per-pixel thresholds")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--refractory-us", o.refractory_us, "Refractory period, µs")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--shot-noise-hz", o.shot_noise_hz, "Shot-noise events per pixel per second")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--leak-hz", o.leak_hz, "Leak ON events per pixel per second")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--resize", o.resize, "Resize frames to WxH first");
  cmd->add_option("--max-frames", o.max_frames, "Use at most this many frames (0: all)")->check(non_negative());
  cmd->add_option("--compression", o.compression, "AEDAT 4: none, lz4, lz4-high, zstd, zstd-high")
      ->capture_default_str();
  cmd->add_flag("--keep-frames", o.keep_frames, "AEDAT 4: also store the input frames as APS frames");
  cmd->callback([&g] {
    apply_globals(g);
    simulate_cmd(o, g.seed);
  });
}

void register_events_saccades(CLI::App& events, Globals& g) {
  static SaccadeCliOptions o;
  auto* cmd =
      events.add_subcommand("saccades",
                            "N-MNIST-like recordings of an IDX image set (MNIST, Fashion-MNIST): three saccades over a "
                            "34x34 sensor, about 300 ms, through the event simulator. Writes <id>.bin (N-MNIST format) "
                            "or <id>.aedat4 and labels.txt; --compare prints statistics against real recordings");
  cmd->add_option("--idx", o.idx, "IDX images, e.g. ../shared/data/mnist/t10k-images-idx3-ubyte.gz")->required();
  cmd->add_option("--labels", o.labels, "IDX labels (writes labels.txt: '#sample #class' lines)");
  cmd->add_option("--out", o.out, "Output folder")->required();
  cmd->add_option("--first", o.first, "Index of the first image")->check(non_negative())->capture_default_str();
  cmd->add_option("--count", o.count, "Number of images")->check(positive())->capture_default_str();
  cmd->add_option("--id-base", o.id_base, "File id of image 0 (N-MNIST: 1 for train, 60001 for test)")
      ->capture_default_str();
  cmd->add_option("--format", o.format, "bin (N-MNIST) or aedat4")->capture_default_str();
  cmd->add_option("--threshold", o.threshold, "Contrast threshold (default: tuned to N-MNIST)")->check(positive());
  cmd->add_option("--blur", o.blur, "Optical blur sigma, pixels (default: tuned)")->check(non_negative());
  cmd->add_option("--amplitude", o.amplitude, "Scale of the saccade path")->check(positive())->capture_default_str();
  cmd->add_option("--shot-noise-hz", o.shot_noise_hz, "Noise events per pixel per second (default: tuned)")
      ->check(non_negative());
  cmd->add_flag("--no-invert", o.no_invert, "Show the image as stored (bright strokes on a dark screen)");
  cmd->add_option("--compare", o.compare, "Folder of real recordings, e.g. ../shared/data/nmnist-small");
  cmd->add_option("--plot", o.plot, "With --compare: histograms as a PNG");
  cmd->callback([&g] {
    apply_globals(g);
    saccades_cmd(o, g.seed);
  });
}

}  // namespace hnn::cli
