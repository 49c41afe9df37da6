#include "hnn/models/hrn/reasoner.h"

#include <algorithm>

namespace hnn::models::hrn {

const Network& SceneNetworks::normal() {
  if (!normal_)
    normal_ = std::make_unique<Network>(
        build_network(ex_->simulation().scene().objects, scene_sequence(*ex_, opt_.max_events)));
  return *normal_;
}

const Network& SceneNetworks::predictive() {
  if (!predictive_)
    predictive_ = std::make_unique<Network>(
        build_network(ex_->simulation().scene().objects, collision_sequence(ex_->unseen_events(), opt_.max_unseen)));
  return *predictive_;
}

const Network& SceneNetworks::counterfactual(int removed) {
  auto& slot = cf_[removed];
  if (!slot) {
    const auto& sim = ex_->simulation();
    std::vector<Event> none;
    slot = std::make_unique<Network>(
        build_network(sim.scene().objects,
                      collision_sequence(removed >= 0 ? sim.counterfactual(removed) : none, opt_.max_counterfactual)));
  }
  return *slot;
}

SceneContext::SceneContext(data::ClevrerScene s, const ReasonerOptions& opt)
    : scene(std::move(s)), sim(scene), executor(sim), networks(executor, opt) {}

QuestionPlan plan_question(const Program& full) {
  QuestionPlan p;
  p.kind = question_kind(full);
  p.program = full;
  if (p.kind == QuestionKind::Predictive) {
    // The choice's leading all_events becomes events; "unseen_events belong_to" becomes unseen.
    if (full.size() < 3) {
      p.valid = false;
    } else {
      p.program[0] = "events";
      p.program.resize(p.program.size() - 2);
      p.program.push_back("unseen");
    }
  } else if (p.kind == QuestionKind::Counterfactual) {
    p.program[0] = "events";
    auto a = std::find(p.program.begin(), p.program.end(), "all_events");
    auto f = std::find(p.program.begin(), p.program.end(), "filter_counterfact");
    if (a == p.program.end() || f < a) {
      p.valid = false;
    } else {
      p.remove_program.assign(a, f);
      const bool negate = full.back() == "negate";
      Program choice(p.program.begin(), a);
      choice.push_back(negate ? "counter_negate" : "counter");
      p.program = std::move(choice);
      p.remove_instructions = to_instructions(p.remove_program);
      p.remove_stimulus = program_to_stimuli(p.remove_instructions);
    }
  }
  p.instructions = to_instructions(p.program);
  p.stimulus = program_to_stimuli(p.instructions);
  return p;
}

std::string read_out(const std::string& key, const std::vector<float>& m, const Layout& L) {
  const float count = m[L[kCount]], belong = m[L[kBelong]];
  if (key == "count") return std::to_string((int)count);
  if (key == "exist") return count != 0 ? "yes" : "no";
  if (key == "belong_to") return belong != 0 ? "correct" : "wrong";
  if (key == "negate") return belong != 0 ? "wrong" : "correct";
  if (key == "unseen" || key == "counter") return count != 0 ? "correct" : "wrong";
  if (key == "counter_negate") return count != 0 ? "wrong" : "correct";
  int lo = -1, hi = -1;
  if (key == "query_shape") lo = kCube, hi = kSphere;
  if (key == "query_material") lo = kRubber, hi = kMetal;
  if (key == "query_color") lo = kGray, hi = kYellow;
  for (int v = lo; lo >= 0 && v <= hi; ++v)
    if (m[L[v]] >= kThreshold) return neuron_name((Neuron)v);
  return "";
}

int removed_object(const std::vector<float>& m, const Layout& L) {
  int removed = -1;
  for (int o = 0; o < L.num_objects(); ++o)
    if (m[L.obj(o, 0)] != 0) removed = o;
  return removed;
}

std::vector<std::string> answer_batch(const std::vector<AskItem>& items, BatchRunner& runner) {
  std::vector<std::string> answers(items.size());
  std::vector<Job> jobs;
  std::vector<int> which;  // item of each job
  for (int i = 0; i < (int)items.size(); ++i) {
    const QuestionPlan& p = *items[i].plan;
    if (!p.valid) continue;
    SceneNetworks& nets = items[i].scene->networks;
    switch (p.kind) {
      case QuestionKind::Normal:
        jobs.push_back({&nets.normal(), &p.stimulus});
        break;
      case QuestionKind::Predictive:
        jobs.push_back({&nets.predictive(), &p.stimulus});
        break;
      case QuestionKind::Counterfactual:
        jobs.push_back({&nets.normal(), &p.remove_stimulus});
        break;
    }
    which.push_back(i);
  }
  auto m1 = runner.run(jobs);
  std::vector<Job> jobs2;
  std::vector<int> which2;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const int i = which[j];
    const QuestionPlan& p = *items[i].plan;
    if (p.kind == QuestionKind::Counterfactual) {
      int removed = removed_object(m1[j], jobs[j].net->layout);
      jobs2.push_back({&items[i].scene->networks.counterfactual(removed), &p.stimulus});
      which2.push_back(i);
    } else {
      answers[i] = read_out(p.program.back(), m1[j], jobs[j].net->layout);
    }
  }
  if (!jobs2.empty()) {
    auto m2 = runner.run(jobs2);
    for (size_t j = 0; j < jobs2.size(); ++j)
      answers[which2[j]] = read_out(items[which2[j]].plan->program.back(), m2[j], jobs2[j].net->layout);
  }
  return answers;
}

Trace answer_traced(SceneContext& scene, const QuestionPlan& p) {
  Trace tr;
  if (!p.valid) return tr;
  SceneNetworks& nets = scene.networks;
  const Network* net = nullptr;
  switch (p.kind) {
    case QuestionKind::Normal:
      net = &nets.normal();
      break;
    case QuestionKind::Predictive:
      net = &nets.predictive();
      break;
    case QuestionKind::Counterfactual: {
      auto m = simulate(nets.normal(), p.remove_stimulus, &tr.remove_spikes);
      tr.removed = removed_object(m, nets.normal().layout);
      net = &nets.counterfactual(tr.removed);
      break;
    }
  }
  tr.net = net;
  tr.membrane = simulate(*net, p.stimulus, &tr.spikes);
  tr.answer = read_out(p.program.back(), tr.membrane, net->layout);
  return tr;
}

}  // namespace hnn::models::hrn
