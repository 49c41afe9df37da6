#include "hnn/models/hrn/simulation.h"

#include <algorithm>
#include <cmath>

#include "hnn/core/error.h"

namespace hnn::models::hrn {

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::Start:
      return "start";
    case EventType::End:
      return "end";
    case EventType::In:
      return "in";
    case EventType::Out:
      return "out";
    case EventType::Collision:
      return "collision";
  }
  return "?";
}

bool Event::involves(int obj) const {
  if (nested) return false;
  return std::find(objects.begin(), objects.end(), obj) != objects.end();
}

Simulation::Simulation(const data::ClevrerScene& scene, const SimulationOptions& opt) : scene_(&scene), opt_(opt) {
  const int n = num_objects();
  const auto& traj = scene.trajectory;
  const int steps = (int)traj.size();
  step_frames_.resize(steps);
  visible_.assign((size_t)steps * n, 0);
  speed_.assign((size_t)steps * n, std::nan(""));
  std::vector<double> xs((size_t)steps * n, 0), ys((size_t)steps * n, 0);
  for (int i = 0; i < steps; ++i) {
    step_frames_[i] = traj[i].frame;
    for (const auto& p : traj[i].objects) {
      HNN_CHECK(p.id >= 0 && p.id < n, "video {}: trajectory object id {} out of range", scene.video, p.id);
      visible_[(size_t)i * n + p.id] = 1;
      xs[(size_t)i * n + p.id] = p.x;
      ys[(size_t)i * n + p.id] = p.y;
    }
  }
  auto vis = [&](int i, int o) { return i >= 0 && i < steps && visible_[(size_t)i * n + o]; };
  const double fd = opt_.frame_diff;
  for (int i = 0; i < steps; ++i) {
    for (const auto& p : traj[i].objects) {
      const int o = p.id;
      if (i > 0 && !vis(i - 1, o)) in_out_.push_back({EventType::In, step_frames_[i], {o}, false});
      if (i + 1 < steps && !vis(i + 1, o)) in_out_.push_back({EventType::Out, step_frames_[i + 1], {o}, false});
      double vx = 0, vy = 0;
      int k = 0;
      if (vis(i - 1, o)) {
        vx += (p.x - xs[(size_t)(i - 1) * n + o]) / fd;
        vy += (p.y - ys[(size_t)(i - 1) * n + o]) / fd;
        ++k;
      }
      if (vis(i + 1, o)) {
        vx += (xs[(size_t)(i + 1) * n + o] - p.x) / fd;
        vy += (ys[(size_t)(i + 1) * n + o] - p.y) / fd;
        ++k;
      }
      if (k == 2) vx /= 2, vy /= 2;
      speed_[(size_t)i * n + o] = std::sqrt(vx * vx + vy * vy);
    }
  }
  for (const auto& c : scene.collisions) collisions_.push_back({EventType::Collision, c.frame, {c.a, c.b}, false});
  counterfactual_.resize(n);
  for (const auto& [removed, list] : scene.counterfactual) {
    HNN_CHECK(removed >= 0 && removed < n, "video {}: counterfactual object {} out of range", scene.video, removed);
    for (const auto& c : list) counterfactual_[removed].push_back({EventType::Collision, c.frame, {c.a, c.b}, false});
  }
}

int Simulation::step_of(int frame) const {
  auto it = std::lower_bound(step_frames_.begin(), step_frames_.end(), frame);
  return it != step_frames_.end() && *it == frame ? (int)(it - step_frames_.begin()) : -1;
}

bool Simulation::is_visible(int obj, int frame) const {
  int i = step_of(frame);
  return i >= 0 && obj >= 0 && obj < num_objects() && visible_[(size_t)i * num_objects() + obj];
}

double Simulation::speed(int obj, int frame) const {
  if (!is_visible(obj, frame)) return std::nan("");
  return speed_[(size_t)step_of(frame) * num_objects() + obj];
}

bool Simulation::is_moving(int obj, int frame) const {
  return is_visible(obj, frame) && speed(obj, frame) > opt_.moving_v_th;
}

bool Simulation::is_stationary(int obj, int frame) const {
  return is_visible(obj, frame) && !(speed(obj, frame) > opt_.moving_v_th);
}

const std::vector<Event>& Simulation::counterfactual(int removed) const {
  static const std::vector<Event> kNone;
  return removed >= 0 && removed < (int)counterfactual_.size() ? counterfactual_[removed] : kNone;
}

}  // namespace hnn::models::hrn
