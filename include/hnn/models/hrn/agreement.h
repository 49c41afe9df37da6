// Experiment: agreement of the spiking reasoner with the symbolic executor, per question type and
// template, over many scenes (questions generated from templates or read from a CLEVRER file).
// Optionally also the accuracy of both against reference answers (e.g. when the events come
// from the learned collision HU and the reference is the executor on the scene file's events).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hnn/data/clevrer.h"
#include "hnn/data/clevrer_questions.h"
#include "hnn/models/hrn/questions.h"
#include "hnn/models/hrn/reasoner.h"

namespace hnn::models::hrn {

struct AgreementRow {
  std::string type, name, divergence;
  bool snn = true;
  int64_t total = 0;       // programs the executor answers (descriptive questions and choices)
  int64_t agree = 0;       // SNN answer == executor answer
  int64_t no_answer = 0;   // SNN gave none (query_* without a firing value)
  int64_t exec_error = 0;  // programs the executor answers with 'error' (not counted)
  // With reference answers: how many of the counted programs each system gets right.
  int64_t ref_total = 0, snn_correct = 0, exec_correct = 0;
  double exec_guess_correct = 0;  // executor, uniform guess on error (expected value)
  double percent() const { return total ? 100.0 * agree / total : 100.0; }
};

struct AgreementResult {
  std::vector<AgreementRow> templates;  // in template order (file subtypes after them)
  std::vector<AgreementRow> types;      // descriptive, explanatory, predictive, counterfactual
  int64_t scenes = 0, programs = 0;
  double seconds = 0, snn_seconds = 0;
  std::vector<std::string> examples;  // a few disagreements, for the report
};

struct AgreementOptions {
  ReasonerOptions reasoner;
  BatchOptions batch;
  QuestionOptions questions;
  uint64_t seed = 42;
  int chunk_scenes = 256;  // scenes answered as one batch
  // Optional: questions from a file instead of the generator (only videos among the scenes).
  const std::vector<data::ClevrerVideoQuestions>* question_file = nullptr;
  // Optional: replaces each scene before reasoning (e.g. collisions from the HU); the reference
  // answers are then the executor's on the original scene.
  std::function<data::ClevrerScene(const data::ClevrerScene&)> transform;
  int max_examples = 20;
};

// Size of the answer space of a program (for guessing): counts 0..n_obj, yes/no, colours (8),
// materials (2), shapes (3), correct/wrong.
int answer_candidates(const Program& p, int n_obj);

AgreementResult run_agreement(const std::vector<data::ClevrerScene>& scenes, const AgreementOptions& opt);

// Writes <prefix>.md (table), <prefix>.csv and <prefix>.png (bars per template).
void write_agreement(const AgreementResult& r, const std::string& prefix, const std::string& title);
std::string agreement_table(const AgreementResult& r);

}  // namespace hnn::models::hrn
