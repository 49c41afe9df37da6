#include "hnn/models/hrn/agreement.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <unordered_map>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/progress.h"
#include "hnn/core/timer.h"
#include "hnn/viz/plot.h"

namespace hnn::models::hrn {
namespace {

const std::vector<std::string> kTypes = {"descriptive", "explanatory", "predictive", "counterfactual"};

struct Counted {
  Program program;
  std::string exec;       // executor's answer on the scene the SNN sees ("" = error)
  std::string ref;        // reference answer ("" = none)
  std::string key, type;  // template (subtype, else type) and question type
  int row = 0;
  int scene = 0;
};

}  // namespace

int answer_candidates(const Program& p, int n_obj) {
  const std::string& k = p.empty() ? std::string() : p.back();
  if (k == "count") return n_obj + 1;
  if (k == "query_color") return (int)colors().size();
  if (k == "query_shape") return (int)shapes().size();
  if (k == "query_material") return (int)materials().size();
  return 2;
}

AgreementResult run_agreement(const std::vector<data::ClevrerScene>& scenes, const AgreementOptions& opt) {
  Timer total;
  AgreementResult res;
  std::unordered_map<std::string, int> row_of;
  for (const auto& t : question_templates()) {
    row_of[t.name] = (int)res.templates.size();
    AgreementRow r;
    r.type = t.type, r.name = t.name, r.divergence = t.divergence, r.snn = t.snn;
    res.templates.push_back(r);
  }
  std::unordered_map<int, const data::ClevrerVideoQuestions*> file_q;
  if (opt.question_file)
    for (const auto& v : *opt.question_file) file_q[v.video] = &v;

  BatchRunner runner(opt.batch);
  Progress bar((int64_t)scenes.size(), "agreement", "scenes");
  for (size_t c0 = 0; c0 < scenes.size(); c0 += opt.chunk_scenes) {
    const size_t c1 = std::min(scenes.size(), c0 + opt.chunk_scenes);
    const int n = (int)(c1 - c0);
    std::vector<std::unique_ptr<SceneContext>> ctx(n), ref_ctx(n);
    std::vector<std::vector<Counted>> per_scene(n);
    std::vector<data::ClevrerVideoQuestions> generated(n);
    at::parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const auto& sc = scenes[c0 + i];
        if (opt.transform) {
          ref_ctx[i] = std::make_unique<SceneContext>(sc, opt.reasoner);
          ctx[i] = std::make_unique<SceneContext>(opt.transform(sc), opt.reasoner);
        } else {
          ctx[i] = std::make_unique<SceneContext>(sc, opt.reasoner);
        }
        const Executor& truth = ref_ctx[i] ? ref_ctx[i]->executor : ctx[i]->executor;
        const data::ClevrerVideoQuestions* vq = nullptr;
        if (opt.question_file) {
          auto it = file_q.find(sc.video);
          if (it == file_q.end()) continue;
          vq = it->second;
        } else {
          generated[i] = generate_questions(truth, opt.questions, opt.seed);
          vq = &generated[i];
        }
        for (const auto& q : vq->questions) {
          const int nc = q.choices.empty() ? 1 : (int)q.choices.size();
          for (int c = 0; c < nc; ++c) {
            Counted k;
            k.program = full_program(q, q.choices.empty() ? -1 : c);
            k.exec = ctx[i]->executor.run(k.program).value_or("");
            if (opt.transform) k.ref = q.choices.empty() ? q.answer : q.choices[c].answer;
            k.key = q.subtype.empty() ? q.type : q.subtype;
            k.type = q.type;
            k.scene = (int)i;
            per_scene[i].push_back(std::move(k));
          }
        }
      }
    });
    // Rows, plans and items.
    std::vector<Counted*> counted;
    std::vector<QuestionPlan> plans;
    std::unordered_map<std::string, int> plan_of;
    std::vector<int> plan_idx;
    for (auto& list : per_scene)
      for (auto& k : list) {
        auto it = row_of.find(k.key);
        if (it == row_of.end()) {
          it = row_of.emplace(k.key, (int)res.templates.size()).first;
          AgreementRow r;
          r.type = k.type, r.name = k.key;
          res.templates.push_back(r);
        }
        k.row = it->second;
        AgreementRow& row = res.templates[k.row];
        if (k.exec.empty()) {
          ++row.exec_error;
          if (!k.ref.empty()) ++row.ref_total;  // the SNN still answers; counted below
        }
        if (!row.snn) continue;
        if (k.exec.empty() && k.ref.empty()) continue;
        std::string s = program_str(k.program);
        auto pit = plan_of.find(s);
        if (pit == plan_of.end()) {
          pit = plan_of.emplace(s, (int)plans.size()).first;
          plans.push_back(plan_question(k.program));
        }
        counted.push_back(&k);
        plan_idx.push_back(pit->second);
      }
    std::vector<AskItem> items(counted.size());
    for (size_t j = 0; j < counted.size(); ++j) items[j] = {ctx[counted[j]->scene].get(), &plans[plan_idx[j]]};
    Timer snn;
    auto answers = answer_batch(items, runner);
    res.snn_seconds += snn.seconds();
    for (size_t j = 0; j < counted.size(); ++j) {
      const Counted& k = *counted[j];
      AgreementRow& row = res.templates[k.row];
      if (!k.ref.empty()) {
        if (!k.exec.empty()) ++row.ref_total;
        row.snn_correct += answers[j] == k.ref;
        row.exec_correct += k.exec == k.ref;
        row.exec_guess_correct +=
            k.exec.empty() ? 1.0 / answer_candidates(k.program, ctx[k.scene]->sim.num_objects()) : (k.exec == k.ref);
      }
      if (k.exec.empty()) continue;
      ++row.total;
      ++res.programs;
      if (answers[j].empty()) ++row.no_answer;
      if (answers[j] == k.exec) {
        ++row.agree;
      } else if ((int)res.examples.size() < opt.max_examples) {
        res.examples.push_back(fmt::format("video {} [{}] {} -> executor '{}', SNN '{}'", scenes[c0 + k.scene].video,
                                           row.name, program_str(k.program), k.exec,
                                           answers[j].empty() ? "(no answer)" : answers[j]));
      }
    }
    // Executor-only rows still count their programs.
    for (auto& list : per_scene)
      for (auto& k : list) {
        AgreementRow& row = res.templates[k.row];
        if (row.snn || k.exec.empty()) continue;
        ++row.total;
        if (!k.ref.empty())
          ++row.ref_total, row.exec_correct += k.exec == k.ref, row.exec_guess_correct += k.exec == k.ref;
      }
    res.scenes += n;
    bar.update(n, {{"programs", (double)res.programs}});
  }
  bar.finish();
  for (const auto& t : kTypes) {
    AgreementRow r;
    r.type = t, r.name = t;
    for (const auto& row : res.templates)
      if (row.type == t && row.snn) {
        r.total += row.total, r.agree += row.agree, r.no_answer += row.no_answer, r.exec_error += row.exec_error;
        r.ref_total += row.ref_total, r.snn_correct += row.snn_correct, r.exec_correct += row.exec_correct;
        r.exec_guess_correct += row.exec_guess_correct;
      }
    res.types.push_back(r);
  }
  res.seconds = total.seconds();
  return res;
}

