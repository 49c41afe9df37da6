// HRN experiments besides agreement: robustness to false events from a relaxed collision HU
// (paper Fig. 4d), latency and network size against objects and events (Fig. 4c), and batched
// throughput. Each writes a Markdown table, a CSV and a PNG.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hnn/data/clevrer.h"
#include "hnn/models/hrn/collision_hu.h"
#include "hnn/models/hrn/questions.h"
#include "hnn/models/hrn/reasoner.h"

namespace hnn::models::hrn {

// --- robustness ---
struct RobustnessRow {
  double threshold = 0;
  double false_events = 0, missed_events = 0;  // per video: detected pairs that never collide / missed pairs
  int64_t programs = 0;
  double hrn = 0, executor = 0, guess = 0;  // accuracy (%) against the answers on the file's events
  double type_hrn[4] = {0, 0, 0, 0}, type_exec[4] = {0, 0, 0, 0}, type_guess[4] = {0, 0, 0, 0};
};
struct RobustnessOptions {
  std::vector<double> thresholds = {0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001};
  ReasonerOptions reasoner;
  BatchOptions batch;
  QuestionOptions questions;
  uint64_t seed = 42;
};
std::vector<RobustnessRow> run_robustness(const std::vector<data::ClevrerScene>& scenes, CollisionHu& hu,
                                          const RobustnessOptions& opt);
void write_robustness(const std::vector<RobustnessRow>& rows, const std::string& prefix, const std::string& note);
std::string robustness_table(const std::vector<RobustnessRow>& rows);

// --- latency ---
struct LatencyRow {
  std::string by;  // "objects" or "events"
  int value = 0;   // number of objects / events
  int scenes = 0;
  int64_t programs = 0;
  double neurons = 0, steps = 0;   // mean network size and mean time steps T
  double snn_us = 0, exec_us = 0;  // median latency per question (one at a time, one thread)
  double build_us = 0;             // median time to build a scene's normal network (HU 1)
};
struct LatencyOptions {
  int max_scenes_per_group = 40;
  ReasonerOptions reasoner;
  BatchOptions batch;
  QuestionOptions questions;
  uint64_t seed = 42;
  int repeats = 3;
};
std::vector<LatencyRow> run_latency(const std::vector<data::ClevrerScene>& scenes, const LatencyOptions& opt);
void write_latency(const std::vector<LatencyRow>& rows, const std::string& prefix);
std::string latency_table(const std::vector<LatencyRow>& rows);

// --- throughput ---
struct ThroughputRow {
  std::string engine;
  int columns = 0;  // questions batched per network (BatchOptions::max_columns)
  int64_t programs = 0, questions = 0;
  double seconds = 0;  // median over repeats
  double programs_per_s = 0, questions_per_s = 0;
  double dynamics_share = 0;  // fraction of the time in answer_batch (dynamics, network builds, read-out)
};
struct ThroughputOptions {
  std::vector<std::string> engines = {"sparse", "dense"};
  std::vector<int> columns = {1, 4, 16, 64, 256};
  int scenes_per_batch = 64;  // scenes per answer_batch call
  ReasonerOptions reasoner;
  QuestionOptions questions;
  uint64_t seed = 42;
  int repeats = 3;
};
std::vector<ThroughputRow> run_throughput(const std::vector<data::ClevrerScene>& scenes, const ThroughputOptions& opt);
void write_throughput(const std::vector<ThroughputRow>& rows, const std::string& prefix, const std::string& note);
std::string throughput_table(const std::vector<ThroughputRow>& rows);

}  // namespace hnn::models::hrn
