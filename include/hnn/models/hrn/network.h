// The HRN's spiking network (spec §4.4): the neuron layout (54 named neurons, six per extra object
// and per extra event), the scene sequence, and the designed weight matrix (HU 1: scene to
// synapses). Weights are sparse (a few percent of the n x n entries); m = W s, W[dst][src].
#pragma once
#include <array>
#include <string>
#include <vector>

#include "hnn/models/hrn/executor.h"
#include "hnn/models/hrn/simulation.h"

namespace hnn::models::hrn {

constexpr float kThreshold = 100;  // Thr; a neuron fires when m >= Thr
constexpr float kSub = 1;          // the +-1 coincidence channel

// The named neurons, in the reference's order. The six-neuron blocks (o.., e..) repeat per
// object and per event; names from `events` on shift by 6 (n_obj - 1).
enum Neuron : int {
  kObjects,
  kShape,
  kMaterial,
  kColor,
  kCube,
  kCylinder,
  kSphere,
  kRubber,
  kMetal,
  kGray,
  kRed,
  kBlue,
  kGreen,
  kBrown,
  kPurple,
  kCyan,
  kYellow,
  kCount,
  kBelong,
  kBelongGate,
  kOExGate,
  kOInhGate,
  kOCopyFun,
  kOInhFun,
  kOMovFun,
  kOStaFun,
  kOAttFun,
  kO,
  kOCopy,
  kOInh,
  kOMov,
  kOSta,
  kOAtt,
  kEvents,
  kStart,
  kEnd,
  kEExGate,
  kEInhGate,
  kECopyFun,
  kEInFun,
  kEOutFun,
  kEColFun,
  kEAncestorFun,
  kEBeforeFun,
  kEAfterFun,
  kEFirstFun,
  kESecondFun,
  kELastFun,
  kE,
  kECopy,
  kEAtt,
  kEAncestor,
  kEBefore,
  kEAfter,
  kNumNamed
};
const char* neuron_name(Neuron n);
// The named neuron called `name`, or -1.
int neuron_by_name(const std::string& name);

class Layout {
 public:
  Layout() = default;
  Layout(int n_obj, int n_ev);
  int num_objects() const { return n_obj_; }
  int num_events() const { return n_ev_; }
  int size() const { return 42 + 6 * (n_obj_ + n_ev_); }
  // Index of a named neuron (for block names: object 0 / event 0).
  int operator[](int named) const { return named < kEvents ? named : named + 6 * (n_obj_ - 1); }
  // Neuron k (0..5 = o, o_copy, o_inh, o_mov, o_sta, o_att) of object `obj`.
  int obj(int obj, int k) const { return kO + 6 * obj + k; }
  // Neuron k (0..5 = e, e_copy, e_att, e_ancestor, e_before, e_after) of event `ev`.
  int ev(int ev, int k) const { return (*this)[kE] + 6 * ev + k; }
  // One label per neuron ("red", "o3", "e_copy2", ...).
  std::vector<std::string> labels() const;

 private:
  int n_obj_ = 1, n_ev_ = 1;
};

// One entry of the scene sequence: an event with the objects moving / stationary at its frame.
struct SceneEvent {
  Event event;
  std::vector<int> moving, stationary;
};

// Normal mode: executor.events()[:max_events] (max_events <= 0: all), with moving/stationary from
// the simulation; collisions add their two objects to `moving`.
std::vector<SceneEvent> scene_sequence(const Executor& ex, int max_events);
// Predictive / counterfactual mode: collisions only, the first `max` of them (<= 0: all), with
// empty moving/stationary lists.
std::vector<SceneEvent> collision_sequence(const std::vector<Event>& events, int max);

struct Synapse {
  int src, dst;
  float w;
};

// The weights as a sparse matrix in column (source) order: the synapses leaving neuron `src` are
// synapses[src_begin[src] .. src_begin[src + 1]).
struct Network {
  Layout layout;
  std::vector<Synapse> synapses;  // sorted by (src, dst); no zero weights
  std::vector<int> src_begin;     // size() + 1 entries
  int size() const { return layout.size(); }
  float w(int dst, int src) const;   // 0 when there is no synapse
  std::vector<float> dense() const;  // [n * n], W[dst * n + src] (m = W s)
};

// The designed connections of spec §4.4 for these objects and this sequence. hnn::Error when an
// object has an attribute value outside the vocabulary.
Network build_network(const std::vector<data::ClevrerObject>& objects, const std::vector<SceneEvent>& seq);

}  // namespace hnn::models::hrn
