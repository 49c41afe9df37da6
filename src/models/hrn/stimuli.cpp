#include "hnn/models/hrn/stimuli.h"

#include <initializer_list>

namespace hnn::models::hrn {
namespace {

using Step = std::initializer_list<int>;

struct Builder {
  Stimulus s;
  void step(Step neurons, float value = kThreshold) {
    for (int n : neurons) s.entries.push_back({s.steps, n, value});
    ++s.steps;
  }
  void steps(std::initializer_list<Step> list) {
    for (auto st : list) step(st);
  }
};

}  // namespace

Stimulus program_to_stimuli(const std::vector<std::string>& ins) {
  Builder b;
  for (size_t i = 0; i < ins.size(); ++i) {
    const std::string& t = ins[i];
    if (t == "events" && i + 1 < ins.size() && ins[i + 1] == "events") {
      // The merged block also copies the current state into the copier neurons (the "stack").
      b.steps({{kEvents, kOCopyFun, kECopyFun}, {}});
      ++i;
    } else if (t == "objects") {
      b.steps({{kObjects}, {}});
    } else if (t == "events") {
      b.steps({{kEvents}, {}});
    } else if (t.rfind("filter_", 0) == 0 && neuron_by_name(t.substr(7)) >= kCube &&
               neuron_by_name(t.substr(7)) <= kYellow) {
      int v = neuron_by_name(t.substr(7));
      b.s.entries.push_back({b.s.steps, v, 2 * kThreshold});
      b.step({kOInhGate});
      b.step({});
    } else if (t == "filter_moving" || t == "filter_stationary") {
      b.steps({{t == "filter_moving" ? kOMovFun : kOStaFun}, {kOInhGate, kEInhGate}, {}});
    } else if (t == "filter_start" || t == "filter_end") {
      b.steps({{t == "filter_start" ? kStart : kEnd, kEInhGate}, {}});
    } else if (t == "filter_in" || t == "filter_out" || t == "filter_collision") {
      int f = t == "filter_in" ? kEInFun : t == "filter_out" ? kEOutFun : kEColFun;
      b.steps({{f}, {kOInhGate, kEInhGate}, {}});
    } else if (t == "filter_ancestor" || t == "filter_before" || t == "filter_after") {
      int f = t == "filter_ancestor" ? kEAncestorFun : t == "filter_before" ? kEBeforeFun : kEAfterFun;
      b.steps({{f, kEInhGate}, {kEExGate}, {}});
    } else if (t == "filter_first" || t == "filter_last") {
      b.steps({{t == "filter_first" ? kEFirstFun : kELastFun}, {kEInhGate}, {}});
    } else if (t == "filter_second") {
      b.steps({{kESecondFun}, {kEInhGate}, {}, {kELastFun}, {kEInhGate}, {}});
    } else if (t == "query_color" || t == "query_material" || t == "query_shape") {
      b.step({t == "query_color" ? kColor : t == "query_material" ? kMaterial : kShape});
    } else if (t == "query_object") {
      b.steps({{kOAttFun}, {kOExGate}, {}});
    } else if (t == "query_collision_partner") {
      b.steps({{kOAttFun, kOInhFun, kOInhGate}, {kOExGate}, {}});
    } else if (t == "belong_to") {
      b.steps({{kOAttFun}, {kBelongGate}, {}});
    } else {
      b.steps({{}, {}});
    }
  }
  b.step({});
  return b.s;
}

std::vector<std::vector<float>> dense_stimuli(const Stimulus& s, const Layout& layout) {
  std::vector<std::vector<float>> x(s.steps, std::vector<float>(layout.size(), 0.f));
  for (const auto& e : s.entries) {
    int idx = layout[e.neuron];
    if (idx < layout.size()) x[e.step][idx] += e.value;
  }
  return x;
}

}  // namespace hnn::models::hrn
