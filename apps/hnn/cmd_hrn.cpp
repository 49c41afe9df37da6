// hnn hrn: the hybrid reasoning network on CLEVRER scenes.
//   ask         answer one program on one video (SNN and executor), optional spike raster
//   questions   generate template questions in CLEVRER's JSON format
//   translate   parse every program of a question file and translate it into stimuli
//   eval        agreement of the SNN with the executor per type and template
//   train-hu, robustness, latency, throughput: see cmd_hrn_experiments.cpp
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>

#include "cli_util.h"
#include "cmd_hrn.h"
#include "commands.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/data/clevrer.h"
#include "hnn/data/clevrer_questions.h"
#include "hnn/models/hrn/agreement.h"
#include "hnn/models/hrn/collision_hu.h"
#include "hnn/models/hrn/questions.h"
#include "hnn/models/hrn/reasoner.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {

using namespace hnn::models::hrn;

void add_scene_options(CLI::App* cmd, HrnCommon& c, bool clip) {
  cmd->add_option("--scenes", c.scenes,
                  "Scene file (JSON lines, plain or .gz); default: $HNN_CLEVRER_SCENES or "
                  "../shared/data/clevrer-scenes/validation-scenes.jsonl.gz");
  if (!clip) return;
  cmd->add_flag("--no-clip", c.no_clip,
                "Lift the reference's clip limits (20 events, 5 unseen / counterfactual collisions)");
  cmd->add_option("--engine", c.engine,
                  "SNN dynamics: sparse (synapses of the firing neurons) or dense (batched matmul)")
      ->check(CLI::IsMember({"sparse", "dense"}))
      ->capture_default_str();
  cmd->add_option("--max-events", c.reasoner.max_events, "Events in the normal network (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--max-unseen", c.reasoner.max_unseen, "Unseen collisions in the predictive network (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--max-counterfactual", c.reasoner.max_counterfactual,
                  "Collisions in a counterfactual network (0: all)")
      ->check(non_negative())
      ->capture_default_str();
}

std::string scenes_path(const HrnCommon& c) {
  if (!c.scenes.empty()) return c.scenes;
  std::string p = data::clevrer_scenes_default_path();
  HNN_CHECK(!p.empty(),
            "no scene file: pass --scenes PATH or set HNN_CLEVRER_SCENES (the project's copy is "
            "../shared/data/clevrer-scenes/validation-scenes.jsonl.gz)");
  return p;
}

ReasonerOptions reasoner_options(const HrnCommon& c) {
  return c.no_clip ? ReasonerOptions::no_clip() : c.reasoner;
}

BatchOptions batch_options(const HrnCommon& c) {
  BatchOptions b;
  b.engine = c.engine == "dense" ? Engine::Dense : Engine::Sparse;
  return b;
}

std::vector<data::ClevrerScene> load_scenes(const HrnCommon& c, int64_t first, int64_t limit) {
  data::ClevrerReadOptions ro;
  ro.first = first;
  ro.limit = limit;
  Timer t;
  auto scenes = data::read_clevrer_scenes(scenes_path(c), ro);
  fmt::print("read {} scenes from {} in {:.1f} s\n", scenes.size(), scenes_path(c), t.seconds());
  return scenes;
}

