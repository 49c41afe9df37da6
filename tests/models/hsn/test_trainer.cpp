// HSN training end to end at toy size: loss goes down, checkpoints round-trip and resume,
// evaluation and the tracking video run.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/seed.h"
#include "hnn/models/hsn/evaluate.h"
#include "hnn/models/hsn/trainer.h"
#include "hnn/models/hsn/visualize.h"
#include "test_util.h"

using namespace hnn::models::hsn;

namespace {

struct Toy {
  hnn::events::Recording rec;
  GroundTruth gt;
  HsnData data;
};

const Toy& toy() {
  static Toy t = [] {
    Toy x;
    GenerateOptions g;
    g.seconds = 0.3;
    g.render_hz = 1000;
    g.seed = 1;
    x.rec = generate_recording(g, &x.gt, false);
    x.data = build_dataset(x.rec, &x.gt);
    return x;
  }();
  return t;
}

NetworkOptions narrow() {
  NetworkOptions o;
  o.width = 1.0 / 16;
  return o;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_hsn_" + name;
}

}  // namespace

TEST(HsnTrainer, LossDecreasesAndCheckpointsRoundTrip) {
  hnn::seed_everything(5);
  Tracker model(narrow(), Mode::Hybrid);
  TrainOptions to;
  to.epochs = 4;
  to.batch = 2;
  to.lr = 3e-3;
  to.checkpoint = temp_path("ckpt.pt");
  to.checkpoint_every = 2;
  auto logs = train_tracker(model, toy().data, &toy().data, to);
  ASSERT_EQ(logs.size(), 4u);
  EXPECT_LT(logs.back().loss, logs.front().loss);
  EXPECT_GE(logs.back().val_miou, 0.0);
  EXPECT_TRUE(hnn::file_exists(to.checkpoint));
  EXPECT_TRUE(hnn::file_exists(to.checkpoint + ".json"));
  EXPECT_TRUE(hnn::file_exists(to.checkpoint + "-epoch2"));

  // The checkpoint rebuilds the same model: same outputs.
  auto loaded = load_tracker(to.checkpoint);
  EXPECT_EQ(loaded.epoch, 4);
  EXPECT_EQ(loaded.model->mode, Mode::Hybrid);
  model->eval();
  loaded.model->eval();
  auto b = toy().data.batch(0, 2);
  torch::NoGradGuard ng;
  EXPECT_TENSOR_NEAR(model(b.aps, b.dvs, b.aps_loc), loaded.model(b.aps, b.dvs, b.aps_loc), 0.0);
}

TEST(HsnTrainer, ResumeContinuesFromTheSavedEpoch) {
  hnn::seed_everything(6);
  Tracker model(narrow(), Mode::Hybrid);
  TrainOptions to;
  to.epochs = 2;
  to.batch = 4;
  to.checkpoint = temp_path("resume.pt");
  to.checkpoint_every = 1;
  train_tracker(model, toy().data, nullptr, to);
  Tracker again(narrow(), Mode::Hybrid);
  TrainOptions more = to;
  more.epochs = 3;
  more.resume = to.checkpoint + "-epoch1";
  auto logs = train_tracker(again, toy().data, nullptr, more);
  ASSERT_EQ(logs.size(), 2u);  // epochs 2 and 3
  EXPECT_EQ(logs.front().epoch, 2);

  // A checkpoint of another mode or width is refused with a clear message.
  Tracker ann(narrow(), Mode::AnnOnly);
  TrainOptions wrong = more;
  wrong.resume = to.checkpoint;
  EXPECT_THROW(train_tracker(ann, toy().data, nullptr, wrong), hnn::Error);
  // Not a checkpoint at all.
  auto junk = temp_path("junk.pt");
  hnn::write_file_atomically(junk, "not a checkpoint");
  EXPECT_THROW(load_tracker(junk), hnn::Error);
  EXPECT_THROW(load_tracker(temp_path("missing.pt")), hnn::Error);
}

TEST(HsnTrainer, BadConfigsAreRefusedBeforeTheNetworkIsBuilt) {
  // A round trip of a valid config.
  Tracker t = tracker_from_config(tracker_config(Tracker(narrow(), Mode::Hybrid)), "ok.json");
  EXPECT_EQ(t->options.width, narrow().width);
  auto message = [](const std::string& json) {
    try {
      tracker_from_config(json, "bad.json");
    } catch (const hnn::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // An unknown surrogate is named with the file, before a wide network is built (a fuzzer found
  // configs that spent seconds building the layers first).
  const std::string bad_surrogate = message(R"({"model": "hnn.hsn.tracker", "width": 4, "surrogate": "nope"})");
  EXPECT_NE(bad_surrogate.find("bad.json"), std::string::npos) << bad_surrogate;
  EXPECT_NE(bad_surrogate.find("unknown surrogate 'nope'"), std::string::npos) << bad_surrogate;
  EXPECT_NE(message(R"({"model": "hnn.hsn.tracker", "width": 4.5})").find("outside (0, 4]"), std::string::npos);
  EXPECT_NE(message(R"({"model": "other"})").find("not an HSN tracker"), std::string::npos);
  EXPECT_NE(message("[1, 2").find("bad tracker config"), std::string::npos);
}

TEST(HsnTrainer, EvaluationStreamingThroughputAndVideo) {
  hnn::seed_everything(7);
  Tracker hsn(narrow(), Mode::Hybrid), ann(narrow(), Mode::AnnOnly);
  auto r = evaluate_tracker(hsn, toy().data);
  EXPECT_EQ(r.pred_px.sizes(), (torch::IntArrayRef{toy().data.size(), 10, kObjects, 2}));
  EXPECT_GE(r.overall.mean_iou, 0.0);
  EXPECT_LE(r.overall.mean_iou, 1.0);

  StreamingOptions so;
  so.warmup_ms = 5;
  auto s = streaming_eval(hsn, ann, toy().rec, toy().gt, TurningDisk(SceneOptions{}), so);
  EXPECT_GT(s.bins, 100);
  for (auto* m : {&s.hsn, &s.real_ann, &s.ideal_ann}) {
    EXPECT_GE(m->mean_iou, 0.0);
    EXPECT_LE(m->mean_iou, 1.0);
  }

  auto tp = measure_throughput(hsn, 2, 1);
  EXPECT_GT(tp.bins_per_s_batch1, 0);
  EXPECT_GT(tp.bins_per_s_batched, 0);
  EXPECT_GT(tp.latency_ms_single, 0);

  TrackVideoOptions vo;
  vo.max_frames = 2;
  auto gif = temp_path("track.gif");
  EXPECT_GT(write_tracking_video(hsn, toy().rec, &toy().gt, gif, vo), 0);
  EXPECT_TRUE(hnn::file_exists(gif));
  EXPECT_THROW(write_tracking_video(hsn, toy().rec, &toy().gt, "/nonexistent/dir/x.gif", vo), hnn::Error);
}
