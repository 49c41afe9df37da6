// hnn events info|convert|render: event-camera files (AEDAT 4.0, AEDAT 2.0, N-MNIST binary).
// simulate and saccades live in cmd_events_gen.cpp.
#include "cmd_events.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "cli_util.h"
#include "hnn/core/error.h"
#include "hnn/core/progress.h"
#include "hnn/events/formats.h"
#include "hnn/events/nmnist.h"
#include "hnn/viz/render.h"
#include "hnn/viz/video.h"

namespace hnn::cli {

using namespace hnn::events;
using namespace hnn::viz;

std::pair<int, int> parse_size(const std::string& s, const char* option) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(s.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || x != 'x' || w <= 0 || h <= 0)
    fail("{} '{}': expected WIDTHxHEIGHT, e.g. 34x34", option, s);
  return {w, h};
}

bool is_directory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> event_files(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  HNN_CHECK(d, "cannot open folder '{}'", dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    auto dot = n.find_last_of('.');
    if (dot == std::string::npos) continue;
    std::string ext = n.substr(dot);
    if (ext == ".aedat4" || ext == ".aedat" || ext == ".aedat2" || ext == ".bin") names.push_back(n);
  }
  closedir(d);
  // "2.bin" before "10.bin": numeric stems compare as numbers.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    auto num = [](const std::string& s) {
      size_t i = 0;
      while (i < s.size() && std::isdigit((unsigned char)s[i])) ++i;
      return std::pair<size_t, std::string>(i, s);
    };
    auto [na, sa] = num(a);
    auto [nb, sb] = num(b);
    if (na > 0 && nb > 0 && na != nb) return na < nb;
    return a < b;
  });
  for (auto& n : names) n = dir + "/" + n;
  return names;
}

SetStats set_stats(const std::vector<std::string>& files, const std::string& label) {
  SetStats s;
  Progress bar((int64_t)files.size(), label, "files");
  for (const auto& f : files) {
    Recording rec = read_recording(f);
    s.names.push_back(f.substr(f.find_last_of('/') + 1));
    s.stats.push_back(stream_stats(rec.events));
    bar.update(1);
  }
  bar.finish();
  return s;
}

namespace {

struct Moments {
  double mean = 0, sd = 0, min = 0, max = 0;
};
template <typename F>
Moments moments(const SetStats& s, F f) {
  Moments m;
  if (s.stats.empty()) return m;
  std::vector<double> v;
  for (const auto& x : s.stats) v.push_back(f(x));
  m.min = *std::min_element(v.begin(), v.end());
  m.max = *std::max_element(v.begin(), v.end());
  for (double x : v) m.mean += x;
  m.mean /= (double)v.size();
  for (double x : v) m.sd += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(m.sd / (double)v.size());
  return m;
}

}  // namespace

void print_set_table(const std::vector<std::pair<std::string, const SetStats*>>& sets) {
  fmt::print(
      "| set | files | events per file, mean ± sd [min, max] | ON fraction | duration ms, mean ± sd [min, max] |\n");
  fmt::print("|---|---:|---|---|---|\n");
  for (const auto& [name, s] : sets) {
    auto ev = moments(*s, [](const StreamStats& x) { return (double)x.events; });
    auto on = moments(*s, [](const StreamStats& x) { return x.on_fraction; });
    auto du = moments(*s, [](const StreamStats& x) { return x.duration_us / 1000.0; });
    fmt::print("| {} | {} | {:.0f} ± {:.0f} [{:.0f}, {:.0f}] | {:.3f} ± {:.3f} | {:.1f} ± {:.1f} [{:.1f}, {:.1f}] |\n",
               name, s->stats.size(), ev.mean, ev.sd, ev.min, ev.max, on.mean, on.sd, du.mean, du.sd, du.min, du.max);
  }
}