namespace {

struct AskOptions {
  HrnCommon common;
  int video = 10000;
  std::string program, choice, raster;
  bool all_neurons = false;
};

void run_ask(const AskOptions& o) {
  Program prog = parse_program(o.program, "--program");
  if (!o.choice.empty()) {
    Program ch = parse_program(o.choice, "--choice");
    ch.insert(ch.end(), prog.begin(), prog.end());
    prog = std::move(ch);
  }
  QuestionPlan plan = plan_question(prog);
  HNN_CHECK(plan.valid, "--program: the {} rewrite does not apply to '{}'",
            plan.kind == QuestionKind::Predictive ? "predictive" : "counterfactual", program_str(prog));
  data::ClevrerReadOptions ro;
  ro.videos = {o.video};
  auto scenes = data::read_clevrer_scenes(scenes_path(o.common), ro);
  SceneContext ctx(std::move(scenes.at(0)), reasoner_options(o.common));
  Trace tr = answer_traced(ctx, plan);
  auto exec = ctx.executor.run(prog);
  const char* kinds[] = {"normal", "predictive", "counterfactual"};
  fmt::print("video {}: {} objects, {} events ({} unseen)\n", o.video, ctx.sim.num_objects(),
             ctx.executor.events().size(), ctx.executor.unseen_events().size());
  fmt::print("program      : {}\n", program_str(prog));
  fmt::print("kind         : {}\n", kinds[(int)plan.kind]);
  if (plan.kind == QuestionKind::Counterfactual)
    fmt::print("remove       : {} -> object {}\n", program_str(plan.remove_program), tr.removed);
  fmt::print("instructions : {}\n", program_str(plan.instructions));
  fmt::print("network      : {} neurons ({} objects, {} events), T = {} steps\n", tr.net->size(),
             tr.net->layout.num_objects(), tr.net->layout.num_events(), plan.stimulus.steps);
  fmt::print("answer (SNN) : {}\n", tr.answer.empty() ? "(no answer)" : tr.answer);
  fmt::print("executor     : {}\n", exec ? *exec : "error");
  if (o.raster.empty()) return;
  // Rows: neurons that spike (or every neuron with --all-neurons), labelled by name.
  auto labels = tr.net->layout.labels();
  std::vector<int> rows;
  for (int i = 0; i < tr.net->size(); ++i) {
    bool fired = false;
    for (auto& s : tr.spikes) fired = fired || s[i] != 0;
    if (fired || o.all_neurons) rows.push_back(i);
  }
  // The program and which instruction each block of steps belongs to, drawn above the rows.
  std::vector<std::string> notes;
  auto wrap = [&notes](const std::string& head, const std::vector<std::string>& items, const char* sep) {
    std::string line = head;
    for (const auto& it : items) {
      if (line.size() + it.size() > 60 && line.size() > head.size()) notes.push_back(line), line = "    ";
      line += (line.size() > 4 && line != head ? sep : "") + it;
    }
    notes.push_back(line);
  };
  wrap("program: ", prog, " ");
  std::vector<std::string> blocks;
  int t = 0;
  for (size_t i = 0; i < plan.instructions.size(); ++i) {
    std::vector<std::string> one = {plan.instructions[i]};
    if (plan.instructions[i] == "events" && i + 1 < plan.instructions.size() && plan.instructions[i + 1] == "events")
      one.push_back("events"), ++i;
    blocks.push_back(fmt::format("t{} {}", t, program_str(one)));
    t += program_to_stimuli(one).steps - 1;
  }
  blocks.push_back(fmt::format("t{} read-out", t));
  wrap("steps: ", blocks, ", ");
  // Blank rows on top leave room for the notes.
  const size_t blank = 2 * notes.size() + 1;
  std::vector<std::vector<float>> sub(tr.spikes.size(), std::vector<float>(blank + rows.size(), 0.f));
  std::vector<std::string> names(blank, "");
  for (size_t r = 0; r < rows.size(); ++r) {
    names.push_back(labels[rows[r]]);
    for (size_t k = 0; k < tr.spikes.size(); ++k) sub[k][blank + r] = tr.spikes[k][rows[r]];
  }
  auto panel = viz::raster_panel(sub,
                                 fmt::format("video {}: SNN '{}', executor '{}' ({} neurons, T = {})", o.video,
                                             tr.answer.empty() ? "no answer" : tr.answer, exec ? *exec : "error",
                                             tr.net->size(), plan.stimulus.steps),
                                 names);
  panel.notes = notes;
  panel.xlabel = "time step";
  viz::save_png(panel, o.raster, 1200, std::max(500, 18 * (int)names.size() + 220));
  fmt::print("raster       : {} ({} neurons that spike)\n", o.raster, rows.size());
}

struct QuestionsOptions {
  HrnCommon common;
  std::string out = "hrn-questions.json";
  int64_t first = 0, limit = 0;
  QuestionOptions q;
};

void run_questions(const QuestionsOptions& o, uint64_t seed) {
  auto scenes = load_scenes(o.common, o.first, o.limit);
  QuestionOptions qo = o.q;
  std::vector<data::ClevrerVideoQuestions> out(scenes.size());
  Progress bar((int64_t)scenes.size(), "questions", "scenes");
  at::parallel_for(0, (int64_t)scenes.size(), 8, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      Simulation sim(scenes[i]);
      Executor ex(sim);
      out[i] = generate_questions(ex, qo, seed);
    }
  });
  bar.update((int64_t)scenes.size());
  bar.finish();
  std::map<std::string, std::pair<int64_t, int64_t>> per;  // template -> questions, programs
  int64_t nq = 0, np = 0;
  for (auto& v : out)
    for (auto& q : v.questions) {
      auto& x = per[q.type + " / " + q.subtype];
      int p = q.choices.empty() ? 1 : (int)q.choices.size();
      x.first += 1, x.second += p, nq += 1, np += p;
    }
  data::write_clevrer_questions(o.out, out);
  fmt::print("{:<48} {:>9} {:>9}\n", "type / template", "questions", "programs");
  for (auto& [k, v] : per) fmt::print("{:<48} {:>9} {:>9}\n", k, v.first, v.second);
  fmt::print("wrote {} questions ({} programs with choices) for {} videos to {}\n", nq, np, out.size(), o.out);
}

