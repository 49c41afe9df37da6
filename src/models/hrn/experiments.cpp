#include "hnn/models/hrn/experiments.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/models/hrn/agreement.h"
#include "hnn/viz/plot.h"

namespace hnn::models::hrn {
namespace {

const char* const kTypes[4] = {"descriptive", "explanatory", "predictive", "counterfactual"};

double pct(double a, double b) {
  return b > 0 ? 100.0 * a / b : 0.0;
}

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
    spdlog::info(
        "threshold {:<6} false events/video {:.2f}, missed {:.2f}: HRN {:.2f}%, executor {:.2f}%, executor + "
        "guess {:.2f}%",
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
    s += fmt::format(
        "| {} | {:.2f} | {:.2f} | {} | {:.2f}% | {:.2f}% | {:.2f}% | {:.1f} / {:.1f} / {:.1f} / {:.1f} | "
        "{:.1f} / {:.1f} / {:.1f} / {:.1f} |\n",
        r.threshold, r.false_events, r.missed_events, r.programs, r.hrn, r.executor, r.guess, r.type_hrn[0],
        r.type_hrn[1], r.type_hrn[2], r.type_hrn[3], r.type_exec[0], r.type_exec[1], r.type_exec[2], r.type_exec[3]);
  return s;
}

void write_robustness(const std::vector<RobustnessRow>& rows, const std::string& prefix, const std::string& note) {
  write_file_atomically(prefix + ".md",
                        "# HRN robustness to false collision events\n\n" + note + "\n\n" + robustness_table(rows));
  std::string csv = "threshold,false_events,missed_events,programs,hrn,executor,executor_guess\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{:.4f},{:.4f},{},{:.4f},{:.4f},{:.4f}\n", r.threshold, r.false_events, r.missed_events,
                       r.programs, r.hrn, r.executor, r.guess);
  write_file_atomically(prefix + ".csv", csv);
  // Accuracy panels: all questions, then one per type; y range from the data with room for the
  // legend above the curves.
  auto panel = [&](const std::string& title, bool legend, auto hrn, auto exec, auto guess) {
    viz::Panel p;
    p.title = title;
    p.xlabel = "false collision events per video";
    p.ylabel = "accuracy (%)";
    viz::Series h{{}, {}, "HRN (SNN)", viz::Style::LinePoints, 0}, e{{}, {}, "executor", viz::Style::LinePoints, 1},
        g{{}, {}, "executor + guess on error", viz::Style::LinePoints, 2};
    double lo = 100, hi = 0;
    for (const auto& r : rows) {
      h.x.push_back(r.false_events), h.y.push_back(hrn(r));
      e.x.push_back(r.false_events), e.y.push_back(exec(r));
      g.x.push_back(r.false_events), g.y.push_back(guess(r));
      for (double v : {hrn(r), exec(r), guess(r)}) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!legend) h.label = e.label = g.label = "";
    p.series = {h, e, g};
    p.ymin = std::floor(lo - 1);
    p.ymax = legend ? hi + 1.2 * (hi - p.ymin) + 0.5 : std::min(100.5, hi + 1);
    return p;
  };
  viz::Figure fig;
  fig.columns = 3;
  fig.width = 1500;
  fig.height = 900;
  fig.panels.push_back(panel(
      "all question types", true, [](const RobustnessRow& r) { return r.hrn; },
      [](const RobustnessRow& r) { return r.executor; }, [](const RobustnessRow& r) { return r.guess; }));
  for (int t = 0; t < 4; ++t)
    fig.panels.push_back(panel(
        std::string(kTypes[t]) + " (colours as left)", false, [t](const RobustnessRow& r) { return r.type_hrn[t]; },
        [t](const RobustnessRow& r) { return r.type_exec[t]; },
        [t](const RobustnessRow& r) { return r.type_guess[t]; }));
  viz::Panel ev;
  ev.title = "HU detections vs threshold";
  ev.xlabel = "collision threshold of the HU";
  ev.ylabel = "pairs per video";
  ev.log_x = true;
  viz::Series fe{{}, {}, "false collisions", viz::Style::LinePoints, 0},
      me{{}, {}, "missed collisions", viz::Style::LinePoints, 1};
  for (const auto& r : rows) {
    fe.x.push_back(r.threshold), fe.y.push_back(r.false_events);
    me.x.push_back(r.threshold), me.y.push_back(r.missed_events);
  }
  ev.series = {fe, me};
  ev.ymin = 0;
  fig.panels.push_back(ev);
  viz::save_png(fig, prefix + ".png");
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
    auto t_exec = time_median(
        [&] {
          for (const auto& p : programs) (void)ctx.executor.run(p);
        },
        1, opt.repeats);
    auto t_build = time_median(
        [&] {
          auto net = build_network(scenes[i].objects, scene_sequence(ctx.executor, opt.reasoner.max_events));
          (void)net;
        },
        1, opt.repeats);
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
      "| by | value | scenes | programs | neurons | time steps T | SNN latency (us/question) | executor (us/question) "
      "| "
      "network build (us) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows)
    s += fmt::format("| {} | {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |\n", r.by, r.value, r.scenes,
                     r.programs, r.neurons, r.steps, r.snn_us, r.exec_us, r.build_us);
  return s;
}

void write_latency(const std::vector<LatencyRow>& rows, const std::string& prefix) {
  write_file_atomically(prefix + ".md",
                        "# HRN latency and network size\n\nOne question at a time, one thread; "
                        "medians over scenes.\n\n" +
                            latency_table(rows));
  std::string csv = "by,value,scenes,programs,neurons,steps,snn_us,exec_us,build_us\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{},{},{},{:.2f},{:.2f},{:.3f},{:.3f},{:.3f}\n", r.by, r.value, r.scenes, r.programs,
                       r.neurons, r.steps, r.snn_us, r.exec_us, r.build_us);
  write_file_atomically(prefix + ".csv", csv);
  viz::Figure fig;
  fig.columns = 3;
  fig.width = 1650;
  fig.height = 1000;
  for (const char* by : {"objects", "events"}) {
    viz::Panel lat, rel, size;
    lat.title = fmt::format("latency per question vs {}", by);
    lat.xlabel = rel.xlabel = size.xlabel = fmt::format("{} in the scene", by);
    lat.ylabel = "microseconds per question (one thread)";
    rel.title =
        fmt::format("growth relative to the fewest {}", std::string(by) == "objects" ? "(3) objects" : "events");
    rel.ylabel = "relative latency";
    size.title = fmt::format("network size vs {}", by);
    size.ylabel = "count";
    viz::Series snn{{}, {}, "SNN on the CPU", viz::Style::LinePoints, 0},
        ex{{}, {}, "symbolic executor", viz::Style::LinePoints, 1}, neu{{}, {}, "neurons", viz::Style::LinePoints, 2},
        st{{}, {}, "time steps T (mean)", viz::Style::LinePoints, 3},
        rs{{}, {}, "SNN CPU time", viz::Style::LinePoints, 0}, rt{{}, {}, "SNN time steps", viz::Style::LinePoints, 3},
        target{{}, {}, "target 1.5x", viz::Style::Line, 7};
    const LatencyRow* base = nullptr;
    for (const auto& r : rows)
      if (r.by == by && (!base || (std::string(by) == "objects" ? r.value == 3 : r.value < base->value))) base = &r;
    double top = 0, top_rel = 1.6;
    for (const auto& r : rows) {
      if (r.by != by) continue;
      snn.x.push_back(r.value), snn.y.push_back(r.snn_us);
      ex.x.push_back(r.value), ex.y.push_back(r.exec_us);
      neu.x.push_back(r.value), neu.y.push_back(r.neurons);
      st.x.push_back(r.value), st.y.push_back(r.steps);
      top = std::max({top, r.snn_us, r.exec_us});
      if (base && r.value >= base->value) {
        rs.x.push_back(r.value), rs.y.push_back(r.snn_us / base->snn_us);
        rt.x.push_back(r.value), rt.y.push_back(r.steps / base->steps);
        top_rel = std::max(top_rel, r.snn_us / base->snn_us);
      }
    }
    if (!rs.x.empty()) target.x = {rs.x.front(), rs.x.back()}, target.y = {1.5, 1.5};
    lat.series = {snn, ex};
    lat.ymin = 0;
    lat.ymax = top * 1.45;
    rel.series = {rs, rt, target};
    rel.ymin = 0.8;
    rel.ymax = 0.8 + (top_rel - 0.8) * 1.5;
    size.series = {neu, st};
    size.ymin = 0;
    double nmax = 0;
    for (double v : neu.y) nmax = std::max(nmax, v);
    size.ymax = nmax * 1.45;
    fig.panels.push_back(lat);
    fig.panels.push_back(rel);
    fig.panels.push_back(size);
  }
  viz::save_png(fig, prefix + ".png");
}

