// The spiking reasoner (spec §4.4-4.7): per scene the designed networks (normal; predictive from
// the unseen collisions; counterfactual per removed object), the question plan with the
// predictive and counterfactual rewrites, the read-out, and batched answering of many questions.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hnn/data/clevrer.h"
#include "hnn/models/hrn/batch.h"
#include "hnn/models/hrn/executor.h"
#include "hnn/models/hrn/network.h"
#include "hnn/models/hrn/program.h"
#include "hnn/models/hrn/simulation.h"
#include "hnn/models/hrn/stimuli.h"

namespace hnn::models::hrn {

// The clip limits of the reference; 0 lifts a limit.
struct ReasonerOptions {
  int max_events = 20;         // normal network: events()[:20]
  int max_unseen = 5;          // predictive network: the first 5 unseen collisions
  int max_counterfactual = 5;  // counterfactual network: the first 5 collisions of cf_events[k]
  static ReasonerOptions no_clip() { return {0, 0, 0}; }
};

// The networks of one scene, built on first use.
class SceneNetworks {
 public:
  SceneNetworks(const Executor& ex, const ReasonerOptions& opt) : ex_(&ex), opt_(opt) {}
  const Network& normal();
  const Network& predictive();
  const Network& counterfactual(int removed);  // removed = -1: a network without events

 private:
  const Executor* ex_;
  ReasonerOptions opt_;
  std::unique_ptr<Network> normal_, predictive_;
  std::map<int, std::unique_ptr<Network>> cf_;
};

// Everything about one scene: the scene, its simulation, executor and networks. Neither copied
// nor moved (the parts point at each other); keep it in a unique_ptr.
struct SceneContext {
  explicit SceneContext(data::ClevrerScene s, const ReasonerOptions& opt = {});
  SceneContext(const SceneContext&) = delete;
  SceneContext& operator=(const SceneContext&) = delete;

  data::ClevrerScene scene;
  Simulation sim;
  Executor executor;
  SceneNetworks networks;
};

// How the SNN answers one program (choice + question for multiple choice).
struct QuestionPlan {
  QuestionKind kind = QuestionKind::Normal;
  Program program;         // after the rewrites; its last token keys the read-out
  Program remove_program;  // counterfactual: p0, run on the normal network to find the object
  std::vector<std::string> instructions, remove_instructions;
  Stimulus stimulus, remove_stimulus;
  bool valid = true;  // false when a rewrite cannot apply (the answer is then "no answer")
};
QuestionPlan plan_question(const Program& full_program);

// The answer from the final membrane (spec §4.7), keyed on the last token; "" = no answer.
std::string read_out(const std::string& key, const std::vector<float>& m, const Layout& layout);
// Counterfactual: the last object whose o neuron has a non-zero membrane, or -1.
int removed_object(const std::vector<float>& m, const Layout& layout);

// Answers many programs of many scenes as two batched runs (the second for the counterfactual
// networks). Answers are "" where the SNN gives none.
struct AskItem {
  SceneContext* scene = nullptr;
  const QuestionPlan* plan = nullptr;
};
std::vector<std::string> answer_batch(const std::vector<AskItem>& items, BatchRunner& runner);

// One question, step by step, with the spike raster of the final run (and of the
// counterfactual remove-object run when there is one).
struct Trace {
  std::string answer;
  int removed = -1;
  const Network* net = nullptr;  // the network of the final run
  std::vector<std::vector<float>> spikes, remove_spikes;
  std::vector<float> membrane;
};
Trace answer_traced(SceneContext& scene, const QuestionPlan& plan);

}  // namespace hnn::models::hrn
