// Template questions for the HRN (the original question file is not public): descriptive,
// explanatory, predictive and counterfactual questions in CLEVRER's functional format covering
// every executor module, answered by the executor (instantiations it answers with 'error' are
// dropped).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hnn/data/clevrer_questions.h"
#include "hnn/models/hrn/executor.h"

namespace hnn::models::hrn {

struct TemplateInfo {
  std::string name;        // question_subtype in the output
  std::string type;        // descriptive, explanatory, predictive, counterfactual
  std::string example;     // the question text with placeholders
  bool snn = true;         // false: the spec's SNN has no path for a module it uses
  std::string divergence;  // where the spec documents an SNN/executor divergence
};
const std::vector<TemplateInfo>& question_templates();
const TemplateInfo* find_template(const std::string& name);

struct QuestionOptions {
  int per_template = 2;                // instances of each template per video (at most)
  int max_choices = 4;                 // choices per multiple-choice question (at most)
  std::vector<std::string> templates;  // only these (empty: all)
};

// Questions for one scene; deterministic for a seed and video.
data::ClevrerVideoQuestions generate_questions(const Executor& ex, const QuestionOptions& opt, uint64_t seed);

// The program the executor and the SNN run for a question (or one of its choices): the question
// program, or choice program + question program.
Program full_program(const data::ClevrerQuestion& q, int choice = -1);

}  // namespace hnn::models::hrn
