#include "hnn/models/hrn/experiments.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "hnn/core/fs.h"
#include "hnn/core/plot.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/models/hrn/agreement.h"

namespace hnn::models::hrn {
namespace {

const char* const kTypes[4] = {"descriptive", "explanatory", "predictive", "counterfactual"};

double pct(double a, double b) { return b > 0 ? 100.0 * a / b : 0.0; }

std::set<std::pair<int, int>> pairs_of(const std::vector<data::ClevrerCollision>& cs) {
  std::set<std::pair<int, int>> s;
  for (const auto& c : cs) s.insert({std::min(c.a, c.b), std::max(c.a, c.b)});
  return s;
}

// Executor-answered programs of generated questions, per scene.
std::vector<Program> scene_programs(const Executor& ex, const QuestionOptions& qo, uint64_t seed, int64_t* questions) {
  auto vq = generate_questions(ex, qo, seed);
  std::vector<Program> out;
  for (const auto& q : vq.questions) {
    if (!find_template(q.subtype) || !find_template(q.subtype)->snn) continue;
    if (questions) ++*questions;
    if (q.choices.empty()) out.push_back(q.program);
    for (int c = 0; c < (int)q.choices.size(); ++c) out.push_back(full_program(q, c));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
std::vector<RobustnessRow> run_robustness(const std::vector<data::ClevrerScene>& scenes, CollisionHu& hu,
                                          const RobustnessOptions& opt) {
  auto preds = hu.predict_scenes(scenes);
  std::unordered_map<int, size_t> index;
  for (size_t i = 0; i < scenes.size(); ++i) index[scenes[i].video] = i;
  std::vector<RobustnessRow> rows;
  for (double thr : opt.thresholds) {
    RobustnessRow row;
    row.threshold = thr;
    double fe = 0, me = 0;
    for (size_t i = 0; i < scenes.size(); ++i) {
      auto truth = pairs_of(scenes[i].collisions);
      std::set<std::pair<int, int>> det;
      for (const auto& p : preds[i])
        if (p.prob >= thr) det.insert({p.a, p.b});
      for (const auto& d : det) fe += !truth.count(d);
      for (const auto& t : truth) me += !det.count(t);
    }
    row.false_events = fe / std::max<size_t>(1, scenes.size());
    row.missed_events = me / std::max<size_t>(1, scenes.size());
    AgreementOptions ao;
    ao.reasoner = opt.reasoner;
    ao.batch = opt.batch;
    ao.questions = opt.questions;
    ao.seed = opt.seed;
    ao.transform = [&, thr](const data::ClevrerScene& s) {
      return CollisionHu::with_collisions(s, preds[index.at(s.video)], thr);
    };
    auto r = run_agreement(scenes, ao);
    double ref = 0, snn = 0, ex = 0, gu = 0;
    for (int t = 0; t < 4; ++t) {
      const auto& x = r.types[t];
      row.type_hrn[t] = pct(x.snn_correct, x.ref_total);
      row.type_exec[t] = pct(x.exec_correct, x.ref_total);
      row.type_guess[t] = pct(x.exec_guess_correct, x.ref_total);
      ref += x.ref_total, snn += x.snn_correct, ex += x.exec_correct, gu += x.exec_guess_correct;
    }
    row.programs = (int64_t)ref;
    row.hrn = pct(snn, ref), row.executor = pct(ex, ref), row.guess = pct(gu, ref);
    fmt::print("threshold {:<6} false events/video {:.2f}, missed {:.2f}: HRN {:.2f}%, executor {:.2f}%, executor + "
               "guess {:.2f}%\n",
               thr, row.false_events, row.missed_events, row.hrn, row.executor, row.guess);
    rows.push_back(row);
  }
  return rows;
}

std::string robustness_table(const std::vector<RobustnessRow>& rows) {
  std::string s =
      "| HU threshold | false events / video | missed events / video | programs | HRN | executor | executor + guess | "
      "HRN (desc / expl / pred / cf) | executor (desc / expl / pred / cf) |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---|---|\n";
  for (const auto& r : rows)
    s += fmt::format("| {} | {:.2f} | {:.2f} | {} | {:.2f}% | {:.2f}% | {:.2f}% | {:.1f} / {:.1f} / {:.1f} / {:.1f} | "
                     "{:.1f} / {:.1f} / {:.1f} / {:.1f} |\n",
                     r.threshold, r.false_events, r.missed_events, r.programs, r.hrn, r.executor, r.guess,
                     r.type_hrn[0], r.type_hrn[1], r.type_hrn[2], r.type_hrn[3], r.type_exec[0], r.type_exec[1],
                     r.type_exec[2], r.type_exec[3]);
  return s;
}

void write_robustness(const std::vector<RobustnessRow>& rows, const std::string& prefix, const std::string& note) {
  write_file_atomically(prefix + ".md", "# HRN robustness to false collision events\n\n" + note + "\n\n" +
                                            robustness_table(rows));
  std::string csv = "threshold,false_events,missed_events,programs,hrn,executor,executor_guess\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{:.4f},{:.4f},{},{:.4f},{:.4f},{:.4f}\n", r.threshold, r.false_events, r.missed_events,
                       r.programs, r.hrn, r.executor, r.guess);
  write_file_atomically(prefix + ".csv", csv);
  plot::Figure fig;
  fig.columns = 2;
  fig.width = 1400;
  fig.height = 560;
  plot::Panel all;
  all.title = "accuracy vs false collision events (HU threshold relaxed)";
  all.xlabel = "false collision events per video";
  all.ylabel = "accuracy (%)";
  plot::Series h{{}, {}, "HRN (SNN)", plot::Style::LinePoints, 0}, e{{}, {}, "executor", plot::Style::LinePoints, 1},
      g{{}, {}, "executor + random guess on error", plot::Style::LinePoints, 2};
  for (const auto& r : rows) {
    h.x.push_back(r.false_events), h.y.push_back(r.hrn);
    e.x.push_back(r.false_events), e.y.push_back(r.executor);
    g.x.push_back(r.false_events), g.y.push_back(r.guess);
  }
  all.series = {h, e, g};
  all.ymin = 0;
  all.ymax = 105;
  plot::Panel types;
  types.title = "per question type: HRN (solid) and executor (dashed points)";
  types.xlabel = "false collision events per video";
  types.ylabel = "accuracy (%)";
  for (int t = 0; t < 4; ++t) {
    plot::Series sh{{}, {}, std::string(kTypes[t]) + " HRN", plot::Style::LinePoints, t},
        se{{}, {}, "", plot::Style::Points, t};
    for (const auto& r : rows) {
      sh.x.push_back(r.false_events), sh.y.push_back(r.type_hrn[t]);
      se.x.push_back(r.false_events), se.y.push_back(r.type_exec[t]);
    }
    types.series.push_back(sh);
    types.series.push_back(se);
  }
  types.ymin = 0;
  types.ymax = 105;
  fig.panels = {all, types};
  plot::save_png(fig, prefix + ".png");
}

// ---------------------------------------------------------------------------------------------
std::vector<LatencyRow> run_latency(const std::vector<data::ClevrerScene>& scenes, const LatencyOptions& opt) {
  // Pick up to max_scenes_per_group scenes per object count and per event count.
  std::map<int, std::vector<size_t>> by_obj, by_ev;
  std::vector<int> n_ev(scenes.size());
  for (size_t i = 0; i < scenes.size(); ++i) {
    Simulation sim(scenes[i]);
    Executor ex(sim);
    int e = opt.reasoner.max_events > 0 ? std::min<int>(opt.reasoner.max_events, (int)ex.events().size())
                                        : (int)ex.events().size();
    n_ev[i] = e;
    auto& a = by_obj[(int)scenes[i].objects.size()];
    if ((int)a.size() < opt.max_scenes_per_group) a.push_back(i);
    auto& b = by_ev[e];
    if ((int)b.size() < opt.max_scenes_per_group) b.push_back(i);
  }
  struct SceneTiming {
    int64_t programs = 0;
    double snn_us = 0, exec_us = 0, build_us = 0, neurons = 0, steps = 0;
  };
  std::map<size_t, SceneTiming> timing;
  std::set<size_t> chosen;
  for (auto& [k, v] : by_obj) chosen.insert(v.begin(), v.end());
  for (auto& [k, v] : by_ev) chosen.insert(v.begin(), v.end());
  BatchRunner runner(opt.batch);
  Progress bar((int64_t)chosen.size(), "latency", "scenes");
  for (size_t i : chosen) {
    SceneContext ctx(scenes[i], opt.reasoner);
    auto programs = scene_programs(ctx.executor, opt.questions, opt.seed, nullptr);
    SceneTiming st;
    st.programs = (int64_t)programs.size();
    if (programs.empty()) {
      bar.update(1);
      continue;
    }
    std::vector<QuestionPlan> plans;
    // One question at a time: translate, run (two runs for counterfactual), read out.
    auto answer_all = [&] {
      for (const auto& p : programs) {
        QuestionPlan plan = plan_question(p);
        AskItem item{&ctx, &plan};
        auto a = answer_batch({item}, runner);
        (void)a;
      }
    };
    answer_all();  // builds the networks (timed separately below)
    auto t_snn = time_median(answer_all, 0, opt.repeats);
    auto t_exec = time_median([&] {
      for (const auto& p : programs) (void)ctx.executor.run(p);
    }, 1, opt.repeats);
    auto t_build = time_median([&] {
      auto net = build_network(scenes[i].objects, scene_sequence(ctx.executor, opt.reasoner.max_events));
      (void)net;
    }, 1, opt.repeats);
    st.snn_us = 1e6 * t_snn.median_s / programs.size();
    st.exec_us = 1e6 * t_exec.median_s / programs.size();
    st.build_us = 1e6 * t_build.median_s;
    st.neurons = ctx.networks.normal().size();
    double steps = 0;
    for (const auto& p : programs) steps += plan_question(p).stimulus.steps;
    st.steps = steps / programs.size();
    timing[i] = st;
    bar.update(1);
  }
  bar.finish();
  std::vector<LatencyRow> rows;
  for (int pass = 0; pass < 2; ++pass) {
    const auto& groups = pass == 0 ? by_obj : by_ev;
    for (const auto& [value, idx] : groups) {
      LatencyRow r;
      r.by = pass == 0 ? "objects" : "events";
      r.value = value;
      std::vector<double> snn, exec, build;
      double neurons = 0, steps = 0;
      for (size_t i : idx) {
        const auto& st = timing[i];
        if (!st.programs) continue;
        ++r.scenes;
        r.programs += st.programs;
        snn.push_back(st.snn_us), exec.push_back(st.exec_us), build.push_back(st.build_us);
        neurons += st.neurons, steps += st.steps;
      }
      if (!r.scenes) continue;
      r.snn_us = median(snn), r.exec_us = median(exec), r.build_us = median(build);
      r.neurons = neurons / r.scenes, r.steps = steps / r.scenes;
      rows.push_back(r);
    }
  }
  return rows;
}

std::string latency_table(const std::vector<LatencyRow>& rows) {
  std::string s =
      "| by | value | scenes | programs | neurons | time steps T | SNN latency (us/question) | executor (us/question) | "
      "network build (us) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows)
    s += fmt::format("| {} | {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |\n", r.by, r.value, r.scenes,
                     r.programs, r.neurons, r.steps, r.snn_us, r.exec_us, r.build_us);
  return s;
}

void write_latency(const std::vector<LatencyRow>& rows, const std::string& prefix) {
  write_file_atomically(prefix + ".md", "# HRN latency and network size\n\nOne question at a time, one thread; "
                                        "medians over scenes.\n\n" + latency_table(rows));
  std::string csv = "by,value,scenes,programs,neurons,steps,snn_us,exec_us,build_us\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{},{},{},{:.2f},{:.2f},{:.3f},{:.3f},{:.3f}\n", r.by, r.value, r.scenes, r.programs,
                       r.neurons, r.steps, r.snn_us, r.exec_us, r.build_us);
  write_file_atomically(prefix + ".csv", csv);
  plot::Figure fig;
  fig.columns = 2;
  fig.width = 1400;
  fig.height = 1000;
  for (const char* by : {"objects", "events"}) {
    plot::Panel lat, size;
    lat.title = fmt::format("latency per question vs number of {}", by);
    lat.xlabel = fmt::format("{} in the scene", by);
    lat.ylabel = "microseconds per question";
    size.title = fmt::format("network size and time steps vs number of {}", by);
    size.xlabel = lat.xlabel;
    size.ylabel = "count";
    plot::Series snn{{}, {}, "SNN (CPU, one question at a time)", plot::Style::LinePoints, 0},
        ex{{}, {}, "symbolic executor", plot::Style::LinePoints, 1},
        neu{{}, {}, "neurons", plot::Style::LinePoints, 2}, st{{}, {}, "time steps T (mean)", plot::Style::LinePoints, 3};
    for (const auto& r : rows) {
      if (r.by != by) continue;
      snn.x.push_back(r.value), snn.y.push_back(r.snn_us);
      ex.x.push_back(r.value), ex.y.push_back(r.exec_us);
      neu.x.push_back(r.value), neu.y.push_back(r.neurons);
      st.x.push_back(r.value), st.y.push_back(r.steps);
    }
    lat.series = {snn, ex};
    lat.ymin = 0;
    size.series = {neu, st};
    size.ymin = 0;
    fig.panels.push_back(lat);
    fig.panels.push_back(size);
  }
  plot::save_png(fig, prefix + ".png");
}

// ---------------------------------------------------------------------------------------------
std::vector<ThroughputRow> run_throughput(const std::vector<data::ClevrerScene>& scenes,
                                          const ThroughputOptions& opt) {
  // Questions are generated (and answered by the executor) once, outside the timing.
  std::vector<std::vector<Program>> programs(scenes.size());
  int64_t n_questions = 0, n_programs = 0;
  {
    std::vector<int64_t> nq(scenes.size(), 0);
    at::parallel_for(0, (int64_t)scenes.size(), 8, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        Simulation sim(scenes[i]);
        Executor ex(sim);
        programs[i] = scene_programs(ex, opt.questions, opt.seed, &nq[i]);
      }
    });
    for (size_t i = 0; i < scenes.size(); ++i) n_questions += nq[i], n_programs += (int64_t)programs[i].size();
  }
  std::vector<ThroughputRow> rows;
  for (int bs : opt.batch_scenes) {
    ThroughputRow r;
    r.scenes_per_batch = bs;
    r.programs = n_programs, r.questions = n_questions;
    double dyn = 0, tot = 0;
    BatchRunner runner(opt.batch);
    auto once = [&] {
      Timer all;
      double d = 0;
      for (size_t c0 = 0; c0 < scenes.size(); c0 += bs) {
        const size_t c1 = std::min(scenes.size(), c0 + (size_t)bs);
        std::vector<std::unique_ptr<SceneContext>> ctx;
        std::vector<QuestionPlan> plans;
        size_t count = 0;
        for (size_t i = c0; i < c1; ++i) count += programs[i].size();
        plans.reserve(count);
        std::vector<AskItem> items;
        items.reserve(count);
        for (size_t i = c0; i < c1; ++i) {
          ctx.push_back(std::make_unique<SceneContext>(scenes[i], opt.reasoner));
          for (const auto& p : programs[i]) {
            plans.push_back(plan_question(p));
            items.push_back({ctx.back().get(), &plans.back()});
          }
        }
        Timer t;
        auto answers = answer_batch(items, runner);
        d += t.seconds();
      }
      dyn = d, tot = all.seconds();
    };
    std::vector<double> shares;
    auto stats = time_median([&] {
      once();
      shares.push_back(dyn / tot);
    }, 1, opt.repeats);
    r.seconds = stats.median_s;
    r.dynamics_share = median(shares);
    r.programs_per_s = n_programs / r.seconds;
    r.questions_per_s = n_questions / r.seconds;
    fmt::print("{} scenes per batch: {:.3f} s for {} programs ({} questions): {:.0f} programs/s, {:.0f} questions/s\n",
               bs, r.seconds, n_programs, n_questions, r.programs_per_s, r.questions_per_s);
    rows.push_back(r);
  }
  return rows;
}