std::string agreement_table(const AgreementResult& r) {
  const bool with_ref = std::any_of(r.templates.begin(), r.templates.end(), [](auto& x) { return x.ref_total > 0; });
  std::string s = with_ref
                      ? "| type | template | programs | agree | agreement | no answer | executor errors | "
                        "SNN accuracy | executor accuracy | note |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
                      : "| type | template | programs | agree | agreement | no answer | executor errors | note |\n"
                        "|---|---|---:|---:|---:|---:|---:|---|\n";
  auto acc = [](int64_t a, int64_t b) { return b ? fmt::format("{:.2f}%", 100.0 * a / b) : std::string("-"); };
  auto line = [&](const AgreementRow& x, bool bold) {
    std::string b = bold ? "**" : "";
    std::string agreement = x.snn ? fmt::format("{}{:.2f}%{}", b, x.percent(), b) : "n/a";
    std::string note = x.snn ? x.divergence : x.divergence;
    s += fmt::format("| {} | {}{}{} | {} | {} | {} | {} | {} |", x.type, b, x.name, b, x.total,
                     x.snn ? std::to_string(x.agree) : "-", agreement, x.no_answer, x.exec_error);
    if (with_ref)
      s += fmt::format(" {} | {} |", x.snn ? acc(x.snn_correct, x.ref_total) : "-", acc(x.exec_correct, x.ref_total));
    s += fmt::format(" {} |\n", note);
  };
  for (const auto& x : r.templates)
    if (x.total || x.exec_error) line(x, false);
  for (const auto& x : r.types) line(x, true);
  return s;
}