namespace {

// ---------------------------------------------------------------- info

struct InfoOptions {
  std::string path;
  std::string sensor;
  size_t max_files = 0;
};

void info_file(const std::string& path, const InfoOptions& o) {
  FileFormat fmt_ = detect_format(path);
  int64_t events = 0, on = 0, frames = 0, imu = 0, triggers = 0, packets = 0;
  int64_t t0 = 0, t1 = 0;
  int w = 0, h = 0;
  std::string extra;
  auto add = [&](const EventStream& ev) {
    if (ev.empty()) return;
    if (events == 0) t0 = ev.t_first();
    t1 = ev.t_last();
    events += (int64_t)ev.size();
    on += ev.count_on();
  };
  if (fmt_ == FileFormat::Aedat4) {
    Aedat4Reader r(path);
    const StreamInfo* es = r.find_stream(StreamType::Events);
    const StreamInfo* fs = r.find_stream(StreamType::Frames);
    fmt::print("file           {}\nformat         AEDAT 4.0, {} compression, packet table {}\n", path,
               to_string(r.compression()), r.data_table_position() >= 0 ? "present" : "absent");
    fmt::print("streams\n");
    for (const auto& s : r.streams())
      fmt::print("  {} {} '{}'{} source {}\n", s.id, s.type_identifier, s.name,
                 s.width ? fmt::format(" {}x{}", s.width, s.height) : std::string(), s.source);
    if (es) w = es->width, h = es->height;
    std::string frame_size;
    Aedat4Packet pk;
    while (r.next_packet(pk)) {
      ++packets;
      if (es && pk.stream_id == es->id)
        add(pk.events);
      else if (fs && pk.stream_id == fs->id) {
        ++frames;
        frame_size = fmt::format("{}x{} {}", pk.frame.width, pk.frame.height,
                                 pk.frame.channels() == 1   ? "gray"
                                 : pk.frame.channels() == 3 ? "BGR"
                                                            : "BGRA");
      } else if (pk.type == StreamType::Imu)
        imu += (int64_t)pk.imu.size();
      else if (pk.type == StreamType::Triggers)
        triggers += (int64_t)pk.triggers.size();
    }
    extra = fmt::format("packets        {}\nframes         {}{}\nIMU samples    {}\ntriggers       {}\n", packets,
                        frames, frame_size.empty() ? "" : " (" + frame_size + ")", imu, triggers);
  } else if (fmt_ == FileFormat::Aedat2) {
    Aedat2Options ao;
    if (!o.sensor.empty()) std::tie(ao.width, ao.height) = parse_size(o.sensor, "--sensor");
    Aedat2Reader r(path, ao);
    fmt::print("file           {}\nformat         AEDAT 2.0 (jAER), {} address layout, chip {}\n", path,
               to_string(r.layout()), r.chip().empty() ? "not named" : r.chip());
    w = r.width(), h = r.height();
    EventStream ev;
    while (r.next_packet(ev)) add(ev);
    extra = fmt::format("triggers       {}\nskipped        {} (APS/IMU records)\n", r.triggers().size(), r.skipped());
  } else {
    NmnistOptions no;
    if (!o.sensor.empty()) std::tie(no.width, no.height) = parse_size(o.sensor, "--sensor");
    NmnistReader r(path, no);
    fmt::print("file           {}\nformat         N-MNIST binary (5 bytes an event)\n", path);
    w = r.width(), h = r.height();
    EventStream ev;
    while (r.next_packet(ev)) add(ev);
  }
  fmt::print("sensor         {}x{}\n", w, h);
  fmt::print("events         {}\n", events);
  fmt::print("ON events      {} ({:.1f}%)\n", on, events ? 100.0 * (double)on / (double)events : 0.0);
  fmt::print("time span      {} .. {} µs ({:.3f} s)\n", t0, t1, (double)(t1 - t0) * 1e-6);
  fmt::print("{}", extra);
}

void info(const InfoOptions& o) {
  if (!is_directory(o.path)) return info_file(o.path, o);
  std::vector<std::string> files = event_files(o.path);
  HNN_CHECK(!files.empty(), "folder '{}' has no event files (.aedat4, .aedat, .aedat2, .bin)", o.path);
  if (o.max_files > 0 && files.size() > o.max_files) files.resize(o.max_files);
  SetStats s = set_stats(files, "reading");
  fmt::print("folder {}: {} event files\n", o.path, files.size());
  print_set_table({{o.path, &s}});
}

// ---------------------------------------------------------------- convert

struct ConvertOptions {
  std::string in, out, compression = "lz4", layout = "auto", sensor;
  size_t events_per_packet = 8192;
};

void convert(const ConvertOptions& o) {
  ReadOptions ro;
  if (!o.sensor.empty()) std::tie(ro.width, ro.height) = parse_size(o.sensor, "--sensor");
  WriteOptions wo;
  wo.compression = parse_compression(o.compression);
  wo.events_per_packet = o.events_per_packet;
  if (o.layout == "auto")
    wo.layout = Aedat2Layout::Auto;
  else if (o.layout == "dvs128")
    wo.layout = Aedat2Layout::Dvs128;
  else if (o.layout == "davis")
    wo.layout = Aedat2Layout::Davis;
  else
    fail("--layout '{}': expected auto, dvs128 or davis", o.layout);
  FileFormat to = format_from_extension(o.out);  // fail early on a bad extension
  Recording rec = read_recording(o.in, ro);
  int64_t shift = write_recording(o.out, rec, wo);
  fmt::print("{} ({}) -> {} ({}): {} events", o.in, rec.format, o.out, to_string(to), rec.events.size());
  if (to == FileFormat::Aedat4)
    fmt::print(", {} frames, {} IMU samples, {} triggers, {} compression\n", rec.frames.size(), rec.imu.size(),
               rec.triggers.size(), to_string(wo.compression));
  else
    fmt::print("\n");
  if (to != FileFormat::Aedat4 && (!rec.frames.empty() || !rec.imu.empty() || !rec.triggers.empty()))
    fmt::print("note: {} keeps events only: {} frames, {} IMU samples and {} triggers were dropped\n", to_string(to),
               rec.frames.size(), rec.imu.size(), rec.triggers.size());
  if (shift != 0) fmt::print("note: times shifted by -{} µs to fit the format's range\n", shift);
}

// ---------------------------------------------------------------- render

struct RenderCliOptions {
  std::string in, out, sensor;
  double bin_ms = 10, start_ms = 0, duration_ms = 0, fps = 25;
  int scale = 0;
  bool no_aps = false;
};

void render(const RenderCliOptions& o) {
  ReadOptions ro;
  if (!o.sensor.empty()) std::tie(ro.width, ro.height) = parse_size(o.sensor, "--sensor");
  Recording rec = read_recording(o.in, ro);
  const EventStream& ev = rec.events;
  HNN_CHECK(!ev.empty() || !rec.frames.empty(), "'{}' has no events and no frames to render", o.in);
  RenderOptions ro2;
  ro2.scale = o.scale > 0 ? o.scale : std::max(1, 256 / std::max(1, std::max(ev.width, ev.height)));
  const int64_t origin = !ev.empty() ? ev.t_first() : rec.frames.front().t;
  const int64_t last = !ev.empty() ? ev.t_last() : rec.frames.back().t;
  const int64_t bin = std::max<int64_t>(1, (int64_t)std::llround(o.bin_ms * 1000));
  const int64_t start = origin + (int64_t)std::llround(o.start_ms * 1000);
  const int64_t stop = o.duration_ms > 0 ? start + (int64_t)std::llround(o.duration_ms * 1000) : last + 1;
  HNN_CHECK(stop > start, "--start-ms {} is after the end of the recording ({:.1f} ms)", o.start_ms,
            (double)(last - origin) / 1000.0);
  const bool single = o.out.size() >= 4 && o.out.compare(o.out.size() - 4, 4, ".png") == 0;
  const int64_t n = single ? 1 : (stop - start + bin - 1) / bin;
  VideoOutput out(o.out, o.fps, {ro2.on_color, ro2.off_color});
  Progress bar(n, "rendering", "frames");
  size_t next_frame = 0;
  const Frame* aps = nullptr;
  for (int64_t k = 0; k < n; ++k) {
    int64_t a = start + k * bin, b = std::min(stop, a + bin);
    // The latest APS frame taken before the end of the window.
    while (!o.no_aps && next_frame < rec.frames.size() && rec.frames[next_frame].t < b) aps = &rec.frames[next_frame++];
    auto [i0, i1] = ev.time_range(a, b);
    out.write(render_events(ev, i0, i1, aps, ro2));
    bar.update(1);
  }
  out.close();
  bar.finish();
  fmt::print("wrote {} ({} frame{} of {:.1f} ms, {}x zoom{})\n", o.out, n, n == 1 ? "" : "s", (double)bin / 1000.0,
             ro2.scale, rec.frames.empty() || o.no_aps ? "" : ", APS frames underneath");
}

}  // namespace

