// hnn hp: hybrid-plasticity spiking networks (Wu et al. 2022): the F-MNIST demo (LP / GP / HP)
// and the fault-tolerance sweeps. See docs/hp.md.
#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "hnn/core/timer.h"
#include "hp_tasks.h"

namespace hnn::cli {
namespace {

void add_common(CLI::App* c, HpMlpExperiment& e) {
  c->add_option("--modes", e.modes, "Learning modes to train: lp, gp, hp")
      ->check(CLI::IsMember({"lp", "gp", "hp"}))
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--dataset", e.dataset, "fashion (Fashion-MNIST) or mnist (the shared 22,699-image training subset)")
      ->check(CLI::IsMember({"fashion", "mnist"}))
      ->capture_default_str();
  c->add_option("--epochs", e.epochs, "Training epochs")->check(positive())->capture_default_str();
  c->add_option("--batch", e.batch, "Batch size (training and test)")->check(positive())->capture_default_str();
  c->add_option("--train-limit", e.train_limit, "Use only the first N training images (0: all)")->check(non_negative());
  c->add_option("--test-limit", e.test_limit, "Use only the first N test images (0: all)")->check(non_negative());
  c->add_option("--global-lr", e.global_lr, "Adam learning rate of the weights")
      ->check(positive())
      ->capture_default_str();
  c->add_option("--local-lr", e.local_lr, "Adam learning rate of the local parameters alpha, beta, eta")
      ->check(positive())
      ->capture_default_str();
  c->add_option("--levels", e.levels, "Corruption levels 0 .. N-1 in the sweeps")
      ->check(positive())
      ->capture_default_str();
  c->add_option("--out", e.out_dir, "Output folder (table, CSV, plot, checkpoints)")->capture_default_str();
}

}  // namespace

void register_hp(CLI::App& app, Globals& g) {
  auto* hp = app.add_subcommand("hp", "Hybrid-plasticity spiking networks (global backprop + local Hebbian traces)");
  hp->require_subcommand(1);

  static HpMlpExperiment demo;
  auto* d = hp->add_subcommand(
      "demo",
      "The Fashion-MNIST demo of the paper: 784-512-10 LIF MLP trained as LP (random projection + Hebbian\n"
      "trace), GP (BPTT) and HP (both), then tested under Gaussian noise of variance 0.01 level");
  add_common(d, demo);
  d->add_option("--corruptions", demo.corruptions,
                "Corruptions to sweep: gaussian, salt, pepper, sp, speckle, occlusion")
      ->delimiter(',')
      ->capture_default_str();
  d->callback([&g] {
    apply_globals(g);
    demo.seed = g.seed;
    Timer t;
    run_hp_mlp_experiment(demo);
    fmt::print("total {:.1f} s\n", t.seconds());
  });

  static HpMlpExperiment rob = [] {
    HpMlpExperiment e;
    e.name = "robustness";
    e.modes = {"gp", "hp"};
    e.epochs = 51;
    e.corruptions = {"occlusion", "gaussian", "salt", "pepper", "sp", "speckle"};
    e.levels = 15;
    e.out_dir = "hp-robustness";
    return e;
  }();
  auto* r = hp->add_subcommand(
      "robustness",
      "Fault tolerance: GP and HP MLPs (T 5) trained on clean images, then tested under occlusion and\n"
      "five noises (gaussian, salt, pepper, salt & pepper, speckle) at 15 levels");
  add_common(r, rob);
  r->add_option("--corruptions", rob.corruptions, "Corruptions to sweep")->delimiter(',')->capture_default_str();
  r->callback([&g] {
    apply_globals(g);
    rob.seed = g.seed;
    Timer t;
    run_hp_mlp_experiment(rob);
    fmt::print("total {:.1f} s\n", t.seconds());
  });
}

}  // namespace hnn::cli
