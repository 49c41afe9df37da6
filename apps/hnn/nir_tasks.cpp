#include "nir_tasks.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <fstream>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/events/formats.h"
#include "hnn/events/representation.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/nn/time_fold.h"
#include "hnn/train/classify.h"

namespace hnn::cli {

std::vector<std::pair<std::string, int64_t>> read_labels(const std::string& path) {
  std::ifstream in(path);
  HNN_CHECK(in, "cannot open the labels file '{}'", path);
  std::vector<std::pair<std::string, int64_t>> labels;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string key;
    int64_t label = -1;
    HNN_CHECK(ss >> key >> label, "labels file '{}', line {}: expected '<id> <label>', got '{}'", path, n, line);
    labels.emplace_back(key, label);
  }
  return labels;
}

namespace {

// Frames [T, 2, H, W] of a stream from its first event: `bins` of them, or (0) as many as cover it.
at::Tensor frames_of(const events::EventStream& ev, int64_t bin_us, int64_t bins, bool binary) {
  const int64_t t0 = ev.empty() ? 0 : ev.t.front();
  const int64_t span = ev.empty() ? 1 : ev.t.back() - t0 + 1;
  const int64_t n = bins > 0 ? bins : std::max<int64_t>(1, (span + bin_us - 1) / bin_us);
  const events::BinOptions b = events::BinOptions::around(t0, n, bin_us, events::Align::After);
  return binary ? events::binary_frames(ev, b) : events::event_counts(ev, b);
}

struct FrameSet {
  at::Tensor frames;  // uint8 [N, T, 2, 34, 34]
  at::Tensor labels;  // int64 [N]
};

// The recordings listed in dir/list ("<id> <label>" per line), binned into `bins` frames.
FrameSet load_nmnist(const std::string& dir, const std::string& list, int64_t limit, int64_t bin_us, int64_t bins) {
  std::vector<at::Tensor> frames;
  std::vector<int64_t> labels;
  for (const auto& [id, label] : read_labels(dir + "/" + list)) {
    if (limit > 0 && (int64_t)labels.size() >= limit) break;
    auto rec = events::read_recording(dir + "/" + id + ".bin");
    frames.push_back(frames_of(rec.events, bin_us, bins, false).clamp_max(255).to(torch::kUInt8));
    labels.push_back(label);
  }
  HNN_CHECK(!frames.empty(), "'{}/{}' lists no recordings", dir, list);
  return {torch::stack(frames), torch::tensor(labels, torch::kInt64)};
}

// A chain of library modules over a sequence [T, B, ...]: spiking layers and neurons take the
// sequence, the others run on every step at once (time folded into the batch).
at::Tensor run_chain(torch::nn::Sequential& net, const at::Tensor& x) {
  const int64_t T = x.size(0);
  at::Tensor y = x;
  for (auto& any : *net) {
    torch::nn::Module* m = any.ptr().get();
    if (auto* sc = dynamic_cast<nn::SpikingConv2dImpl*>(m)) {
      y = sc->forward(y);
    } else if (auto* sl = dynamic_cast<nn::SpikingLinearImpl*>(m)) {
      y = sl->forward(y);
    } else if (auto* ne = dynamic_cast<spike::NeuronImpl*>(m)) {
      y = ne->forward(y);
    } else {
      y = nn::unfold_time(any.forward(nn::fold_time(y)), T);
    }
  }
  return y;
}

torch::nn::Sequential make_scnn() {
  auto if_neuron =
      spike::NeuronOptions::integrate_and_fire().threshold(1.0).surrogate(spike::Surrogate::parse("arctan"));
  auto conv = [&](int64_t in, int64_t out, int64_t k) {
    return nn::SpikingConv2d(nn::SpikingConv2dOptions(in, out, k).padding(k / 2).batch_norm(false).neuron(if_neuron));
  };
  auto sum_pool = [] { return torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).divisor_override(1)); };
  return torch::nn::Sequential(conv(2, 12, 5), sum_pool(), conv(12, 24, 3), sum_pool(), torch::nn::Flatten(),
                               torch::nn::Linear(24 * 8 * 8, 10));
}

}  // namespace

