// The HSN steps shared by `hnn hsn ...` and `hnn demo hsn`.
#pragma once
#include <string>
#include <vector>

#include "hnn/events/event_stream.h"
#include "hnn/models/hsn/evaluate.h"
#include "hnn/models/hsn/trainer.h"
#include "hnn/viz/plot.h"

namespace hnn::cli::hsn {

using namespace hnn::models::hsn;

// "disk.aedat4" -> "disk.gt.jsonl".
std::string ground_truth_path(const std::string& recording);
// "disk.aedat4" -> "disk.scene.json".
std::string scene_path(const std::string& recording);

// Generates a recording and writes it (AEDAT 4, LZ4) with its ground truth and its scene.
void generate(const GenerateOptions& g, const std::string& out, const std::string& gt_out);

struct Loaded {
  events::Recording recording;
  GroundTruth gt;  // empty when the recording has none
  HsnData data;
};
// Reads a recording and its ground truth (the given path, else <name>.gt.jsonl when present);
// with <name>.scene.json beside it (written by generate) the samples get the ANN's search frames
// rendered at each window's centre.
Loaded load(const std::string& path, const std::string& gt_path, const LoadOptions& lo);

// Trains and reports each epoch on stdout.
Tracker train(const std::string& label, Mode mode, const NetworkOptions& net, const HsnData& train_data,
              const HsnData* val, TrainOptions to);

struct SweepRow {
  double factor = 1, speed = 0;
  StreamingResult result;
};
// Streaming mIoU of HSN, real ANN and ideal ANN on fresh test recordings at speed * factors.
std::vector<SweepRow> speed_sweep(Tracker& hsn, Tracker& ann, GenerateOptions g, const std::vector<double>& factors,
                                  const StreamingOptions& so);
void print_sweep(const std::vector<SweepRow>& rows);
void plot_sweep(const std::vector<SweepRow>& rows, const std::string& png);

// An empty success-plot panel (IoU threshold against fraction of predictions); add
// success_series(...) of each tracker.
viz::Panel success_panel(const std::string& title);

void print_metrics_header();
void print_metrics(const std::string& name, const TrackMetrics& m);

}  // namespace hnn::cli::hsn
