// Writes seed inputs for the fuzz targets of the readers above the event layer with our own
// writers: a checkpoint of a small module, HDF5 files (every dtype, strings, attributes, groups,
// an extendable dataset), DASBE datasets, NIR graphs (real graphs read and written back), the
// HMN's frames and task files, the HSN's ground truth and scene files, and the models' configs.
// Usage: make_model_seeds OUT_DIR [SHARED_DATA_DIR]  (creates OUT_DIR/<target>/...)
#include <sys/stat.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>

#include "hnn/core/fs.h"
#include "hnn/io/h5.h"
#include "hnn/io/nir.h"
#include "hnn/models/dasbe/data.h"
#include "hnn/models/dasbe/model.h"
#include "hnn/models/hmn/data.h"
#include "hnn/models/hmn/model.h"
#include "hnn/models/hmn/tasks.h"
#include "hnn/models/hmn/train.h"
#include "hnn/models/hp/cifar.h"
#include "hnn/models/hp/cnn.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/models/hp/multitask.h"
#include "hnn/models/hrn/collision_hu.h"
#include "hnn/models/hsn/recording.h"
#include "hnn/models/hsn/trainer.h"
#include "hnn/train/checkpoint.h"

using namespace hnn;

namespace {

std::string out;

std::string dir(const std::string& target) {
  const std::string d = out + "/" + target;
  mkdir(d.c_str(), 0755);
  return d;
}

void text(const std::string& target, const std::string& name, const std::string& s) {
  write_file_atomically(dir(target) + "/" + name, s);
}

void checkpoints() {
  const std::string d = dir("checkpoint");
  torch::manual_seed(1);
  torch::nn::Linear model(3, 2);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  model->forward(torch::ones({1, 3})).sum().backward();
  opt.step();
  train::CheckpointMeta meta;
  meta.config = R"({"model": "fuzz-linear", "in": 3, "out": 2})";
  meta.epoch = 3;
  meta.history = R"([{"epoch": 1, "lr": 0.1}])";
  meta.save_rng = false;
  train::save_checkpoint(d + "/linear3x2_sgd.pt", *model, meta, &opt);
  train::save_checkpoint(d + "/linear3x2_plain.pt", *model, meta);
  meta.save_rng = true;
  train::save_checkpoint(d + "/linear3x2_rng.pt", *model, meta);
  for (const char* n : {"/linear3x2_sgd.pt.json", "/linear3x2_plain.pt.json", "/linear3x2_rng.pt.json"})
    std::remove((d + n).c_str());
}

void h5() {
  const std::string d = dir("h5");
  {
    io::H5Writer w(d + "/dtypes_groups_strings.h5");
    w.write("u8", torch::arange(12, torch::kUInt8).reshape({3, 4}), 2, 0);
    w.write("i8", torch::arange(-3, 3, torch::kInt8), 100, 0);
    w.write("g/i16", torch::arange(6, torch::kShort).reshape({2, 3}), 1, 4);
    w.write("g/i32", torch::arange(4, torch::kInt), 100, 0);
    w.write("g/h/i64", torch::arange(5, torch::kLong), 100, 1);
    w.write("f32", torch::linspace(0, 1, 8).reshape({2, 2, 2}), 1, 0);
    w.write("f64", torch::tensor(3.5, torch::kDouble), 100, 0);
    w.write("empty", torch::empty({0, 3}), 100, 0);
    w.write_strings("name", {"hnn"});
    w.write_strings("g/names", {"a", "bc", "def", ""}, {2, 2});
    w.set_attribute("/", "dataset", "fuzz");
    w.set_attribute("u8", "type", "LIF");
    w.commit();
  }
  {
    io::H5Writer w(d + "/extendable_gzip.h5");
    w.create_extendable("rows", at::kFloat, {2}, 2, 6);
    w.append("rows", torch::ones({3, 2}));
    w.append("rows", torch::zeros({2, 2}));
    w.commit();
  }
}

void dasbe() {
  const std::string d = dir("dasbe_split");
  models::dasbe::DataOptions o;
  o.scale = 1e-5;  // one image per split
  models::dasbe::generate_dataset("bars", d + "/bars_1_per_split.h5", o);
  models::dasbe::generate_dataset("shapes_with_pos", d + "/shapes_with_pos_1_per_split.h5", o);
}

void nir(const std::string& data) {
  const std::string d = dir("nir");
  for (const char* n : {"lif_rockpool", "braille_noDelay_bias_zero_subgraph"}) {
    const std::string src = data + "/nir/" + n + ".nir";
    if (!file_exists(src)) continue;
    io::nir::write(d + "/" + n + "_rewritten.nir", io::nir::read(src));
  }
}

void hmn() {
  const std::string fd = dir("hmn_frames");
  for (bool binary : {false, true}) {
    models::hmn::FrameSet s;
    s.options.bins = 2;
    s.options.sensor = 4;
    s.options.binary = binary;
    s.labels = torch::tensor({3, 7}, torch::kLong);
    s.frames = torch::randint(0, binary ? 2 : 5, {2, 2, 2, 4, 4}, torch::kUInt8);
    s.source = "fuzz seed";
    models::hmn::save_frames(fd + (binary ? "/2x2x4x4_binary.frames" : "/2x2x4x4_counts.frames"), s);
  }
  models::hmn::TaskOptions o;
  o.count = 4;
  o.dims = 8;
  o.group = 2;
  o.continual = 2;
  o.shuffle_min = 2;
  o.shuffle_max = 3;
  models::hmn::save_tasks(dir("hmn_tasks") + "/4_tasks_of_8.tasks", models::hmn::make_tasks(o, 5));
}

void hsn() {
  models::hsn::GroundTruth gt;
  for (int i = 0; i < 3; ++i) {
    gt.t.push_back(1700000000000000 + 1000 * i);
    std::array<models::hsn::Box, models::hsn::kObjects> b;
    for (int o = 0; o < models::hsn::kObjects; ++o) b[o] = {10.0 * o + i, 20.0 + i, 10.0 * o + 8 + i, 28.0 + i};
    gt.boxes.push_back(b);
  }
  const std::string d = dir("hsn_gt");
  models::hsn::write_ground_truth(d + "/3ms_ground_truth.jsonl", gt);
  models::hsn::SceneFile s;
  s.t0_us = 1700000000000000;
  models::hsn::write_scene(d + "/scene.json", s);
}

void configs() {
  using namespace models;
  text("model_configs", "dasbe_bars.json", dasbe::config_to_json(dasbe::preset_config("bars")));
  text("model_configs", "hmn_backbone.json", hmn::BackboneConfig{}.to_json());
  text("model_configs", "hmn_branch.json", hmn::BranchConfig{}.to_json());
  hmn::ContinualLog log;
  log.sequence = {0, 1};
  log.evaluated_after = {1};
  log.accuracy = {{0.5, 0.75}};
  log.train_loss = {0.1, 0.2};
  log.seconds = {1, 2};
  text("model_configs", "hmn_continual_log.json", log.to_json());
  text("model_configs", "hp_cifar.json", hp::CifarConfig{}.to_json());
  text("model_configs", "hp_cnn.json", hp::CnnConfig{}.to_json());
  text("model_configs", "hp_mlp.json", hp::MlpConfig{}.to_json());
  text("model_configs", "hp_multitask.json", hp::MultitaskConfig{}.to_json());
  text("model_configs", "hrn_collision_hu.json", hrn::CollisionHuConfig{}.to_json());
  text("model_configs", "hsn_tracker.json",
       hsn::tracker_config(hsn::tracker_from_config(R"({"model": "hnn.hsn.tracker", "width": 0.25})", "seed")));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: make_model_seeds OUT_DIR [SHARED_DATA_DIR]\n");
    return 2;
  }
  out = argv[1];
  mkdir(out.c_str(), 0755);
  const std::string data = argc > 2 ? argv[2] : "../shared/data";
  checkpoints();
  h5();
  dasbe();
  nir(data);
  hmn();
  hsn();
  configs();
  std::printf("seeds written under %s\n", out.c_str());
  return 0;
}
