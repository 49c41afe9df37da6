// hnn nir info|import|export|run: NIR graphs (neuroir.org) from and to other frameworks and chips.
#include <fmt/format.h>
#include <torch/torch.h>

#include <map>

#include "cli_util.h"
#include "commands.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/io/nir_model.h"
#include "nir_tasks.h"

namespace hnn::cli {

namespace {

struct ModelFlags {
  double dt = 0;  // 0: the command's default
  std::string discretisation = "euler";
  bool soft_reset = false, if_per_step = false;

  void add(CLI::App* cmd, const char* dt_help) {
    cmd->add_option("--dt", dt, dt_help)->check(positive());
    cmd->add_option("--discretisation", discretisation,
                    "How continuous-time neurons step: euler (v += dt/tau (v_leak - v + R I), what Norse, Spyx and "
                    "snnTorch do) or exact (k = 1 - exp(-dt/tau), exact for inputs held over a step)")
        ->check(CLI::IsMember({"euler", "exact"}))
        ->capture_default_str();
    cmd->add_flag("--soft-reset", soft_reset,
                  "Reset by subtracting the threshold (NIR stores only reset to v_reset; snnTorch's 'subtract' graphs "
                  "need this)");
    cmd->add_flag(
        "--if-per-step", if_per_step,
        "IF and I neurons add R I each step instead of dt R I (what snnTorch and Sinabs files mean by r = 1)");
  }
  io::nir::ModelOptions options(double default_dt) const {
    return io::nir::ModelOptions()
        .dt(dt > 0 ? dt : default_dt)
        .discretisation(io::nir::parse_discretisation(discretisation))
        .soft_reset(soft_reset)
        .if_per_step(if_per_step);
  }
};

std::string stem_of(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  return base.substr(0, base.find('.'));
}

}  // namespace

void register_nir(CLI::App& app, Globals& g) {
  auto* nir = app.add_subcommand(
      "nir", "NIR graphs (the Neuromorphic Intermediate Representation, HDF5): inspect, import, export, run");
  nir->require_subcommand(1);

  static std::string info_file;
  auto* info = nir->add_subcommand("info", "Print a NIR file's nodes, parameters, edges and recurrent edges");
  info->add_option("file", info_file, "NIR file (.nir)")->required();
  info->callback([&g] {
    apply_globals(g);
    fmt::print("{}", io::nir::describe(io::nir::read(info_file)));
  });

  static std::string import_file, import_out;
  static ModelFlags import_flags;
  static int64_t import_steps = 10;
  auto* imp = nir->add_subcommand(
      "import", "Build an hnn model from a NIR file, run it once on zeros, and optionally write it back flat");
  imp->add_option("file", import_file, "NIR file (.nir)")->required();
  imp->add_option("--out", import_out,
                  "Write the imported model as NIR (subgraphs inlined, current layout) for tools without subgraphs");
  imp->add_option("--steps", import_steps, "Steps of the trial run")->check(positive())->capture_default_str();
  import_flags.add(imp, "Time step in seconds (default 1e-4, the NIR paper's)");
  imp->callback([&g] {
    apply_globals(g);
    auto model = io::nir::load(import_file, import_flags.options(1e-4));
    const auto& sch = model->schedule();
    fmt::print(
        "{}: {} nodes, {} parameters ({} values), {}\n", import_file, model->graph().nodes.size(),
        model->parameters().size(),
        [&] {
          int64_t n = 0;
          for (auto& p : model->parameters()) n += p.numel();
          return n;
        }(),
        model->recurrent() ? "recurrent: runs step by step" : "feed-forward: runs layer by layer over time");
    fmt::print("order: {}\n", fmt::join(sch.order, " -> "));
    for (const auto& [a, b] : sch.recurrent) fmt::print("recurrent edge: {} -> {}\n", a, b);
    for (const auto& w : model->graph().warnings) fmt::print("warning: {}\n", w);
    std::map<std::string, at::Tensor> inputs;
    for (const auto& in : model->inputs()) {
      const auto& n = model->graph().nodes.at(in);
      HNN_CHECK(n.has("shape"), "Input node '{}' has no shape: cannot make a trial input", in);
      std::vector<int64_t> shape{import_steps, 1};
      for (int64_t s : n.ints("shape")) shape.push_back(s);
      inputs[in] = torch::zeros(shape);
    }
    torch::NoGradGuard ng;
    for (const auto& [name, y] : model->run(inputs))
      fmt::print("trial run on zeros: output '{}' of shape [{}]\n", name, fmt::join(y.sizes(), ", "));
    if (!import_out.empty()) {
      io::nir::write(import_out, model->to_graph());
      fmt::print("wrote {}\n", import_out);
    }
  });

  static NirExportOptions eo;
  auto* exp = nir->add_subcommand(
      "export", "Train a library spiking network and export it as NIR (scnn: conv + sum-pool + IF on N-MNIST)");
  exp->add_option("--model", eo.model,
                  "The network: scnn (2x34x34 -> conv5 12 IF -> sumpool2 -> conv3 24 IF -> "
                  "sumpool2 -> affine 10; N-MNIST in 1-ms frames)")
      ->check(CLI::IsMember({"scnn"}))
      ->capture_default_str();
  exp->add_option("--out", eo.out, "NIR file to write")->required();
  exp->add_option("--data", eo.data, "N-MNIST folder with train1K.txt and test100.txt (default: ../shared/data)");
  exp->add_option("--epochs", eo.epochs, "Training epochs")->check(positive())->capture_default_str();
  exp->add_option("--train-limit", eo.train_limit, "Use only this many training recordings (0: all)")
      ->check(non_negative());
  exp->add_option("--batch", eo.batch, "Batch size")->check(positive())->capture_default_str();
  exp->add_option("--lr", eo.lr, "Adam learning rate")->check(positive())->capture_default_str();
  exp->add_option("--bin-us", eo.bin_us, "Frame width in microseconds (the exported dt)")
      ->check(positive())
      ->capture_default_str();
  exp->add_option("--window-ms", eo.window_ms,
                  "Train on the first this many milliseconds of each recording (N-MNIST: about 300)")
      ->check(positive())
      ->capture_default_str();
  exp->callback([&g] {
    apply_globals(g);
    run_nir_export(eo);
  });

  static std::string run_file, labels_file;
  static std::vector<std::string> event_files;
  static int64_t bin_us = 1000;
  static bool binary = false;
  static ModelFlags run_flags;
  auto* run = nir->add_subcommand(
      "run", "Run a NIR graph on event files: one line 'FILE PREDICTED_CLASS' each (argmax of the mean output)");
  run->add_option("model", run_file, "NIR file (.nir)")->required();
  run->add_option("--events", event_files, "Event files (N-MNIST .bin, AEDAT 4, AEDAT 2)")->required();
  run->add_option("--bin-us", bin_us, "Frame width in microseconds")->check(positive())->capture_default_str();
  run->add_flag("--binary", binary, "Frames hold 0/1 (an event or none) instead of event counts");
  run->add_option("--labels", labels_file,
                  "Labels, '<id> <label>' per line (the id is the file name without extension), for the accuracy");
  run_flags.add(run, "Time step in seconds (default: the frame width)");
  run->callback([&g] {
    apply_globals(g);
    auto model = io::nir::load(run_file, run_flags.options(bin_us * 1e-6));
    model->eval();
    std::map<std::string, int64_t> labels;
    if (!labels_file.empty()) {
      for (const auto& [id, label] : read_labels(labels_file)) labels[id] = label;
      for (const std::string& file : event_files)  // before any work, not after
        HNN_CHECK(labels.count(stem_of(file)), "no label for '{}' (key '{}') in '{}'", file, stem_of(file),
                  labels_file);
    }
    int64_t right = 0, counted = 0;
    for (const std::string& file : event_files) {
      const int64_t predicted = nir_predict(*model, file, bin_us, binary);
      fmt::print("{} {}\n", file, predicted);
      if (labels.empty()) continue;
      right += predicted == labels.at(stem_of(file));
      ++counted;
    }
    if (counted > 0) fmt::print("accuracy: {:.2f}% ({}/{})\n", 100.0 * (double)right / (double)counted, right, counted);
  });
}

}  // namespace hnn::cli
