// HRN scene simulation (spec §4.2): from a CLEVRER scene's factual trajectory, per-step visibility
// and velocities (moving / stationary predicates) and the entry/exit events; collisions become
// events. Pure C++, no tensors.
#pragma once
#include <string>
#include <vector>

#include "hnn/data/clevrer.h"

namespace hnn::models::hrn {

enum class EventType { Start, End, In, Out, Collision };
const char* event_type_name(EventType t);

struct Event {
  EventType type = EventType::Start;
  int frame = 0;
  std::vector<int> objects;  // [] start/end, [id] in/out, [a, b] collision (source order)
  // Unseen in/out events of the reference hold their object as a nested list [[id]], so object
  // membership tests never match them; the flag reproduces that.
  bool nested = false;

  bool involves(int obj) const;  // false for nested events
  // Structural equality, like the reference's dict comparison.
  bool operator==(const Event& o) const {
    return type == o.type && frame == o.frame && objects == o.objects && nested == o.nested;
  }
  bool operator!=(const Event& o) const { return !(*this == o); }
};

struct SimulationOptions {
  double moving_v_th = 0.1;  // speed above which an object moves (pixels per frame)
  int frame_diff = 5;        // frames between trajectory steps, for the velocity
  int n_vis_frames = 128;    // frames >= this are the predicted (unseen) future
  int start_frame = 0;
  int end_frame = 125;
};

class Simulation {
 public:
  explicit Simulation(const data::ClevrerScene& scene, const SimulationOptions& opt = {});

  const data::ClevrerScene& scene() const { return *scene_; }
  const SimulationOptions& options() const { return opt_; }
  int num_objects() const { return (int)scene_->objects.size(); }
  const data::ClevrerObject& object(int id) const { return scene_->objects.at(id); }

  // Present in the trajectory step whose frame index is `frame` (false for other frames).
  bool is_visible(int obj, int frame) const;
  // Visible and speed > moving_v_th (a NaN speed never is).
  bool is_moving(int obj, int frame) const;
  // Visible and not moving.
  bool is_stationary(int obj, int frame) const;
  double speed(int obj, int frame) const;  // NaN when not visible

  // Entry/exit events of every frame, in trajectory order (step, then object order in the step).
  const std::vector<Event>& in_out_events() const { return in_out_; }
  // Factual collisions, source order.
  const std::vector<Event>& collisions() const { return collisions_; }
  // Collisions predicted with `removed` taken out of the scene (empty when the scene has none).
  const std::vector<Event>& counterfactual(int removed) const;

 private:
  int step_of(int frame) const;  // -1 when no step has that frame

  const data::ClevrerScene* scene_;
  SimulationOptions opt_;
  std::vector<int> step_frames_;
  std::vector<char> visible_;  // [step * n_obj + obj]
  std::vector<double> speed_;  // [step * n_obj + obj]
  std::vector<Event> in_out_;
  std::vector<Event> collisions_;
  std::vector<std::vector<Event>> counterfactual_;  // per removed object
};

}  // namespace hnn::models::hrn
