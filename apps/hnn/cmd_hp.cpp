// hnn hp: hybrid-plasticity spiking networks (Wu et al. 2022): the F-MNIST demo (LP / GP / HP),
// the fault-tolerance sweeps, the CNN classifiers, few-shot Omniglot and multitask permuted MNIST.
// See docs/hp.md.
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

  static HpCnnExperiment cls;
  auto* c = hp->add_subcommand(
      "classify",
      "The spiking CNN classifiers (plastic fc layer, early-exit read-out): MNIST (the shared\n"
      "22,699-image training subset; 100 epochs, batch 100), Fashion-MNIST (101 epochs, batch 50) or\n"
      "CIFAR-10 (120 epochs, batch 50; not in ../shared/data: --data-dir with the binary version)");
  c->add_option("--dataset", cls.dataset, "mnist, fashion or cifar10")
      ->check(CLI::IsMember({"mnist", "fashion", "cifar10"}))
      ->capture_default_str();
  c->add_option("--data-dir", cls.data_dir, "CIFAR-10: the folder of data_batch_1..5.bin and test_batch.bin");
  c->add_option("--mode", cls.mode, "hp or gp")->check(CLI::IsMember({"hp", "gp"}))->capture_default_str();
  auto* c_epochs =
      c->add_option("--epochs", cls.epochs, "Training epochs (mnist 100, fashion 101, cifar10 120 unless given)")
          ->check(positive());
  auto* c_batch = c->add_option("--batch", cls.batch, "Batch size (mnist 100, fashion and cifar10 50 unless given)")
                      ->check(positive());
  c->add_option("--lr", cls.lr, "Adam learning rate")->check(positive())->capture_default_str();
  c->add_option("--train-limit", cls.train_limit, "Use only the first N training images (0: all)")
      ->check(non_negative());
  c->add_option("--test-limit", cls.test_limit, "Use only the first N test images (0: all)")->check(non_negative());
  c->add_option("--out", cls.out_dir, "Output folder")->capture_default_str();
  c->callback([&g, c_epochs, c_batch] {
    apply_globals(g);
    cls.seed = g.seed;
    const bool fashion = cls.dataset == "fashion", cifar = cls.dataset == "cifar10";
    if (!c_epochs->count()) cls.epochs = cifar ? 120 : fashion ? 101 : 100;
    if (!c_batch->count()) cls.batch = fashion || cifar ? 50 : 100;
    Timer t;
    run_hp_cnn_experiment(cls);
    fmt::print("total {:.1f} s\n", t.seconds());
  });

  static HpFewShotExperiment fs;
  auto* f = hp->add_subcommand(
      "fewshot",
      "Omniglot N-way K-shot episodes (../shared/data/omniglot): a tanh CNN and a plastic spiking output\n"
      "layer that binds label currents to drawings; HP (global steps + second-order meta steps of the\n"
      "local parameters) against GP. --way 20 --runs adds the official 20-way one-shot benchmark");
  f->add_option("--modes", fs.modes, "hp, gp")
      ->check(CLI::IsMember({"hp", "gp"}))
      ->delimiter(',')
      ->capture_default_str();
  f->add_option("--way", fs.way, "Classes per episode (N)")->check(CLI::Range(2, 64))->capture_default_str();
  f->add_option("--shots", fs.shots, "Drawings per class in the support set (K)")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  f->add_option("--iterations", fs.iterations, "Training iterations")->check(positive())->capture_default_str();
  f->add_option("--eval-every", fs.eval_every, "Held-out evaluation period (iterations)")
      ->check(positive())
      ->capture_default_str();
  f->add_option("--eval-episodes", fs.eval_episodes, "Episodes per periodic evaluation")
      ->check(positive())
      ->capture_default_str();
  f->add_option("--final-episodes", fs.final_episodes, "Episodes of the final evaluation")
      ->check(positive())
      ->capture_default_str();
  f->add_option("--test-classes", fs.test_classes, "Characters held out for testing")
      ->check(positive())
      ->capture_default_str();
  f->add_option("--lr-step", fs.lr_step, "Halve both learning rates every N iterations (0: never)")
      ->check(non_negative())
      ->capture_default_str();
  f->add_option("--channels", fs.channels, "CNN channels")->check(positive())->capture_default_str();
  f->add_option("--global-lr", fs.global_lr, "Adam learning rate of the weights")
      ->check(positive())
      ->capture_default_str();
  f->add_option("--meta-lr", fs.meta_lr, "Adam learning rate of the local parameters")
      ->check(positive())
      ->capture_default_str();
  f->add_option("--label-current", fs.label_current,
                "Current injected into the label slot's unit during the support steps")
      ->check(positive())
      ->capture_default_str();
  f->add_flag("--runs", fs.runs, "Also evaluate the 20-way one-shot benchmark of all_runs.zip (needs --way 20)");
  f->add_option("--out", fs.out_dir, "Output folder")->capture_default_str();
  f->callback([&g] {
    apply_globals(g);
    fs.seed = g.seed;
    Timer t;
    run_hp_few_shot(fs);
    fmt::print("total {:.1f} s\n", t.seconds());
  });

  static HpMultitaskExperiment mt;
  auto* m = hp->add_subcommand(
      "multitask",
      "Continual learning on permuted MNIST (the shared 22,699-image training subset): task 0 is MNIST,\n"
      "task k a fixed pixel permutation; HP (per-task sparse masks, the rest of each weight matrix a\n"
      "Hebbian trace; meta phases replay old tasks to train the local parameters) against GP (the\n"
      "sparse masked network alone) and a dense spiking network with EWC. Full size is hours on 2\n"
      "cores: --tasks, --epochs, --hidden and --train-limit scale it down");
  m->add_option("--models", mt.models, "hp, gp, ewc")
      ->check(CLI::IsMember({"hp", "gp", "ewc"}))
      ->delimiter(',')
      ->capture_default_str();
  m->add_option("--tasks", mt.train.tasks, "Tasks learned in turn")->check(positive())->capture_default_str();
  m->add_option("--epochs", mt.train.epochs, "Epochs per task")->check(positive())->capture_default_str();
  m->add_option("--batch", mt.train.batch, "Batch size")->check(positive())->capture_default_str();
  m->add_option("--hidden", mt.hidden, "Neurons in each of the two hidden layers")
      ->check(positive())
      ->capture_default_str();
  m->add_option("--train-limit", mt.train_limit, "Use only the first N training images (0: all)")
      ->check(non_negative());
  m->add_option("--test-limit", mt.test_limit, "Use only the first N test images (0: all)")->check(non_negative());
  m->add_option("--lr", mt.train.lr, "Adam learning rate of the weights")->check(positive())->capture_default_str();
  m->add_option("--meta-lr", mt.train.meta_lr, "Adam learning rate of alpha, beta, eta in the meta phases (hp)")
      ->check(positive())
      ->capture_default_str();
  m->add_option("--meta-tasks", mt.train.meta_tasks, "Meta phases follow tasks 1 .. N (hp)")
      ->check(non_negative())
      ->capture_default_str();
  m->add_option("--meta-batches", mt.train.meta_batches, "Replayed batches of earlier tasks per meta phase (hp)")
      ->check(non_negative())
      ->capture_default_str();
  m->add_option("--sparsity", mt.sparsity, "Density of the per-task masks (hp, gp)")
      ->check(CLI::Range(1e-4, 1.0))
      ->capture_default_str();
  m->add_option("--ewc-lambda", mt.train.ewc_lambda, "Weight of the EWC penalty (ewc)")
      ->check(non_negative())
      ->capture_default_str();
  m->add_option("--fisher-samples", mt.train.fisher_samples,
                "Per-sample gradients in each task's Fisher estimate (ewc)")
      ->check(positive())
      ->capture_default_str();
  m->add_option("--out", mt.out_dir, "Output folder")->capture_default_str();
  m->callback([&g] {
    apply_globals(g);
    mt.train.seed = g.seed;
    Timer t;
    run_hp_multitask(mt);
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
