// hnn dasbe: binding by spike timing and reconstructive attention (Zheng et al., NeurIPS 2022):
// the datasets (HDF5), the autoencoders trained on single objects, the hybrid loop and its
// baselines, Table I, the binding pictures and Figures 2 and 3. See docs/dasbe.md.
#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "dasbe_tasks.h"
#include "hnn/core/timer.h"
#include "hnn/models/dasbe/data.h"

namespace hnn::cli {

void register_dasbe(CLI::App& app, Globals& g) {
  auto* top = app.add_subcommand("dasbe", "DASBE: binding objects by spike timing with a denoising autoencoder");
  top->require_subcommand(1);
  static DasbeRun r;
  std::vector<std::string> names;
  for (const auto& d : models::dasbe::datasets()) names.push_back(d.name);
  const std::vector<std::string> table_sets = {"bars", "shapes", "corners", "multi_mnist", "mnist_shape"};
  auto folders = [](CLI::App* c, bool nets, bool out) {
    c->add_option("--data", r.data_dir, "Folder of the datasets (<set>.h5)")->capture_default_str();
    if (nets) c->add_option("--nets", r.nets_dir, "Folder of the trained networks (<set>.pt)")->capture_default_str();
    if (out) c->add_option("--out", r.out_dir, "Output folder")->capture_default_str();
  };
  static uint64_t data_seed = 0;

  auto* d = top->add_subcommand(
      "data",
      "Generate a dataset of the DASBE paper with every split (train_single, train_multi, test, ...) as HDF5:\n"
      "<data>/<set>.h5, groups <split>/default (images) and <split>/groups (per-pixel object labels, 0 for\n"
      "background and overlaps). MNIST digits come from ../shared/data/mnist");
  d->add_option("--set", r.set, "Dataset, or 'all'")
      ->check(CLI::IsMember([&] {
        auto v = names;
        v.push_back("all");
        return v;
      }()))
      ->capture_default_str();
  d->add_option("--scale", r.scale, "Fraction of the spec's split sizes (e.g. 0.01 for a quick look)")
      ->check(positive())
      ->capture_default_str();
  d->add_option("--data-seed", data_seed, "Generator seed (0: the dataset's own seed of the spec)");
  d->add_option("--out", r.data_dir, "Output folder")->capture_default_str();
  d->callback([&g] {
    apply_globals(g);
    r.seed = data_seed;
    Timer t;
    run_dasbe_data(r);
    fmt::print("total {:.1f} s\n", t.seconds());
  });

  auto* tr = top->add_subcommand(
      "train",
      "Train the set's autoencoder on its single-object images (train_single, 90/10 split) with the recipe of\n"
      "the reference (docs/dasbe.md: pixel drop, BCE, Adam, multistep schedule, early stop). <nets>/<set>.pt keeps the "
      "best\n"
      "validation epoch and is never overwritten by a worse one; <set>-last.pt is the last epoch (--resume)");
  tr->add_option("--set", r.set,
                 "Dataset; clrnet (CLRNet on the shapes' single-class splits) or rbae (the recurrent net of Figure 5 "
                 "on moving_shapes_large's single-shape videos)")
      ->check(CLI::IsMember({"bars", "shapes", "corners", "multi_mnist", "mnist_shape", "clrnet", "rbae"}))
      ->capture_default_str();
  folders(tr, true, false);
  tr->add_option("--epochs", r.epochs, "Epochs (0: the recipe's)")->check(non_negative());
  tr->add_option("--batch", r.batch, "Batch size (0: the recipe's)")->check(non_negative());
  tr->add_option("--lr", r.lr, "Learning rate (0: the recipe's)")->check(non_negative());
  tr->add_option("--patience", r.patience, "Early-stop patience in epochs (-1: the recipe's, 0: never)");
  tr->add_option("--limit", r.limit, "Use only the first N single-object images or videos (0: all)")
      ->check(non_negative());
  tr->add_option("--steps", r.steps, "Batches per epoch (0: all)")->check(non_negative());
  tr->add_flag("--resume", r.resume, "Continue from <nets>/<set>-last.pt");
  tr->callback([&g] {
    apply_globals(g);
    r.seed = g.seed;
    run_dasbe_train(r);
  });

  auto* tb = top->add_subcommand(
      "table",
      "Table I: AMI of the groups read out of each method's activity (k-means on the smoothed trains of the\n"
      "last 10 cycles, AMI on the labelled pixels) over the first --images images of train_multi, for each\n"
      "seed; mean and sd of the per-seed means. Methods: dasbe, pure-ann (the delay loop without spikes),\n"
      "pcnn (the pure-SNN column). Writes <out>/table1.md, table1.csv, table1-images.csv");
  tb->add_option("--sets", r.sets, "Datasets")->delimiter(',')->check(CLI::IsMember(table_sets))->capture_default_str();
  tb->add_option("--methods", r.methods, "Methods")
      ->delimiter(',')
      ->check(CLI::IsMember({"dasbe", "pure-ann", "pcnn"}))
      ->capture_default_str();
  tb->add_option("--seeds", r.seeds, "Seeds (each gives one mean)")->delimiter(',')->capture_default_str();
  tb->add_option("--images", r.images, "Images per seed")->check(positive())->capture_default_str();
  tb->add_option("--first", r.first, "Index of the first image in train_multi")->check(non_negative());
  tb->add_option("--batch", r.loop_batch, "Images run at once")->check(positive())->capture_default_str();
  tb->add_option("--cycles", r.cycles, "Cycles of the loop (0: 50, the paper's)")->check(non_negative());
  tb->add_option("--restarts", r.n_init, "k-means restarts")->check(positive())->capture_default_str();
  folders(tb, true, true);
  tb->callback([&g] {
    apply_globals(g);
    run_dasbe_table(r);
  });

  auto* sc = top->add_subcommand(
      "scores",
      "Figure 3: after every cycle, the synchrony score (Victor-Purpura silhouette, q = 1/6, of the groups\n"
      "k-means reads out), the rate score (q = 0: spike counts only) and the clustering score (Euclidean\n"
      "silhouette) on --images random images of train_multi; <out>/scores.{csv,md,png}");
  sc->add_option("--sets", r.sets, "Datasets")->delimiter(',')->check(CLI::IsMember(table_sets))->capture_default_str();
  sc->add_option("--images", r.images, "Images per set (default here 100)")->check(positive());
  sc->add_option("--cycles", r.cycles, "Cycles (0: 30, the paper's)")->check(non_negative());
  folders(sc, true, true);
  sc->callback([&g, sc] {
    apply_globals(g);
    r.seed = g.seed;
    if (!sc->get_option("--images")->count()) r.images = 100;
    run_dasbe_scores(r);
  });

  // A figure of one image or video: --index and --out default to the paper's and the figure's own.
  auto figure = [&](const char* name, const char* help, const char* index_help, const char* cycles_help, int64_t index,
                    const char* out, void (*run)(const DasbeRun&)) {
    auto* c = top->add_subcommand(name, help);
    c->add_option("--index", r.index, index_help)->check(non_negative());
    c->add_option("--cycles", r.cycles, cycles_help)->check(non_negative());
    c->add_option("--restarts", r.n_init, "k-means restarts")->check(positive())->capture_default_str();
    c->add_option("--out", r.out_file, fmt::format("Picture (PNG; default {})", out));
    folders(c, true, false);
    c->callback([&g, c, index, out, run] {
      apply_globals(g);
      r.seed = g.seed;
      if (!c->get_option("--index")->count()) r.index = index;
      if (!c->get_option("--out")->count()) r.out_file = out;
      run(r);
    });
  };
  figure("hierarchy",
         "Figure 4: binding across levels. CLRNet (train it with 'train --set clrnet') runs in the loop on one\n"
         "shapes image; the pixels are grouped by their spike timing, the code units that fired (1,600, drawn\n"
         "40x40) by theirs, each population is matched to the pixel group it fires with, and its indicator\n"
         "vector is decoded to show which shape it stands for. Writes --out, <stem>-raster.png, <stem>.md",
         "Image index in the shapes' train_multi (default 1109, the paper's)", "Cycles (0: 30, the paper's)", 1109,
         "hierarchy.png", run_dasbe_hierarchy);
  figure("track",
         "Figure 5: bind and track moving shapes. The loop runs on one video of moving_shapes_3 (shapes appear at\n"
         "frames 0, 15 and 30) with the recurrent RBAE (train it with 'train --set rbae'), one frame per cycle;\n"
         "each cycle's spikes are read out against that frame's objects. Writes --out (frames above, the groups\n"
         "below), <stem>-ami.png (AMI per cycle) and <stem>.csv",
         "Video index in train_multi (default 267, the paper's)", "Cycles = frames (0: 60, the paper's)", 267,
         "track.png", run_dasbe_track);

  auto* bd = top->add_subcommand(
      "bind",
      "Bind one image of train_multi and draw it: input, ground truth, the groups read out of the spikes,\n"
      "and each pixel's firing phase; plus a raster of the last two cycles (<out>-raster.png)");
  bd->add_option("--set", r.set, "Dataset")->check(CLI::IsMember(table_sets))->capture_default_str();
  bd->add_option("--index", r.index, "Image index in train_multi")->check(non_negative())->capture_default_str();
  bd->add_option("--method", r.method, "dasbe, pure-ann or pcnn")
      ->check(CLI::IsMember({"dasbe", "pure-ann", "pcnn"}))
      ->capture_default_str();
  bd->add_option("--cycles", r.cycles, "Cycles of the loop (0: 50)")->check(non_negative());
  bd->add_option("--out", r.out_file, "Picture (PNG)")->capture_default_str();
  folders(bd, true, false);
  bd->callback([&g] {
    apply_globals(g);
    r.seed = g.seed;
    run_dasbe_bind(r);
  });

  // Figure 2 has its own defaults (shapes, seeds 1-5, figure2.png), kept apart from bind's.
  static std::string fig_set = "shapes", fig_out = "figure2.png";
  static std::vector<uint64_t> fig_seeds = {1, 2, 3, 4, 5};
  static int64_t fig_index = -1;
  auto* f2 = top->add_subcommand(
      "figure2",
      "Figure 2: one image of train_multi bound by DASBE with each seed (the set's D and R, all cycles\n"
      "recorded), in one picture: rasters of the first and last two cycles and the per-object volleys (first\n"
      "seed), the synchrony (Victor-Purpura silhouette, q = 1/3) and rate (q = 0) scores of each cycle, the\n"
      "co-activation matrix of the last 10 cycles and each object's spike-count autocorrelation (its period),\n"
      "averaged over the seeds. Also <out stem>-phase.png (input | truth | read-out | firing phase, a row per\n"
      "seed) and <out stem>.csv (per-cycle scores, mean and sd over the seeds); prints each seed's AMI");
  f2->add_option("--set", fig_set, "Dataset")->check(CLI::IsMember(table_sets))->capture_default_str();
  f2->add_option("--index", fig_index, "Image index in train_multi (default: random among the first 6000, from --seed)")
      ->check(non_negative());
  f2->add_option("--seeds", fig_seeds, "Seeds of the loop, one run each")->delimiter(',')->capture_default_str();
  f2->add_option("--cycles", r.cycles, "Cycles of the loop (0: 30, the paper's)")->check(non_negative());
  f2->add_option("--out", fig_out, "Picture (PNG); the phase picture and the CSV go beside it")->capture_default_str();
  folders(f2, true, false);
  f2->callback([&g] {
    apply_globals(g);
    r.seed = g.seed;
    r.set = fig_set;
    r.index = fig_index;
    r.seeds = fig_seeds;
    r.out_file = fig_out;
    run_dasbe_figure2(r);
  });
}

}  // namespace hnn::cli
