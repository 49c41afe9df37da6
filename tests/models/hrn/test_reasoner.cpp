#include <gtest/gtest.h>

#include "hnn/models/hrn/reasoner.h"
#include "hrn_fixtures.h"

using namespace hnn::models::hrn;

namespace {

std::vector<std::pair<std::string, std::string>> toy_cases() {
  const std::string q =
      " events events objects blue filter_color unique filter_collision objects green filter_color "
      "unique filter_collision unique filter_ancestor belong_to";
  const std::string out_q =
      " events events objects blue filter_color unique filter_out unique filter_ancestor belong_to";
  auto cf = [](const std::string& a, const std::string& b, const std::string& removed, bool neg) {
    return "all_events objects " + a + " filter_color unique filter_collision objects " + b +
           " filter_color unique filter_collision unique all_events objects " + removed +
           " filter_color unique filter_counterfact belong_to" + (neg ? " negate" : "");
  };
  return {
      {"objects red filter_color count", "1"},
      {"objects rubber filter_material count", "2"},
      {"objects metal filter_material unique query_shape", "sphere"},
      {"objects green filter_color unique query_material", "rubber"},
      {"objects sphere filter_shape unique query_color", "blue"},
      {"objects yellow filter_color exist", "no"},
      {"objects red filter_color cube filter_shape exist", "yes"},
      {"events objects filter_collision count", "2"},
      {"events objects red filter_color unique filter_collision count", "1"},
      {"events objects filter_in count", "1"},
      {"events objects filter_out count", "1"},
      {"objects events filter_start query_frame filter_moving count", "1"},
      {"objects events filter_start query_frame filter_stationary count", "1"},
      {"objects events filter_end query_frame filter_moving count", "0"},
      {"objects events filter_end query_frame filter_stationary count", "2"},
      {"objects green filter_color events filter_end query_frame filter_stationary exist", "yes"},
      {"objects blue filter_color events filter_end query_frame filter_stationary exist", "no"},
      {"objects events objects blue filter_color unique filter_in unique query_frame filter_moving count", "2"},
      {"events events objects sphere filter_shape unique filter_in unique filter_before objects filter_collision count",
       "0"},
      {"events events objects sphere filter_shape unique filter_in unique filter_after objects filter_collision count",
       "2"},
      {"events objects filter_in first filter_order query_object query_shape", "sphere"},
      {"events objects filter_out last filter_order query_object query_color", "blue"},
      {"events objects red filter_color unique filter_collision first filter_order objects red filter_color unique "
       "query_collision_partner query_color",
       "blue"},
      {"events objects blue filter_color unique filter_collision second filter_order objects blue filter_color unique "
       "query_collision_partner query_color",
       "green"},
      {"events objects blue filter_color unique filter_collision first filter_order objects blue filter_color unique "
       "query_collision_partner query_color",
       "red"},
      {"objects red filter_color unique" + q, "correct"},
      {"objects green filter_color unique" + q, "wrong"},
      {"objects green filter_color unique" + q + " negate", "correct"},
      {"objects red filter_color unique" + q + " negate", "wrong"},
      {"events objects blue filter_color unique filter_in unique" + q, "correct"},
      {"events objects red filter_color unique filter_collision objects blue filter_color unique filter_collision "
       "unique" +
           q,
       "correct"},
      {"objects green filter_color unique" + out_q, "correct"},
      {"all_events objects red filter_color unique filter_collision objects green filter_color unique filter_collision "
       "unique unseen_events belong_to",
       "correct"},
      {"all_events objects red filter_color unique filter_collision objects blue filter_color unique filter_collision "
       "unique unseen_events belong_to",
       "wrong"},
      {cf("red", "blue", "green", false), "correct"},
      {cf("red", "blue", "red", false), "wrong"},
      {cf("red", "blue", "red", true), "correct"},
      {cf("blue", "green", "red", false), "correct"},
      {cf("red", "green", "blue", false), "correct"},
      {cf("red", "green", "green", false), "wrong"},
      {cf("red", "green", "green", true), "correct"},
  };
}

}  // namespace