void write_agreement(const AgreementResult& r, const std::string& prefix, const std::string& title) {
  std::string md =
      fmt::format("# {}\n\n{} scenes, {} programs answered by the executor, {:.1f} s ({:.1f} s in the SNN)\n\n", title,
                  r.scenes, r.programs, r.seconds, r.snn_seconds);
  md += agreement_table(r);
  if (!r.examples.empty()) {
    md += "\nDisagreements (first few):\n\n";
    for (const auto& e : r.examples) md += "- " + e + "\n";
  }
  write_file_atomically(prefix + ".md", md);
  std::string csv =
      "type,template,programs,agree,agreement_percent,no_answer,executor_errors,ref_total,snn_correct,exec_correct\n";
  for (const auto* list : {&r.templates, &r.types})
    for (const auto& x : *list)
      csv += fmt::format("{},{},{},{},{:.4f},{},{},{},{},{}\n", x.type, x.name, x.total, x.agree, x.percent(),
                         x.no_answer, x.exec_error, x.ref_total, x.snn_correct, x.exec_correct);
  write_file_atomically(prefix + ".csv", csv);

  // Horizontal bars (drawn as thick lines) with template names as row labels.
  viz::Panel p;
  p.title = title;
  p.xlabel = "agreement of the SNN with the executor (%)";
  std::vector<const AgreementRow*> rows;
  for (const auto& x : r.templates)
    if (x.total && x.snn) rows.push_back(&x);
  for (const auto& x : r.types)
    if (x.total) rows.push_back(&x);
  double lo = 100;
  for (auto* x : rows) lo = std::min(lo, x->percent());
  lo = std::max(0.0, std::floor(lo / 5) * 5 - 5);
  const int colour_of_type[4] = {0, 1, 2, 3};
  for (size_t i = 0; i < rows.size(); ++i) {
    p.row_labels.push_back(fmt::format("{} ({:.1f}%)", rows[i]->name, rows[i]->percent()));
    int ti = (int)(std::find(kTypes.begin(), kTypes.end(), rows[i]->type) - kTypes.begin());
    for (double dy = -0.3; dy <= 0.3001; dy += 0.05) {
      viz::Series s;
      s.x = {lo, rows[i]->percent()};
      s.y = {(double)i + dy, (double)i + dy};
      s.color = ti < 4 ? colour_of_type[ti] : 7;
      p.series.push_back(s);
    }
  }
  p.xmin = lo;
  p.xmax = 100.5;
  p.title = fmt::format(
      "{}: {} scenes, {} programs (blue descriptive, orange explanatory, green predictive, pink "
      "counterfactual)",
      title, r.scenes, r.programs);
  viz::save_png(p, prefix + ".png", 1100, std::max(500, 26 * (int)rows.size() + 160));
}

}  // namespace hnn::models::hrn