// ---------------------------------------------------------------------------------------------
std::vector<ThroughputRow> run_throughput(const std::vector<data::ClevrerScene>& scenes, const ThroughputOptions& opt) {
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
  const size_t bs = std::max(1, opt.scenes_per_batch);
  for (const auto& engine : opt.engines)
    for (int cols : opt.columns) {
      ThroughputRow r;
      r.engine = engine;
      r.columns = cols;
      r.programs = n_programs, r.questions = n_questions;
      BatchOptions bo;
      bo.engine = engine == "dense" ? Engine::Dense : Engine::Sparse;
      bo.max_columns = cols;
      BatchRunner runner(bo);
      double dyn = 0, tot = 0;
      auto once = [&] {
        Timer all;
        double d = 0;
        for (size_t c0 = 0; c0 < scenes.size(); c0 += bs) {
          const size_t c1 = std::min(scenes.size(), c0 + bs);
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
      auto stats = time_median(
          [&] {
            once();
            shares.push_back(dyn / tot);
          },
          1, opt.repeats);
      r.seconds = stats.median_s;
      r.dynamics_share = median(shares);
      r.programs_per_s = n_programs / r.seconds;
      r.questions_per_s = n_questions / r.seconds;
      spdlog::info(
          "{} engine, {} questions per network: {:.3f} s for {} programs ({} questions): {:.0f} programs/s, "
          "{:.0f} questions/s",
          engine, cols, r.seconds, n_programs, n_questions, r.programs_per_s, r.questions_per_s);
      rows.push_back(r);
    }
  return rows;
}

std::string throughput_table(const std::vector<ThroughputRow>& rows) {
  std::string s =
      "| engine | questions per network | programs | questions | seconds | programs/s | questions/s | "
      "share in answer_batch |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows)
    s += fmt::format("| {} | {} | {} | {} | {:.3f} | {:.0f} | {:.0f} | {:.0f}% |\n", r.engine, r.columns, r.programs,
                     r.questions, r.seconds, r.programs_per_s, r.questions_per_s, 100 * r.dynamics_share);
  return s;
}

void write_throughput(const std::vector<ThroughputRow>& rows, const std::string& prefix, const std::string& note) {
  write_file_atomically(prefix + ".md", "# HRN throughput\n\n" + note + "\n\n" + throughput_table(rows));
  std::string csv = "engine,columns,programs,questions,seconds,programs_per_s,questions_per_s\n";
  for (const auto& r : rows)
    csv += fmt::format("{},{},{},{},{:.6f},{:.1f},{:.1f}\n", r.engine, r.columns, r.programs, r.questions, r.seconds,
                       r.programs_per_s, r.questions_per_s);
  write_file_atomically(prefix + ".csv", csv);
  viz::Panel p;
  p.title = "HRN throughput on one CPU core";
  p.xlabel = "questions batched per network (columns of the state tensor)";
  p.ylabel = "questions per second";
  p.log_x = true;
  p.log_y = true;
  std::vector<std::string> engines;
  for (const auto& r : rows)
    if (std::find(engines.begin(), engines.end(), r.engine) == engines.end()) engines.push_back(r.engine);
  int colour = 0;
  double lo_x = 1, hi_x = 1;
  for (const auto& e : engines) {
    viz::Series q{{}, {}, e + " engine: questions/s", viz::Style::LinePoints, colour},
        pr{{}, {}, e + " engine: programs/s (choices counted)", viz::Style::Points, colour};
    for (const auto& r : rows)
      if (r.engine == e) {
        q.x.push_back(r.columns), q.y.push_back(r.questions_per_s);
        pr.x.push_back(r.columns), pr.y.push_back(r.programs_per_s);
        hi_x = std::max(hi_x, (double)r.columns);
      }
    p.series.push_back(q);
    p.series.push_back(pr);
    ++colour;
  }
  p.series.push_back({{lo_x, hi_x}, {1e4, 1e4}, "target: 10,000 questions/s", viz::Style::Line, 7});
  viz::save_png(p, prefix + ".png", 1000, 650);
}

}  // namespace hnn::models::hrn
