#include <gtest/gtest.h>

#include <set>

#include "hnn/data/clevrer_questions.h"
#include "hnn/models/hrn/agreement.h"
#include "hnn/models/hrn/questions.h"
#include "hrn_fixtures.h"
#include "test_util.h"

using namespace hnn::models::hrn;

TEST(HrnQuestions, GeneratedQuestionsCoverEveryModuleAndType) {
  auto scene = hnn_test::toy_scene();
  Simulation sim(scene);
  Executor ex(sim);
  QuestionOptions qo;
  qo.per_template = 20;
  auto a = generate_questions(ex, qo, 1), b = generate_questions(ex, qo, 1);
  ASSERT_EQ(a.questions.size(), b.questions.size());  // deterministic
  std::set<std::string> tokens, types, subtypes;
  for (size_t i = 0; i < a.questions.size(); ++i) {
    const auto& q = a.questions[i];
    EXPECT_EQ(q.program, b.questions[i].program);
    types.insert(q.type);
    subtypes.insert(q.subtype);
    tokens.insert(q.program.begin(), q.program.end());
    if (q.choices.empty()) {
      EXPECT_EQ(ex.run(q.program).value_or("error"), q.answer) << program_str(q.program);
    }
    for (int c = 0; c < (int)q.choices.size(); ++c) {
      tokens.insert(q.choices[c].program.begin(), q.choices[c].program.end());
      EXPECT_EQ(ex.run(full_program(q, c)).value_or("error"), q.choices[c].answer);
    }
  }
  EXPECT_EQ(types.size(), 4u);
  for (const auto& m : module_names()) EXPECT_TRUE(tokens.count(m)) << "module not covered: " << m;
  EXPECT_GT(subtypes.size(), 20u);
}

TEST(HrnQuestions, RealQuestionFilesTranslate) {
  HNN_REQUIRE_DATA("clevrer-questions/train-orig-small.json", train);
  for (const std::string& path : {train, hnn::shared_data_path("clevrer-questions/valid-orig-small.json")}) {
    int64_t programs = 0;
    for (const auto& v : hnn::data::read_clevrer_questions(path))
      for (const auto& q : v.questions) {
        validate_program(q.program, path);
        for (int c = 0; c < (int)q.choices.size(); ++c) {
          auto plan = plan_question(full_program(q, c));
          EXPECT_TRUE(plan.valid);
          EXPECT_GT(plan.stimulus.steps, 10);
          ++programs;
        }
      }
    EXPECT_EQ(programs, 2256);
  }
}

TEST(HrnAgreement, RealScenes) {
  HNN_REQUIRE_DATA("clevrer-scenes/validation-scenes.jsonl.gz", path);
  hnn::data::ClevrerReadOptions ro;
  ro.limit = 50;
  auto scenes = hnn::data::read_clevrer_scenes(path, ro);
  for (bool clip : {true, false}) {
    AgreementOptions ao;
    if (!clip) ao.reasoner = ReasonerOptions::no_clip();
    auto r = run_agreement(scenes, ao);
    EXPECT_GT(r.programs, 2000);
    for (const auto& row : r.templates) {
      if (!row.snn || !row.total) continue;
      // Exact agreement wherever the spec documents no divergence (and, without the clip, on the
      // predictive and counterfactual templates too).
      const bool clip_row = row.type == "predictive" || row.type == "counterfactual";
      if (row.divergence.empty() || (!clip && clip_row)) {
        EXPECT_EQ(row.agree, row.total) << row.name << (clip ? "" : " (no clip)");
      }
      EXPECT_EQ(row.no_answer, 0) << row.name;
    }
  }
}