void register_events(CLI::App& app, Globals& g) {
  auto* events = app.add_subcommand("events",
                                    "Event-camera data: AEDAT 4.0, AEDAT 2.0 and N-MNIST files, "
                                    "rendering, the event simulator and the saccade generator");
  events->require_subcommand(1);

  static InfoOptions io;
  auto* info_cmd = events->add_subcommand(
      "info",
      "Format, sensor size, streams, event/frame/IMU/trigger counts, ON count and time span of a file; "
      "for a folder, per-file statistics (events, ON fraction, duration)");
  info_cmd->add_option("path", io.path, "Event file (.aedat4, .aedat, .aedat2, .bin) or folder of them")->required();
  info_cmd->add_option("--sensor", io.sensor, "Sensor size WxH for AEDAT 2.0 / N-MNIST (default: from the file)");
  info_cmd->add_option("--max-files", io.max_files, "Folder: read at most this many files (0: all)");
  info_cmd->callback([&g] {
    apply_globals(g);
    info(io);
  });

  static ConvertOptions co;
  auto* conv = events->add_subcommand(
      "convert",
      "Convert between formats, chosen by extension: .aedat4 (AEDAT 4.0), .aedat/.aedat2 (AEDAT 2.0), "
      ".bin (N-MNIST). AEDAT 2.0 and N-MNIST keep events only");
  conv->add_option("input", co.in, "Input event file")->required();
  conv->add_option("output", co.out, "Output event file")->required();
  conv->add_option("--compression", co.compression, "AEDAT 4 output: none, lz4, lz4-high, zstd, zstd-high")
      ->capture_default_str();
  conv->add_option("--events-per-packet", co.events_per_packet, "AEDAT 4 output: events per packet")
      ->check(positive())
      ->capture_default_str();
  conv->add_option("--layout", co.layout, "AEDAT 2.0 output address layout: auto (DVS128 for 128x128), dvs128, davis")
      ->capture_default_str();
  conv->add_option("--sensor", co.sensor, "Input sensor size WxH for AEDAT 2.0 / N-MNIST (default: from the file)");
  conv->callback([&g] {
    apply_globals(g);
    convert(co);
  });

  static RenderCliOptions rc;
  auto* ren = events->add_subcommand(
      "render",
      "Draw events (ON red, OFF blue) over the APS frames, one picture per time bin: .png (the first bin), "
      ".avi (MJPG), .mp4 (MPEG-4) or .gif");
  ren->add_option("input", rc.in, "Event file")->required();
  ren->add_option("--out", rc.out, "Output .png, .avi, .mp4 or .gif")->required();
  ren->add_option("--bin-ms", rc.bin_ms, "Time bin of one picture, ms")->check(positive())->capture_default_str();
  ren->add_option("--start-ms", rc.start_ms, "Start, ms after the first event")
      ->check(non_negative())
      ->capture_default_str();
  ren->add_option("--duration-ms", rc.duration_ms, "Length to render, ms (0: to the end)")->check(non_negative());
  ren->add_option("--fps", rc.fps, "Frame rate of the video")->check(positive())->capture_default_str();
  ren->add_option("--scale", rc.scale, "Integer zoom (0: about 256 pixels wide)")->check(non_negative());
  ren->add_option("--sensor", rc.sensor, "Sensor size WxH for AEDAT 2.0 / N-MNIST (default: from the file)");
  ren->add_flag("--no-aps", rc.no_aps, "Do not draw APS frames under the events");
  ren->callback([&g] {
    apply_globals(g);
    render(rc);
  });

  register_events_simulate(*events, g);
  register_events_saccades(*events, g);
}

}  // namespace hnn::cli