TEST(HrnReasoner, AnswersTheHandMadeScene) {
  SceneContext ctx(hnn_test::toy_scene());
  std::vector<QuestionPlan> plans;
  auto cases = toy_cases();
  for (auto& [p, a] : cases) plans.push_back(plan_question(parse_program(p)));
  std::vector<AskItem> items;
  for (auto& p : plans) items.push_back({&ctx, &p});
  BatchRunner runner;
  auto answers = answer_batch(items, runner);
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(ctx.executor.run(parse_program(cases[i].first)).value_or("error"), cases[i].second) << cases[i].first;
    EXPECT_EQ(answers[i], cases[i].second) << cases[i].first;
    EXPECT_EQ(answer_traced(ctx, plans[i]).answer, cases[i].second) << cases[i].first;
  }
}

TEST(HrnReasoner, Rewrites) {
  auto p = plan_question(parse_program(
      "all_events objects red filter_color unique filter_collision objects blue filter_color unique filter_collision "
      "unique all_events objects green filter_color unique filter_counterfact belong_to negate"));
  EXPECT_EQ(p.kind, QuestionKind::Counterfactual);
  EXPECT_EQ(program_str(p.remove_program), "all_events objects green filter_color unique");
  EXPECT_EQ(program_str(p.program),
            "events objects red filter_color unique filter_collision objects blue filter_color "
            "unique filter_collision unique counter_negate");
  auto q =
      plan_question(parse_program("all_events objects red filter_color unique filter_collision objects blue "
                                  "filter_color unique filter_collision unique unseen_events belong_to"));
  EXPECT_EQ(q.kind, QuestionKind::Predictive);
  EXPECT_EQ(program_str(q.program),
            "events objects red filter_color unique filter_collision objects blue filter_color "
            "unique filter_collision unique unseen");
  // The remove object: the last one with a non-zero membrane.
  SceneContext ctx(hnn_test::toy_scene());
  auto tr = answer_traced(ctx, p);
  EXPECT_EQ(tr.removed, 2);
  auto none = plan_question(parse_program(
      "all_events objects red filter_color unique filter_collision objects blue filter_color unique filter_collision "
      "unique all_events objects yellow filter_color unique filter_counterfact belong_to"));
  EXPECT_EQ(answer_traced(ctx, none).removed, -1);
  EXPECT_EQ(answer_traced(ctx, none).answer, "wrong");  // no events without an object to remove
}

TEST(HrnReasoner, ClipLimits) {
  // Seven unseen collisions; the pair asked about is the sixth.
  auto s = hnn_test::toy_scene();
  s.collisions = {{40, 0, 1}};
  for (int k = 0; k < 5; ++k) s.collisions.push_back({130 + 5 * k, 0, 1});
  s.collisions.push_back({160, 1, 2});
  s.collisions.push_back({170, 0, 1});
  const auto prog = parse_program(
      "all_events objects blue filter_color unique filter_collision objects green "
      "filter_color unique filter_collision unique unseen_events belong_to");
  auto plan = plan_question(prog);
  SceneContext clipped(s), open(s, ReasonerOptions::no_clip());
  EXPECT_EQ(clipped.executor.run(prog).value_or("error"), "correct");
  EXPECT_EQ(answer_traced(clipped, plan).answer, "wrong");
  EXPECT_EQ(answer_traced(open, plan).answer, "correct");
  // query_* without a firing value gives no answer.
  SceneContext ctx(hnn_test::toy_scene());
  auto q = plan_question(parse_program("objects yellow filter_color unique query_shape"));
  EXPECT_EQ(answer_traced(ctx, q).answer, "");
  EXPECT_FALSE(ctx.executor.run(q.program).has_value());
}
