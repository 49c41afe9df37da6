#include <gtest/gtest.h>

#include "hnn/models/hrn/batch.h"
#include "hnn/models/hrn/network.h"
#include "hnn/models/hrn/reasoner.h"
#include "hrn_fixtures.h"

using namespace hnn::models::hrn;

TEST(HrnNetwork, Layout) {
  Layout L(3, 6);
  EXPECT_EQ(L.size(), 54 + 6 * 2 + 6 * 5);
  EXPECT_EQ(L[kCount], 17);
  EXPECT_EQ(L[kEvents], 33 + 12);
  EXPECT_EQ(L.obj(2, 5), 27 + 12 + 5);
  EXPECT_EQ(L.ev(0, 0), 48 + 12);
  EXPECT_EQ(L.ev(5, 5), L.size() - 1);
  auto labels = L.labels();
  EXPECT_EQ(labels[L[kCount]], "count");
  EXPECT_EQ(labels[L.obj(1, 0)], "o1");
  EXPECT_EQ(labels[L.ev(3, 1)], "e_copy3");
  EXPECT_EQ(labels[L[kELastFun]], "e_last_fun");
  // Without events the event block lies outside the matrix.
  Layout E(4, 0);
  EXPECT_EQ(E.size(), 42 + 24);
  EXPECT_EQ(E.ev(0, 0), E.size());
  EXPECT_LT(E[kELastFun], E.size());
}

TEST(HrnNetwork, DesignedConnections) {
  auto scene = hnn_test::toy_scene();
  Simulation sim(scene);
  Executor ex(sim);
  auto seq = scene_sequence(ex, 20);
  ASSERT_EQ(seq.size(), 6u);
  EXPECT_EQ(seq[2].moving, (std::vector<int>{0, 1, 0, 1}));  // col(0,1) at 40 adds its two objects
  EXPECT_EQ(seq[5].stationary, (std::vector<int>{0, 2}));    // at the end
  auto net = build_network(scene.objects, seq);
  const Layout& L = net.layout;
  EXPECT_EQ(net.w(L.obj(0, 0), L[kObjects]), 100);
  EXPECT_EQ(net.w(L.obj(0, 0), L.obj(0, 0)), 100);
  EXPECT_EQ(net.w(L.obj(0, 0), L[kOInhGate]), -1);
  EXPECT_EQ(net.w(L[kCube], L[kShape]), 99);
  EXPECT_EQ(net.w(L[kCube], L.obj(0, 0)), 1);  // object 0 is a cube
  EXPECT_EQ(net.w(L.obj(0, 0), L[kRed]), 1);
  EXPECT_EQ(net.w(L[kSphere], L.obj(0, 0)), 0);
  EXPECT_EQ(net.w(L.obj(1, 4), L[kOStaFun]), 100);
  EXPECT_EQ(net.w(L.obj(1, 0), L.obj(1, 2)), -100);
  EXPECT_EQ(net.w(L[kCount], L.ev(4, 0)), 1);
  EXPECT_EQ(net.w(L.ev(0, 0), L[kStart]), 1);
  EXPECT_EQ(net.w(L.ev(5, 0), L[kEnd]), 1);
  EXPECT_EQ(net.w(L.ev(1, 2), L[kEInFun]), 99);
  EXPECT_EQ(net.w(L.ev(4, 2), L[kEOutFun]), 99);
  EXPECT_EQ(net.w(L.ev(2, 2), L[kEColFun]), 99);
  EXPECT_EQ(net.w(L.ev(2, 2), L.obj(1, 0)), 1);  // o1 -> e_att of col(0,1)
  EXPECT_EQ(net.w(L.obj(1, 5), L.ev(2, 0)), 1);  // col(0,1) -> o_att1
  EXPECT_EQ(net.w(L.ev(3, 4), L[kESecondFun]), 102);
  EXPECT_EQ(net.w(L.ev(3, 5), L[kELastFun]), 101);
  EXPECT_EQ(net.w(L.ev(3, 4), L.ev(1, 0)), -1);  // e_before_3 inhibited by events 0..3
  EXPECT_EQ(net.w(L.ev(3, 4), L.ev(4, 0)), 0);
  EXPECT_EQ(net.w(L.ev(3, 5), L.ev(4, 0)), -1);  // e_after_3 inhibited by events 3..5
  EXPECT_EQ(net.w(L.ev(3, 5), L.ev(2, 0)), 0);
  EXPECT_EQ(net.w(L.ev(1, 3), L.ev(3, 0)), 1);   // in(1) is an ancestor of col(1,2)
  EXPECT_EQ(net.w(L.obj(2, 4), L.ev(5, 0)), 0);  // object 2 is stationary at the end
  EXPECT_EQ(net.w(L.obj(1, 4), L.ev(5, 0)), -1);
  EXPECT_EQ(net.w(L.obj(0, 3), L.ev(0, 0)), 1);  // object 0 moves at the start
}

TEST(HrnBatch, MatchesStepByStepReference) {
  auto scene = hnn_test::toy_scene();
  SceneContext ctx(scene);
  auto other = hnn_test::toy_scene();
  other.objects[0].color = "yellow";
  SceneContext ctx2(other, ReasonerOptions::no_clip());
  std::vector<std::string> programs = {
      "objects red filter_color count", "events objects filter_in first filter_order query_object query_shape",
      "objects events filter_end query_frame filter_stationary count",
      "objects gray filter_color unique events events objects cube filter_shape unique filter_collision objects "
      "cylinder filter_shape unique filter_collision unique filter_ancestor belong_to"};
  std::vector<QuestionPlan> plans;
  for (auto& p : programs) plans.push_back(plan_question(parse_program(p)));
  std::vector<Job> jobs;
  for (int rep = 0; rep < 3; ++rep)
    for (auto& p : plans) {
      jobs.push_back({&ctx.networks.normal(), &p.stimulus});
      jobs.push_back({&ctx2.networks.normal(), &p.stimulus});
      jobs.push_back({&ctx.networks.predictive(), &p.stimulus});
    }
  for (int config = 0; config < 4; ++config) {
    BatchOptions bo;
    bo.engine = config == 0 ? Engine::Sparse : Engine::Dense;
    bo.max_networks = config == 0 ? 64 : config == 3 ? 64 : config;
    bo.max_columns = 5;
    BatchRunner runner(bo);
    auto out = runner.run(jobs);
    ASSERT_EQ(out.size(), jobs.size());
    for (size_t j = 0; j < jobs.size(); ++j)
      EXPECT_EQ(out[j], simulate(*jobs[j].net, *jobs[j].stim)) << "config " << config << " job " << j;
  }
}
