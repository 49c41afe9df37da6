#include <gtest/gtest.h>

#include "hnn/core/error.h"
#include "hnn/models/hrn/program.h"
#include "hnn/models/hrn/stimuli.h"

using namespace hnn::models::hrn;

namespace {
std::string ins(const std::string& p) {
  return program_str(to_instructions(parse_program(p)));
}
}  // namespace

TEST(HrnProgram, ToInstructionsExamplesOfTheSpec) {
  EXPECT_EQ(ins("objects metal filter_material count"), "objects filter_metal count");
  EXPECT_EQ(ins("objects metal filter_material unique query_shape"), "objects filter_metal query_shape");
  EXPECT_EQ(ins("objects purple filter_color events filter_end query_frame filter_stationary exist"),
            "events filter_end objects filter_purple filter_stationary exist");
  EXPECT_EQ(ins("events objects filter_in first filter_order query_object query_shape"),
            "events objects filter_in filter_first query_object query_shape");
  EXPECT_EQ(ins("objects events objects red filter_color unique filter_in unique query_frame filter_moving count"),
            "events objects filter_red filter_in objects filter_moving count");
  // filter_moving without events in front gets it prepended.
  EXPECT_EQ(ins("objects red filter_color filter_moving"), "events objects filter_red filter_moving");
  EXPECT_EQ(ins("events objects filter_collision second filter_order"),
            "events objects filter_collision filter_second");
}

TEST(HrnProgram, ParseRejectsUnknownTokens) {
  EXPECT_NO_THROW(parse_program("objects, red ,filter_color count"));
  try {
    parse_program("objects pink filter_color count", "--program");
    FAIL();
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--program: token 2 'pink'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_program("  "), hnn::Error);
  EXPECT_EQ(question_kind(parse_program("unseen_events belong_to")), QuestionKind::Predictive);
  EXPECT_EQ(question_kind(parse_program("objects red filter_color unique filter_counterfact")),
            QuestionKind::Counterfactual);
}

TEST(HrnStimuli, BlocksOfTheTable) {
  // Explanatory question with an object choice: 27 steps (spec 4.5).
  auto p = parse_program(
      "objects gray filter_color unique events events objects cube filter_shape unique filter_collision objects "
      "cylinder filter_shape unique filter_collision unique filter_ancestor belong_to");
  auto s = program_to_stimuli(to_instructions(p));
  EXPECT_EQ(s.steps, 27);
  // objects: {objects}, {}; filter_gray: {gray = 200, o_inh_gate}, {}; events events: {events, copy funs}, {}
  auto at = [&](int t) {
    std::vector<std::pair<int, float>> v;
    for (auto& e : s.entries)
      if (e.step == t) v.push_back({e.neuron, e.value});
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(at(0), (std::vector<std::pair<int, float>>{{kObjects, 100.f}}));
  EXPECT_TRUE(at(1).empty());
  EXPECT_EQ(at(2), (std::vector<std::pair<int, float>>{{kGray, 200.f}, {kOInhGate, 100.f}}));
  EXPECT_EQ(at(4), (std::vector<std::pair<int, float>>{{kOCopyFun, 100.f}, {kEvents, 100.f}, {kECopyFun, 100.f}}));
  EXPECT_EQ(at(10), (std::vector<std::pair<int, float>>{{kEColFun, 100.f}}));
  EXPECT_EQ(at(11), (std::vector<std::pair<int, float>>{{kOInhGate, 100.f}, {kEInhGate, 100.f}}));
  EXPECT_EQ(at(20), (std::vector<std::pair<int, float>>{{kEInhGate, 100.f}, {kEAncestorFun, 100.f}}));
  EXPECT_EQ(at(21), (std::vector<std::pair<int, float>>{{kEExGate, 100.f}}));
  EXPECT_EQ(at(23), (std::vector<std::pair<int, float>>{{kOAttFun, 100.f}}));
  EXPECT_EQ(at(24), (std::vector<std::pair<int, float>>{{kBelongGate, 100.f}}));
  EXPECT_TRUE(at(26).empty());
  // Block lengths.
  auto len = [](const std::string& i) { return program_to_stimuli({i}).steps - 1; };
  EXPECT_EQ(len("filter_second"), 6);
  EXPECT_EQ(len("filter_first"), 3);
  EXPECT_EQ(len("query_shape"), 1);
  EXPECT_EQ(len("query_collision_partner"), 3);
  EXPECT_EQ(len("filter_start"), 2);
  EXPECT_EQ(len("count"), 2);
  EXPECT_EQ(len("unseen"), 2);
}
