// hnn demo: the demos on built-in data (see demos.h).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "dasbe_tasks.h"
#include "demos.h"
#include "hmn_tasks.h"
#include "hnn/core/timer.h"
#include "hnn/models/hsn/trainer.h"
#include "hnn/spike/surrogate.h"
#include "hp_tasks.h"

namespace hnn::cli {

void register_demo(CLI::App& app, Globals& g) {
  static DemoOptions o;
  auto* cmd =
      app.add_subcommand("demo",
                         "Run a demo on built-in data:\n"
                         "  hsn      (default) hybrid sensing network: generates turning-disk recordings,\n"
                         "           trains the HSN and the ANN baseline, evaluates, writes plots and a video\n"
                         "  snn-mlp  spiking MLP (rate-coded input, LIF) on Fashion-MNIST\n"
                         "  hybrid   ANN -> learnable A2S HU -> SNN -> S2A HU -> ANN on Fashion-MNIST,\n"
                         "           against the same model with fixed rate-coding HUs\n"
                         "  hp       hybrid plasticity: LP, GP and HP spiking MLPs on Fashion-MNIST (3 epochs each),\n"
                         "           then under Gaussian noise (the full run: 'hnn hp demo')\n"
                         "  hmn      hybrid modulation network: N-MNIST-like recordings of 4,000 MNIST digits, the\n"
                         "           backbone, then 16 permuted tasks learned in turn by the HMN and the HMN with\n"
                         "           EWC (C = 4,096, active-only) and one plain SNN (the full runs: 'hnn hmn train')\n"
                         "  dasbe    binding by spike timing: the bars set, its autoencoder trained on single bars,\n"
                         "           100 twelve-bar images bound by DASBE and by the pure-ANN loop, 3 pictures\n"
                         "           (the full runs: 'hnn dasbe table')");
  // The demos are subcommands of `demo`, not a positional: a positional "hsn" would be taken for
  // the top-level `hsn` command (global options fall through to the parent).
  std::vector<CLI::App*> which;
  for (const char* name : {"hsn", "snn-mlp", "hybrid", "hp", "hmn", "dasbe"}) {
    auto* w = cmd->add_subcommand(name, std::string("the ") + name + " demo (options: see 'hnn demo --help')");
    w->fallthrough();
    which.push_back(w);
  }
  cmd->require_subcommand(0, 1);
  auto* epochs = cmd->add_option("--epochs", o.epochs, "Training epochs (hp: 3 unless given)")
                     ->check(positive())
                     ->capture_default_str();
  cmd->add_option("--hidden", o.hidden, "Hidden LIF neurons (snn-mlp)")->check(positive())->capture_default_str();
  cmd->add_option("--steps", o.steps, "Time steps T")->check(positive())->capture_default_str();
  cmd->add_option("--batch", o.batch, "Batch size")->check(positive())->capture_default_str();
  cmd->add_option("--lr", o.lr, "Adam learning rate")->check(positive())->capture_default_str();
  cmd->add_option("--encoding", o.encoding, "Input coding (snn-mlp): poisson (Bernoulli spikes) or current")
      ->check(CLI::IsMember({"poisson", "current"}))
      ->capture_default_str();
  cmd->add_option("--surrogate", o.surrogate, "Surrogate gradient, e.g. rect:1, sigmoid:4")->capture_default_str();
  cmd->add_option("--train-limit", o.train_limit, "Use only the first N training images (0: all)")
      ->check(non_negative());
  cmd->add_flag("--skip-baseline", o.skip_baseline, "hybrid: train only the learnable-HU model");
  cmd->add_option("--out-dir", o.out_dir,
                  "hsn, hp, hmn, dasbe: output folder (recordings, checkpoints, plots, video; hp, hmn and dasbe write "
                  "to <dir>/<name>)")
      ->capture_default_str();
  cmd->add_option("--width", o.width, "hsn: channel width factor of the models (at most 4)")
      ->check(positive())
      ->check(CLI::Range(0.0, models::hsn::kMaxTrackerWidth))
      ->capture_default_str();
  cmd->add_option("--hsn-epochs", o.hsn_epochs, "hsn: training epochs")->check(positive())->capture_default_str();
  cmd->add_flag("--snn-baseline", o.snn_baseline,
                "hsn: also train and evaluate the pure-SNN baseline (doubles the time)");
  cmd->add_option("--train-seconds", o.train_seconds, "hsn: length of the training recording (0.5 turns/s)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--fast-seconds", o.fast_seconds,
                  "hsn: length of a second, faster (1.5 turns/s) training recording (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--test-seconds", o.test_seconds, "hsn: length of the test recordings")
      ->check(positive())
      ->capture_default_str();
  cmd->callback([&g, which, epochs] {
    apply_globals(g);
    for (auto* w : which)
      if (w->parsed()) o.which = w->get_name();
    spike::Surrogate::parse(o.surrogate);  // validate before loading data
    Timer t;
    if (o.which == "hsn") {
      run_hsn(o, g.seed);
    } else if (o.which == "hybrid") {
      run_hybrid(o);
    } else if (o.which == "hmn") {
      run_hmn_demo(o.out_dir + "/hmn", g.seed);
    } else if (o.which == "dasbe") {
      run_dasbe_demo(o.out_dir + "/dasbe", g.seed);
    } else if (o.which == "hp") {
      HpMlpExperiment e;
      e.epochs = epochs->count() ? o.epochs : 3;
      e.train_limit = o.train_limit;
      e.out_dir = o.out_dir + "/hp";
      e.seed = g.seed;
      run_hp_mlp_experiment(e);
    } else {
      run_snn_mlp(o);
    }
    fmt::print("total {:.1f} s\n", t.seconds());
  });
}

}  // namespace hnn::cli