void run_translate(const std::vector<std::string>& files, int show) {
  for (const auto& f : files) {
    auto videos = data::read_clevrer_questions(f);
    int64_t programs = 0, steps = 0, max_steps = 0, shown = 0;
    std::map<std::string, int64_t> kinds;
    for (const auto& v : videos)
      for (const auto& q : v.questions) {
        std::string where = fmt::format("{}: video {} question {}", f, v.video, q.id);
        validate_program(q.program, where);
        const int nc = q.choices.empty() ? 1 : (int)q.choices.size();
        for (int c = 0; c < nc; ++c) {
          if (!q.choices.empty()) validate_program(q.choices[c].program, where + fmt::format(" choice {}", c));
          Program p = full_program(q, q.choices.empty() ? -1 : c);
          QuestionPlan plan = plan_question(p);
          HNN_CHECK(plan.valid && plan.stimulus.steps > 1, "{}: program '{}' does not translate", where,
                    program_str(p));
          ++programs;
          steps += plan.stimulus.steps;
          max_steps = std::max<int64_t>(max_steps, plan.stimulus.steps);
          kinds[q.type]++;
          if (shown < show) {
            fmt::print("{}\n  program      {}\n  instructions {}\n  T = {}\n", where, program_str(p),
                       program_str(plan.instructions), plan.stimulus.steps);
            ++shown;
          }
        }
      }
    std::string k;
    for (auto& [name, n] : kinds) k += fmt::format(" {} {}", name, n);
    fmt::print("{}: {} videos, {} programs parsed and translated ({}), T mean {:.1f}, max {}\n", f, videos.size(),
               programs, k.substr(1), programs ? (double)steps / programs : 0.0, max_steps);
  }
}

struct EvalOptions {
  HrnCommon common;
  int64_t first = 0, limit = 0;
  std::string questions, out = "hrn-eval", hu, split = "all";
  double hu_threshold = 0.5;
  QuestionOptions q;
};

void run_eval(const EvalOptions& o, uint64_t seed) {
  auto scenes = load_scenes(o.common, o.first, o.limit);
  if (o.split != "all") {
    Split want = o.split == "train" ? Split::Train : o.split == "val" ? Split::Val : Split::Test;
    std::vector<data::ClevrerScene> kept;
    for (auto& s : scenes)
      if (split_of(s.video) == want) kept.push_back(std::move(s));
    scenes = std::move(kept);
    fmt::print("{} split: {} scenes (video id mod 10: 0-7 train, 8 val, 9 test)\n", o.split, scenes.size());
  }
  AgreementOptions ao;
  ao.reasoner = reasoner_options(o.common);
  ao.batch = batch_options(o.common);
  ao.questions = o.q;
  ao.seed = seed;
  std::vector<data::ClevrerVideoQuestions> file;
  if (!o.questions.empty()) {
    file = data::read_clevrer_questions(o.questions);
    ao.question_file = &file;
  }
  std::vector<std::vector<PairPrediction>> preds;
  std::map<int, size_t> index;
  if (!o.hu.empty()) {
    auto hu = CollisionHu::load(o.hu);
    Timer t;
    preds = hu.predict_scenes(scenes);
    for (size_t i = 0; i < scenes.size(); ++i) index[scenes[i].video] = i;
    const double thr = o.hu_threshold;
    ao.transform = [&preds, &index, thr](const data::ClevrerScene& s) {
      return CollisionHu::with_collisions(s, preds[index.at(s.video)], thr);
    };
    fmt::print(
        "collisions from the HU {} (threshold {}), {:.1f} s for all pairs; the reference answers are the "
        "executor's on the file's events\n",
        o.hu, thr, t.seconds());
  }
  auto r = run_agreement(scenes, ao);
  std::string title = fmt::format("HRN: SNN vs executor{}{}", o.common.no_clip ? " (no clip)" : "",
                                  o.hu.empty() ? "" : " (events from the HU)");
  make_dirs(o.out);
  write_agreement(r, o.out + "/agreement", title);
  fmt::print("{}", agreement_table(r));
  for (auto& e : r.examples) fmt::print("  disagreement: {}\n", e);
  fmt::print(
      "{} scenes, {} programs in {:.1f} s ({:.1f} s in the SNN, {:.0f} programs/s); wrote "
      "{}/agreement.{{md,csv,png}}\n",
      r.scenes, r.programs, r.seconds, r.snn_seconds, r.programs / std::max(1e-9, r.snn_seconds), o.out);
}

}  // namespace

