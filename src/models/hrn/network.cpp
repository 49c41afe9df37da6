#include "hnn/models/hrn/network.h"

#include <fmt/format.h>

#include "hnn/core/error.h"
#include "hnn/models/hrn/program.h"

namespace hnn::models::hrn {
namespace {

const char* const kNames[kNumNamed] = {"objects",
                                       "shape",
                                       "material",
                                       "color",
                                       "cube",
                                       "cylinder",
                                       "sphere",
                                       "rubber",
                                       "metal",
                                       "gray",
                                       "red",
                                       "blue",
                                       "green",
                                       "brown",
                                       "purple",
                                       "cyan",
                                       "yellow",
                                       "count",
                                       "belong",
                                       "belong_gate",
                                       "o_ex_gate",
                                       "o_inh_gate",
                                       "o_copy_fun",
                                       "o_inh_fun",
                                       "o_mov_fun",
                                       "o_sta_fun",
                                       "o_att_fun",
                                       "o",
                                       "o_copy",
                                       "o_inh",
                                       "o_mov",
                                       "o_sta",
                                       "o_att",
                                       "events",
                                       "start",
                                       "end",
                                       "e_ex_gate",
                                       "e_inh_gate",
                                       "e_copy_fun",
                                       "e_in_fun",
                                       "e_out_fun",
                                       "e_col_fun",
                                       "e_ancestor_fun",
                                       "e_before_fun",
                                       "e_after_fun",
                                       "e_first_fun",
                                       "e_second_fun",
                                       "e_last_fun",
                                       "e",
                                       "e_copy",
                                       "e_att",
                                       "e_ancestor",
                                       "e_before",
                                       "e_after"};

}  // namespace

const char* neuron_name(Neuron n) {
  return n >= 0 && n < kNumNamed ? kNames[n] : "?";
}

int neuron_by_name(const std::string& name) {
  for (int i = 0; i < kNumNamed; ++i)
    if (name == kNames[i]) return i;
  return -1;
}

Layout::Layout(int n_obj, int n_ev) : n_obj_(n_obj), n_ev_(n_ev) {
  HNN_CHECK(n_obj >= 1 && n_ev >= 0, "HRN layout: need at least one object and no negative event count (got {}, {})",
            n_obj, n_ev);
}

std::vector<std::string> Layout::labels() const {
  std::vector<std::string> out(size());
  for (int i = 0; i < kO; ++i) out[i] = kNames[i];
  for (int o = 0; o < n_obj_; ++o)
    for (int k = 0; k < 6; ++k) out[obj(o, k)] = fmt::format("{}{}", kNames[kO + k], o);
  for (int i = kEvents; i < kE; ++i) out[(*this)[i]] = kNames[i];
  for (int e = 0; e < n_ev_; ++e)
    for (int k = 0; k < 6; ++k) out[ev(e, k)] = fmt::format("{}{}", kNames[kE + k], e);
  return out;
}

std::vector<SceneEvent> scene_sequence(const Executor& ex, int max_events) {
  const Simulation& sim = ex.simulation();
  const auto& evs = ex.events();
  int n = max_events > 0 ? std::min<int>(max_events, (int)evs.size()) : (int)evs.size();
  std::vector<SceneEvent> seq(n);
  for (int i = 0; i < n; ++i) {
    seq[i].event = evs[i];
    for (int o = 0; o < sim.num_objects(); ++o) {
      if (sim.is_moving(o, evs[i].frame)) seq[i].moving.push_back(o);
      if (sim.is_stationary(o, evs[i].frame)) seq[i].stationary.push_back(o);
    }
    if (evs[i].type == EventType::Collision)
      seq[i].moving.insert(seq[i].moving.end(), evs[i].objects.begin(), evs[i].objects.end());
  }
  return seq;
}

std::vector<SceneEvent> collision_sequence(const std::vector<Event>& events, int max) {
  std::vector<SceneEvent> seq;
  for (const auto& e : events) {
    if (e.type != EventType::Collision) continue;
    if (max > 0 && (int)seq.size() >= max) break;
    seq.push_back({e, {}, {}});
  }
  return seq;
}

float Network::w(int dst, int src) const {
  if (src < 0 || src >= size()) return 0;
  for (int i = src_begin[src]; i < src_begin[src + 1]; ++i)
    if (synapses[i].dst == dst) return synapses[i].w;
  return 0;
}

std::vector<float> Network::dense() const {
  const int n = size();
  std::vector<float> d((size_t)n * n, 0.f);
  for (const auto& s : synapses) d[(size_t)s.dst * n + s.src] = s.w;
  return d;
}

Network build_network(const std::vector<data::ClevrerObject>& objects, const std::vector<SceneEvent>& seq) {
  const int n_obj = (int)objects.size(), n_ev = (int)seq.size();
  Network net;
  net.layout = Layout(n_obj, n_ev);
  const Layout& L = net.layout;
  const int n = L.size();
  // Assignments in table order; a later one overrides an earlier one (e->o_sta: -1, then 0).
  std::vector<Synapse> list;
  list.reserve(64 * (n_obj + n_ev) + 4 * n_ev * n_ev + 64);
  auto set = [&](int src, int dst, float w) { list.push_back({src, dst, w}); };
  const float thr = kThreshold, gate = kThreshold - kSub;

  // General, object side.
  for (int v = kCube; v <= kSphere; ++v) set(L[kShape], v, gate);
  for (int v = kRubber; v <= kMetal; ++v) set(L[kMaterial], v, gate);
  for (int v = kGray; v <= kYellow; ++v) set(L[kColor], v, gate);
  for (int o = 0; o < n_obj; ++o) {
    const int on = L.obj(o, 0), copy = L.obj(o, 1), inh = L.obj(o, 2), mov = L.obj(o, 3), sta = L.obj(o, 4),
              att = L.obj(o, 5);
    set(L[kObjects], on, thr);
    set(on, on, thr);
    set(L[kOExGate], on, gate);
    set(L[kOInhGate], on, -kSub);
    set(on, L[kCount], kSub);
    set(L[kOCopyFun], copy, gate);
    set(on, copy, kSub);
    set(copy, copy, thr);
    set(L[kBelongGate], copy, -kSub);
    set(att, copy, kSub);
    set(copy, L[kBelong], kSub);
    set(L[kOInhFun], inh, gate);
    set(on, inh, kSub);
    set(inh, on, -thr);
    set(L[kOMovFun], mov, gate);
    set(mov, on, kSub);
    set(L[kOStaFun], sta, thr);
    set(sta, on, kSub);
    set(L[kOAttFun], att, gate);
    set(att, on, kSub);
  }
  // General, event side.
  for (int e = 0; e < n_ev; ++e) {
    const int en = L.ev(e, 0), copy = L.ev(e, 1), att = L.ev(e, 2), anc = L.ev(e, 3), before = L.ev(e, 4),
              after = L.ev(e, 5);
    set(L[kEvents], en, thr);
    set(en, en, thr);
    set(L[kEExGate], en, gate);
    set(L[kEInhGate], en, -kSub);
    set(en, L[kCount], kSub);
    set(L[kECopyFun], copy, gate);
    set(en, copy, kSub);
    set(copy, copy, thr);
    set(L[kBelongGate], copy, -kSub);
    set(copy, L[kBelong], kSub);
    set(att, en, kSub);
    set(L[kEAncestorFun], anc, gate);
    set(anc, en, kSub);
    set(L[kEBeforeFun], before, thr);
    set(L[kEFirstFun], before, thr + 1);
    set(L[kESecondFun], before, thr + 2);
    set(L[kEAfterFun], after, thr);
    set(L[kELastFun], after, thr + 1);
    set(before, en, kSub);
    set(after, en, kSub);
    // e_before_k counts the firing events with index <= k, e_after_k those with index >= k.
    for (int ee = 0; ee <= e; ++ee) {
      set(L.ev(ee, 0), before, -kSub);
      set(en, L.ev(ee, 5), -kSub);
    }
  }
  // Scene-specific: attributes.
  for (int o = 0; o < n_obj; ++o) {
    for (const std::string* v : {&objects[o].shape, &objects[o].material, &objects[o].color}) {
      int id = neuron_by_name(*v);
      HNN_CHECK(id >= kCube && id <= kYellow && !argument_kind(*v).empty(),
                "HRN network: object {} has the attribute value '{}', which is not in the vocabulary", o, *v);
      set(L.obj(o, 0), id, kSub);
      set(id, L.obj(o, 0), kSub);
    }
  }
  // Scene-specific: events.
  auto ancestors = [&] {
    std::vector<Event> evs;
    for (const auto& s : seq) evs.push_back(s.event);
    return compute_ancestors(evs);
  }();
  for (int e = 0; e < n_ev; ++e) {
    const Event& ev = seq[e].event;
    const int en = L.ev(e, 0), att = L.ev(e, 2);
    if (ev.type == EventType::Start) set(L[kStart], en, kSub);
    if (ev.type == EventType::End) set(L[kEnd], en, kSub);
    if (!ev.nested)
      for (int j : ev.objects) {
        set(en, L.obj(j, 5), kSub);
        set(L.obj(j, 0), att, kSub);
      }
    if (ev.type == EventType::In) set(L[kEInFun], att, gate);
    if (ev.type == EventType::Out) set(L[kEOutFun], att, gate);
    if (ev.type == EventType::Collision) set(L[kEColFun], att, gate);
    for (int j : seq[e].moving) set(en, L.obj(j, 3), kSub);
    for (int j = 0; j < n_obj; ++j) set(en, L.obj(j, 4), -kSub);
    for (int j : seq[e].stationary) set(en, L.obj(j, 4), 0);
    for (int a : ancestors[e]) set(en, L.ev(a, 3), kSub);
  }
  std::stable_sort(list.begin(), list.end(),
                   [](const Synapse& a, const Synapse& b) { return a.src != b.src ? a.src < b.src : a.dst < b.dst; });
  net.synapses.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const bool last_of_key = i + 1 == list.size() || list[i + 1].src != list[i].src || list[i + 1].dst != list[i].dst;
    if (last_of_key && list[i].w != 0) net.synapses.push_back(list[i]);
  }
  net.src_begin.assign(n + 1, 0);
  for (const auto& s : net.synapses) ++net.src_begin[s.src + 1];
  for (int i = 0; i < n; ++i) net.src_begin[i + 1] += net.src_begin[i];
  return net;
}

}  // namespace hnn::models::hrn
