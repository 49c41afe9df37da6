// The NS-DR symbolic executor as altered for the HRN (spec §4.3): the reference oracle. A stack
// machine over postfix programs with the stably sorted event list, unseen events, causal traces
// and counterfactual collisions of one scene. Answers: counts, yes/no, attribute values,
// correct/wrong; std::nullopt stands for the reference's 'error'.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "hnn/models/hrn/program.h"
#include "hnn/models/hrn/simulation.h"

namespace hnn::models::hrn {

// For each event of a list, the indices of its ancestors: the earlier events that share an
// object with it, together with, recursively, their ancestors (sorted).
std::vector<std::vector<int>> compute_ancestors(const std::vector<Event>& events);

class Executor {
 public:
  // The simulation (and its scene) must outlive the executor.
  explicit Executor(const Simulation& sim);

  const Simulation& simulation() const { return *sim_; }
  // start, end, in/out and collisions with frame < n_vis_frames, stably sorted by frame: ties keep
  // the insertion order start, end, in/out (trajectory order), collisions (source order).
  const std::vector<Event>& events() const { return events_; }
  // In/out events (nested) and collisions with frame >= n_vis_frames, in that order, unsorted.
  const std::vector<Event>& unseen_events() const { return unseen_; }
  // Indices into events() of the ancestors of events()[k]: earlier events that share an object
  // with it, and recursively theirs. Sorted.
  const std::vector<int>& ancestors(int k) const { return ancestors_.at(k); }

  // Runs a program (tokens left to right, postfix). std::nullopt when the reference would
  // return 'error' (wrong argument types, unique of a list that is not a singleton, ...).
  std::optional<std::string> run(const Program& program) const;

 private:
  struct Value;

  const Simulation* sim_;
  std::vector<Event> events_, unseen_;
  std::vector<std::vector<int>> ancestors_;
  // Every event a program can see, referred to by index: events_ first, then unseen_, then the
  // counterfactual collisions of each object (cf_begin_[o] .. cf_begin_[o + 1]).
  std::vector<Event> table_;
  std::vector<int> cf_begin_;
};

}  // namespace hnn::models::hrn
