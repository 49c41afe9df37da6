#include <gtest/gtest.h>

#include <cmath>

#include "hnn/models/hrn/simulation.h"
#include "hrn_fixtures.h"

using namespace hnn::models::hrn;

TEST(HrnSimulation, EntryExitEventsAndVelocities) {
  auto scene = hnn_test::toy_scene();
  Simulation sim(scene);
  ASSERT_EQ(sim.in_out_events().size(), 2u);
  EXPECT_EQ(sim.in_out_events()[0].type, EventType::In);
  EXPECT_EQ(sim.in_out_events()[0].frame, 20);
  EXPECT_EQ(sim.in_out_events()[0].objects, std::vector<int>{1});
  EXPECT_EQ(sim.in_out_events()[1].type, EventType::Out);
  EXPECT_EQ(sim.in_out_events()[1].frame, 100);  // the frame of the first step without it
  EXPECT_TRUE(sim.is_moving(0, 0));
  EXPECT_TRUE(sim.is_moving(0, 60));  // mean of 1.0 (backward) and 0 (forward)
  EXPECT_NEAR(sim.speed(0, 60), 0.5, 1e-12);
  EXPECT_TRUE(sim.is_stationary(0, 65));
  EXPECT_FALSE(sim.is_visible(1, 15));
  EXPECT_FALSE(sim.is_moving(1, 15));
  EXPECT_FALSE(sim.is_stationary(1, 15));     // invisible objects are neither
  EXPECT_NEAR(sim.speed(1, 20), 0.6, 1e-12);  // forward difference only
  EXPECT_TRUE(sim.is_stationary(2, 125));
  EXPECT_FALSE(sim.is_visible(0, 42));  // no trajectory step has frame 42
  EXPECT_EQ(sim.collisions().size(), 3u);
  EXPECT_EQ(sim.counterfactual(1).size(), 2u);
  EXPECT_TRUE(sim.counterfactual(7).empty());
}

TEST(HrnSimulation, NaNCoordinatesAreNeverMoving) {
  auto scene = hnn_test::toy_scene();
  scene.trajectory[10].objects[0].x = std::nan("");
  Simulation sim(scene);
  EXPECT_TRUE(std::isnan(sim.speed(0, 50)));
  EXPECT_FALSE(sim.is_moving(0, 50));
  EXPECT_TRUE(sim.is_stationary(0, 50));
  EXPECT_TRUE(std::isnan(sim.speed(0, 45)));  // its neighbours' differences are NaN too
}

TEST(HrnSimulation, NestedEventsNeverMatch) {
  Event e{EventType::In, 130, {2}, true};
  EXPECT_FALSE(e.involves(2));
  e.nested = false;
  EXPECT_TRUE(e.involves(2));
}
