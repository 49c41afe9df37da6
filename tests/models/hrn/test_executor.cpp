#include <gtest/gtest.h>

#include "hnn/models/hrn/executor.h"
#include "hrn_fixtures.h"

using namespace hnn::models::hrn;

namespace {

struct Toy {
  hnn::data::ClevrerScene scene = hnn_test::toy_scene();
  Simulation sim{scene};
  Executor ex{sim};
  std::string run(const std::string& p) { return ex.run(parse_program(p)).value_or("error"); }
};

}  // namespace

TEST(HrnExecutor, StableEventOrder) {
  Toy t;
  const auto& e = t.ex.events();
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].type, EventType::Start);
  EXPECT_EQ(e[1].type, EventType::In);
  EXPECT_EQ(e[2].type, EventType::Collision);
  EXPECT_EQ(e[3].type, EventType::Collision);
  EXPECT_EQ(e[4].type, EventType::Out);
  EXPECT_EQ(e[5].type, EventType::End);
  ASSERT_EQ(t.ex.unseen_events().size(), 1u);
  EXPECT_EQ(t.ex.unseen_events()[0].frame, 150);
  // Ties keep insertion order: start, end, in/out, collisions.
  auto s = hnn_test::toy_scene();
  s.collisions.push_back({125, 0, 2});
  s.trajectory[25].objects.erase(s.trajectory[25].objects.begin() + 1);  // object 2 leaves at 125
  Simulation sim(s);
  Executor ex(sim);
  std::vector<EventType> at125;
  for (auto& ev : ex.events())
    if (ev.frame == 125) at125.push_back(ev.type);
  EXPECT_EQ(at125, (std::vector<EventType>{EventType::End, EventType::Out, EventType::Collision}));
}

TEST(HrnExecutor, Ancestors) {
  Toy t;
  EXPECT_EQ(t.ex.ancestors(3), (std::vector<int>{1, 2}));     // col(1,2): in(1), col(0,1)
  EXPECT_EQ(t.ex.ancestors(4), (std::vector<int>{1, 2, 3}));  // out(1)
  EXPECT_TRUE(t.ex.ancestors(0).empty());
}

TEST(HrnExecutor, DescriptiveAnswers) {
  Toy t;
  EXPECT_EQ(t.run("objects red filter_color count"), "1");
  EXPECT_EQ(t.run("objects rubber filter_material count"), "2");
  EXPECT_EQ(t.run("objects metal filter_material unique query_shape"), "sphere");
  EXPECT_EQ(t.run("objects rubber filter_material unique query_shape"), "error");  // two rubber objects
  EXPECT_EQ(t.run("objects yellow filter_color exist"), "no");
  EXPECT_EQ(t.run("events objects filter_collision count"), "2");
  EXPECT_EQ(t.run("events objects red filter_color unique filter_collision count"), "1");
  EXPECT_EQ(t.run("events objects filter_in count"), "1");
  EXPECT_EQ(t.run("events objects filter_out count"), "1");
  EXPECT_EQ(t.run("objects events filter_start query_frame filter_moving count"), "1");
  EXPECT_EQ(t.run("objects events filter_end query_frame filter_stationary count"), "2");
  EXPECT_EQ(t.run("objects green filter_color events filter_end query_frame filter_stationary exist"), "yes");
  EXPECT_EQ(t.run("objects events objects blue filter_color unique filter_in unique query_frame filter_moving count"),
            "2");
  EXPECT_EQ(t.run("events events objects sphere filter_shape unique filter_in unique filter_before objects "
                  "filter_collision count"),
            "0");
  EXPECT_EQ(t.run("events events objects sphere filter_shape unique filter_in unique filter_after objects "
                  "filter_collision count"),
            "2");
  EXPECT_EQ(t.run("events objects filter_in first filter_order query_object query_shape"), "sphere");
  EXPECT_EQ(t.run("events objects filter_in second filter_order query_object query_shape"), "error");
  EXPECT_EQ(t.run("events objects red filter_color unique filter_collision first filter_order objects red "
                  "filter_color unique query_collision_partner query_color"),
            "blue");
  EXPECT_EQ(t.run("events objects blue filter_color unique filter_collision last filter_order objects blue "
                  "filter_color unique query_collision_partner query_color"),
            "green");
}

TEST(HrnExecutor, MultipleChoiceAnswers) {
  Toy t;
  const std::string q =
      " events events objects blue filter_color unique filter_collision objects green filter_color "
      "unique filter_collision unique filter_ancestor belong_to";
  EXPECT_EQ(t.run("objects red filter_color unique" + q), "correct");
  EXPECT_EQ(t.run("objects green filter_color unique" + q), "wrong");
  EXPECT_EQ(t.run("objects green filter_color unique" + q + " negate"), "correct");
  EXPECT_EQ(t.run("events objects blue filter_color unique filter_in unique" + q), "correct");
  EXPECT_EQ(t.run("events objects red filter_color unique filter_collision objects blue filter_color unique "
                  "filter_collision unique" +
                  q),
            "correct");
  // Predictive: the red-green collision happens only in the unseen part.
  const std::string pred = " unseen_events belong_to";
  EXPECT_EQ(t.run("all_events objects red filter_color unique filter_collision objects green filter_color unique "
                  "filter_collision unique" +
                  pred),
            "correct");
  EXPECT_EQ(t.run("all_events objects red filter_color unique filter_collision objects blue filter_color unique "
                  "filter_collision unique" +
                  pred),
            "wrong");
  // Counterfactual.
  auto cf = [&](const std::string& a, const std::string& b, const std::string& removed, bool neg = false) {
    return t.run("all_events objects " + a + " filter_color unique filter_collision objects " + b +
                 " filter_color unique filter_collision unique all_events objects " + removed +
                 " filter_color unique filter_counterfact belong_to" + (neg ? " negate" : ""));
  };
  EXPECT_EQ(cf("red", "blue", "green"), "correct");
  EXPECT_EQ(cf("red", "blue", "red"), "wrong");
  EXPECT_EQ(cf("red", "blue", "red", true), "correct");
  EXPECT_EQ(cf("blue", "green", "red"), "correct");
  EXPECT_EQ(cf("red", "green", "blue"), "correct");
  EXPECT_EQ(cf("red", "green", "green"), "wrong");
  // counterfact_events: the colliders without the green object.
  EXPECT_EQ(t.run("objects red filter_color unique objects green filter_color unique counterfact_events belong_to"),
            "correct");
  EXPECT_EQ(t.run("objects green filter_color unique objects green filter_color unique counterfact_events belong_to"),
            "wrong");
}

TEST(HrnExecutor, ErrorsAreNotAnswers) {
  Toy t;
  EXPECT_EQ(t.run("count"), "error");                                        // missing argument
  EXPECT_EQ(t.run("objects"), "error");                                      // a list is no answer
  EXPECT_EQ(t.run("objects red filter_color unique query_frame"), "error");  // wrong type
  EXPECT_EQ(t.run("objects red filter_color count <END> objects"), "1");
  EXPECT_EQ(t.run("<START> objects count"), "3");
}
