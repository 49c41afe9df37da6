#include "hnn/models/hsn/recording.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"
#include "hnn/core/progress.h"

namespace hnn::models::hsn {

events::SimulatorOptions GenerateOptions::default_simulator() {
  events::SimulatorOptions s;
  s.threshold_on = 0.25;
  s.threshold_off = 0.25;
  s.mismatch = 0.03;
  s.refractory_us = 100;
  s.shot_noise_hz = 0.05;
  return s;
}

std::array<Box, kObjects> GroundTruth::at(int64_t t_us) const {
  HNN_CHECK(!t.empty(), "ground truth is empty");
  auto it = std::lower_bound(t.begin(), t.end(), t_us);
  if (it == t.begin()) return boxes.front();
  if (it == t.end()) return boxes.back();
  size_t i = it - t.begin();
  // In double: the differences of extreme times (a hostile file) would overflow int64.
  double w = (double(t_us) - double(t[i - 1])) / (double(t[i]) - double(t[i - 1]));
  std::array<Box, kObjects> out;
  for (int o = 0; o < kObjects; ++o) {
    const Box &a = boxes[i - 1][o], &b = boxes[i][o];
    out[o] = {a.x0 + w * (b.x0 - a.x0), a.y0 + w * (b.y0 - a.y0), a.x1 + w * (b.x1 - a.x1), a.y1 + w * (b.y1 - a.y1)};
  }
  return out;
}

events::Recording generate_recording(const GenerateOptions& o, GroundTruth* gt, bool progress) {
  HNN_CHECK(o.seconds > 0 && o.aps_hz > 0 && o.render_hz >= o.aps_hz,
            "generate: need seconds > 0 and render rate >= APS rate > 0 (got {} s, {} Hz, {} Hz)", o.seconds, o.aps_hz,
            o.render_hz);
  TurningDisk disk(o.scene);
  const auto& sc = disk.options();
  events::Recording rec;
  rec.format = "aedat4";
  rec.camera = "hnn-simulated-DAVIS346";
  rec.events = events::EventStream(sc.sensor_width, sc.sensor_height);
  events::SimulatorOptions so = o.simulator;
  so.seed = o.seed * 7919 + 1;
  events::EventSimulator sim(sc.sensor_width, sc.sensor_height, so);
  const int64_t duration_us = (int64_t)std::llround(o.seconds * 1e6);
  const int64_t render_step = (int64_t)std::llround(1e6 / o.render_hz);
  const int64_t aps_step = (int64_t)std::llround(1e6 / o.aps_hz);
  cv::Mat img;
  std::unique_ptr<Progress> bar;
  if (progress)
    bar = std::make_unique<Progress>(duration_us / 1000, fmt::format("render+simulate {:.1f} s", o.seconds), "ms");
  int64_t next_aps = 0, shown = 0;
  for (int64_t t = 0; t <= duration_us; t += render_step) {
    disk.render(t * 1e-6, img);
    sim.add_frame(img.ptr<uint8_t>(), o.t0_us + t, rec.events);
    while (next_aps <= t) {
      // APS frames carry read noise; each has its own seed.
      cv::Mat aps;
      disk.render(next_aps * 1e-6, aps, (int64_t)(o.seed * 1000003 + next_aps / aps_step));
      events::Frame f;
      f.t = o.t0_us + next_aps;
      f.exposure_begin_t = f.t - 2000;
      f.exposure_end_t = f.t + 2000;
      f.begin_t = f.exposure_begin_t;
      f.end_t = f.exposure_end_t;
      f.width = aps.cols;
      f.height = aps.rows;
      f.pixels.assign(aps.ptr<uint8_t>(), aps.ptr<uint8_t>() + aps.total());
      rec.frames.push_back(std::move(f));
      next_aps += aps_step;
    }
    if (bar && t / 1000 > shown) {
      bar->update(t / 1000 - shown, {{"events", (double)rec.events.size()}});
      shown = t / 1000;
    }
  }
  if (bar) bar->finish();
  if (gt) {
    gt->t.clear();
    gt->boxes.clear();
    for (int64_t t = 0; t <= duration_us; t += 1000) {
      gt->t.push_back(o.t0_us + t);
      gt->boxes.push_back(disk.boxes(t * 1e-6));
    }
  }
  return rec;
}

void write_ground_truth(const std::string& path, const GroundTruth& gt) {
  std::ostringstream out;
  for (size_t i = 0; i < gt.t.size(); ++i)
    for (int o = 0; o < kObjects; ++o) {
      const Box& b = gt.boxes[i][o];
      out << fmt::format("{{\"t\": {}, \"object\": {}, \"name\": \"{}\", \"box\": [{:.3f}, {:.3f}, {:.3f}, {:.3f}]}}\n",
                         gt.t[i], o, object_name(o), b.x0, b.y0, b.x1, b.y1);
    }
  write_file_atomically(path, out.str());
}

void write_scene(const std::string& path, const SceneFile& s) {
  const SceneOptions& o = s.scene;
  nlohmann::ordered_json j = {{"format", "hnn.hsn.scene.v1"},
                              {"t0_us", s.t0_us},
                              {"speed", o.speed},
                              {"sensor", {o.sensor_width, o.sensor_height}},
                              {"crop", {o.crop_x, o.crop_y, o.crop_size}},
                              {"disk_radius", o.disk_radius},
                              {"radius", o.radius},
                              {"size", o.size},
                              {"phase_deg", o.phase_deg},
                              {"gray", {o.background, o.disk, o.object}},
                              {"noise", o.noise}};
  write_file_atomically(path, j.dump(2) + "\n");
}

SceneFile read_scene(const std::string& path) {
  SceneFile s;
  try {
    auto j = nlohmann::json::parse(read_file(path));
    HNN_CHECK(j.value("format", "") == "hnn.hsn.scene.v1", "not an hnn scene file (format '{}')",
              j.value("format", ""));
    SceneOptions& o = s.scene;
    const std::string in = path + ": ";
    s.t0_us = json_integer<int64_t>(j.at("t0_us"), in + "t0_us");
    o.speed = j.at("speed").get<double>();
    o.sensor_width = json_integer<int>(j.at("sensor").at(0), in + "sensor[0]");
    o.sensor_height = json_integer<int>(j.at("sensor").at(1), in + "sensor[1]");
    o.crop_x = json_integer<int>(j.at("crop").at(0), in + "crop[0]");
    o.crop_y = json_integer<int>(j.at("crop").at(1), in + "crop[1]");
    o.crop_size = json_integer<int>(j.at("crop").at(2), in + "crop[2]");
    o.disk_radius = j.at("disk_radius").get<double>();
    o.radius = j.at("radius").get<std::array<double, kObjects>>();
    o.size = j.at("size").get<std::array<double, kObjects>>();
    o.phase_deg = j.at("phase_deg").get<std::array<double, kObjects>>();
    o.background = json_integer<int>(j.at("gray").at(0), in + "gray[0]");
    o.disk = json_integer<int>(j.at("gray").at(1), in + "gray[1]");
    o.object = json_integer<int>(j.at("gray").at(2), in + "gray[2]");
    o.noise = j.at("noise").get<double>();
  } catch (const nlohmann::json::exception& e) {
    fail("{}: bad scene file: {}", path, e.what());
  }
  return s;
}

GroundTruth read_ground_truth(const std::string& path) {
  std::istringstream in(read_file(path));
  GroundTruth gt;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      fail("{}:{}: not JSON ({})", path, lineno, e.what());
    }
    HNN_CHECK(j.is_object() && j.contains("t") && j.contains("object") && j.contains("box") && j["box"].is_array() &&
                  j["box"].size() == 4,
              "{}:{}: expected {{\"t\", \"object\", \"box\": [x0, y0, x1, y1]}}", path, lineno);
    // Hostile input: types and ranges are checked before conversion (nlohmann's get<int> would
    // wrap 4294967296 to object 0, and a float beyond int's range is undefined behaviour).
    auto& b = j["box"];
    HNN_CHECK(j["t"].is_number_integer() && j["object"].is_number_integer() && b[0].is_number() && b[1].is_number() &&
                  b[2].is_number() && b[3].is_number(),
              "{}:{}: \"t\" and \"object\" must be integers and \"box\" four numbers", path, lineno);
    const std::string at = fmt::format("{}:{}: ", path, lineno);
    const int64_t t = json_integer<int64_t>(j["t"], at + "t"),
                  object = json_integer<int64_t>(j["object"], at + "object");
    HNN_CHECK(object >= 0 && object < kObjects, "{}:{}: object {} out of range 0..{}", path, lineno, object,
              kObjects - 1);
    const int o = (int)object;
    if (gt.t.empty() || gt.t.back() != t) {
      HNN_CHECK(gt.t.empty() || t > gt.t.back(), "{}:{}: time {} goes backwards", path, lineno, t);
      gt.t.push_back(t);
      gt.boxes.emplace_back();
    }
    gt.boxes.back()[o] = {b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>()};
  }
  HNN_CHECK(!gt.t.empty(), "{}: no ground truth lines", path);
  return gt;
}

}  // namespace hnn::models::hsn