std::string throughput_table(const std::vector<ThroughputRow>& rows) {
  std::string s = "| scenes per batch | programs | questions | seconds | programs/s | questions/s | share in answer_batch |\n"
                  "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows)
    s += fmt::format("| {} | {} | {} | {:.3f} | {:.0f} | {:.0f} | {:.0f}% |\n", r.scenes_per_batch, r.programs,
                     r.questions, r.seconds, r.programs_per_s, r.questions_per_s, 100 * r.dynamics_share);
  return s;
}

void write_throughput(const std::vector<ThroughputRow>& rows, const std::string& prefix, const std::string& note) {
  write_file_atomically(prefix + ".md", "# HRN throughput\n\n" + note + "\n\n" + throughput_table(rows));
  std::string csv = "scenes_per_batch,programs,questions,seconds,programs_per_s,questions_per_s\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{},{},{:.6f},{:.1f},{:.1f}\n", r.scenes_per_batch, r.programs, r.questions, r.seconds,
                       r.programs_per_s, r.questions_per_s);
  write_file_atomically(prefix + ".csv", csv);
  plot::Panel p;
  p.title = "HRN throughput on one CPU core (batched)";
  p.xlabel = "scenes per batch";
  p.ylabel = "per second";
  p.log_x = true;
  plot::Series a{{}, {}, "programs (each choice counted)", plot::Style::LinePoints, 0},
      b{{}, {}, "questions", plot::Style::LinePoints, 1}, t{{}, {}, "target 10,000/s", plot::Style::Line, 7};
  for (const auto& r : rows) {
    a.x.push_back(r.scenes_per_batch), a.y.push_back(r.programs_per_s);
    b.x.push_back(r.scenes_per_batch), b.y.push_back(r.questions_per_s);
  }
  if (!rows.empty()) t.x = {(double)rows.front().scenes_per_batch, (double)rows.back().scenes_per_batch}, t.y = {1e4, 1e4};
  p.series = {a, b, t};
  p.ymin = 0;
  p.notes = {note};
  plot::save_png(p, prefix + ".png", 1000, 600);
}

}  // namespace hnn::models::hrn