void register_hrn(CLI::App& app, Globals& g) {
  auto* hrn = app.add_subcommand("hrn", "Hybrid reasoning network on CLEVRER scenes (spiking reasoner + HUs)");
  hrn->require_subcommand(1);

  static AskOptions ask;
  auto* a = hrn->add_subcommand("ask", "Answer one program on one video with the SNN and the executor");
  add_scene_options(a, ask.common, true);
  a->add_option("--video", ask.video, "Video id (10000..14999)")->capture_default_str();
  a->add_option("--program", ask.program, "Program tokens (postfix), e.g. \"objects red filter_color count\"")
      ->required();
  a->add_option("--choice", ask.choice, "Choice program, run before --program (multiple choice)");
  a->add_option("--raster", ask.raster, "Write the spike raster of the reasoning to this PNG");
  a->add_flag("--all-neurons", ask.all_neurons, "Raster: show silent neurons too");
  a->callback([&g] {
    apply_globals(g);
    run_ask(ask);
  });

  static QuestionsOptions qs;
  auto* q = hrn->add_subcommand("questions", "Generate template questions (all four types) with executor answers");
  add_scene_options(q, qs.common, false);
  q->add_option("--out", qs.out, "Output JSON (CLEVRER's format)")->capture_default_str();
  q->add_option("--first", qs.first, "Skip this many scenes")->check(non_negative());
  q->add_option("--limit", qs.limit, "Use at most this many scenes (0: all)")->check(non_negative());
  q->add_option("--per-template", qs.q.per_template, "Questions per template and video (at most)")
      ->check(positive())
      ->capture_default_str();
  q->add_option("--max-choices", qs.q.max_choices, "Choices per multiple-choice question")
      ->check(positive())
      ->capture_default_str();
  q->add_option("--templates", qs.q.templates, "Only these templates (see docs/hrn.md)")->delimiter(',');
  q->callback([&g] {
    apply_globals(g);
    for (auto& t : qs.q.templates) HNN_CHECK(find_template(t), "--templates: unknown template '{}'", t);
    run_questions(qs, g.seed);
  });

  static std::vector<std::string> tr_files;
  static int tr_show = 0;
  auto* t = hrn->add_subcommand("translate",
                                "Parse every program of CLEVRER question files and translate it into "
                                "SNN stimuli");
  t->add_option("files", tr_files, "Question files (CLEVRER JSON)")->required()->check(CLI::ExistingFile);
  t->add_option("--show", tr_show, "Print this many translations")->check(non_negative());
  t->callback([&g] {
    apply_globals(g);
    run_translate(tr_files, tr_show);
  });

  static EvalOptions ev;
  auto* e = hrn->add_subcommand("eval", "Agreement of the SNN with the executor, per type and template");
  add_scene_options(e, ev.common, true);
  e->add_option("--first", ev.first, "Skip this many scenes")->check(non_negative());
  e->add_option("--limit", ev.limit, "Use at most this many scenes (0: all 5,000)")->check(non_negative());
  e->add_option("--questions", ev.questions, "Question file (default: generate from templates)")
      ->check(CLI::ExistingFile);
  e->add_option("--per-template", ev.q.per_template, "Generated questions per template and video")
      ->check(positive())
      ->capture_default_str();
  e->add_option("--split", ev.split, "Scenes to use: all, or the collision HU's train, val or test split")
      ->check(CLI::IsMember({"all", "train", "val", "test"}))
      ->capture_default_str();
  e->add_option("--out-dir", ev.out, "Folder for agreement.{md,csv,png}")->capture_default_str();
  e->add_option("--events-from-hu", ev.hu, "Take the collisions from this collision-HU checkpoint (train-hu)")
      ->check(CLI::ExistingFile);
  e->add_option("--hu-threshold", ev.hu_threshold, "Collision probability threshold of the HU")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  e->callback([&g] {
    apply_globals(g);
    run_eval(ev, g.seed);
  });

  register_hrn_experiments(hrn, g);
}

}  // namespace hnn::cli