int64_t nir_predict(io::nir::ModelImpl& model, const std::string& file, int64_t bin_us, bool binary) {
  auto rec = events::read_recording(file);
  at::Tensor x = frames_of(rec.events, bin_us, 0, binary).unsqueeze(1);  // [T, 1, 2, H, W]
  auto inputs = model.inputs();
  HNN_CHECK(inputs.size() == 1, "'{}': the graph has {} Input nodes (expected 1)", file, inputs.size());
  const auto& node = model.graph().nodes.at(inputs[0]);
  if (node.has("shape")) {
    const std::vector<int64_t> want = node.ints("shape");
    const std::vector<int64_t> have = x.sizes().slice(2).vec();
    if (want.size() == 1 && want[0] == x[0][0].numel()) {
      x = x.flatten(2);
    } else {
      HNN_CHECK(want == have,
                "'{}': frames of shape [{}] (polarity, height, width), but the graph's Input '{}' takes [{}]", file,
                fmt::join(have, ", "), inputs[0], fmt::join(want, ", "));
    }
  }
  torch::NoGradGuard ng;
  at::Tensor y = model.forward(x);  // [T, 1, classes...]
  return y.mean(0).flatten(1).argmax(1).item<int64_t>();
}

void run_nir_export(const NirExportOptions& o) {
  const std::string dir = o.data.empty() ? shared_data_path("nmnist-small") : o.data;
  HNN_CHECK(!dir.empty() && file_exists(dir + "/train1K.txt"),
            "no N-MNIST recordings found (give --data DIR with train1K.txt, test100.txt and <id>.bin)");
  const int64_t bins = o.window_ms * 1000 / o.bin_us;
  HNN_CHECK(bins > 0, "--window-ms {} is shorter than one frame of --bin-us {}", o.window_ms, o.bin_us);
  FrameSet train = load_nmnist(dir, "train1K.txt", o.train_limit, o.bin_us, bins);
  FrameSet test = load_nmnist(dir, "test100.txt", 0, o.bin_us, bins);
  fmt::print("N-MNIST from {}: {} training and {} test recordings, {} frames of {} us (the first {} ms)\n", dir,
             train.labels.size(0), test.labels.size(0), bins, o.bin_us, o.window_ms);
  torch::nn::Sequential net = make_scnn();
  fmt::print(
      "model: 2x34x34 -> conv5 12 IF -> sumpool2 -> conv3 24 IF -> sumpool2 -> affine 10 (mean over time), "
      "Adam lr {}, {} epochs\n",
      o.lr, o.epochs);
  auto fwd = [&](const at::Tensor& batch) {
    return run_chain(net, batch.to(torch::kFloat).transpose(0, 1).contiguous()).mean(0);
  };
  train::Trainer trainer(*net,
                         train::TrainerOptions().epochs(o.epochs).batch_size(o.batch).lr(o.lr).schedule("cosine"));
  trainer.add_callback(std::make_shared<train::ProgressBar>());
  trainer.add_callback(std::make_shared<train::OnEpochEnd>([](const train::EpochLog& e) {
    fmt::print("epoch {}: train loss {:.4f} acc {:.1f}% | test acc {:.1f}% | {:.1f} s\n", e.epoch,
               train::metric(e.train, "loss"), 100 * train::metric(e.train, "accuracy"),
               100 * train::metric(e.val, "accuracy"), e.seconds);
  }));
  trainer.fit(train.labels.size(0), train::classification_step(fwd, train.frames, train.labels),
              [&] { return train::evaluate_classifier(fwd, test.frames, test.labels, 25); });
  net->eval();
  const double dt = (double)o.bin_us * 1e-6;
  io::nir::Graph g = io::nir::export_sequential(net, io::nir::ExportOptions().dt(dt).input_shape({2, 34, 34}));
  io::nir::write(o.out, g);
  // The written graph must compute what was trained: compare on the test recordings.
  auto model = io::nir::load(o.out, io::nir::ModelOptions().dt(dt));
  torch::NoGradGuard ng;
  std::vector<at::Tensor> outs_a, outs_b;
  for (int64_t i = 0; i < test.labels.size(0); i += 10) {  // in slices: a whole set of frames is GBs of float
    at::Tensor x = test.frames.slice(0, i, i + 10).to(torch::kFloat).transpose(0, 1).contiguous();
    outs_a.push_back(run_chain(net, x).mean(0));
    outs_b.push_back(model->forward(x).mean(0));
  }
  at::Tensor a = torch::cat(outs_a), b = torch::cat(outs_b);
  const int64_t agree = a.argmax(1).eq(b.argmax(1)).sum().item<int64_t>();
  fmt::print(
      "wrote {} ({} nodes, dt {} s); the NIR model and the trained one agree on {}/{} test recordings "
      "(max output difference {:.2e})\n",
      o.out, g.nodes.size(), dt, agree, test.labels.size(0), (a - b).abs().max().item<double>());
  fmt::print("run it: hnn nir run {} --events {}/600[0-9][0-9].bin {}/60100.bin --labels {}/test100.txt\n", o.out, dir,
             dir, dir);
}

}  // namespace hnn::cli
