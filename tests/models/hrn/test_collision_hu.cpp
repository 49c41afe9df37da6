#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include "hnn/core/error.h"
#include "hnn/core/seed.h"
#include "hnn/models/hrn/collision_hu.h"
#include "hrn_fixtures.h"
#include "test_util.h"

using namespace hnn::models::hrn;

TEST(HrnCollisionHu, FeaturesAndLabels) {
  auto scene = hnn_test::toy_scene();
  CollisionHuConfig cfg;
  auto x = pair_features(scene, 0, 1, cfg.steps);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{kHuFeatures, 40}));
  EXPECT_EQ(x[0][0].item<float>(), 1);  // object 0 visible at step 0
  EXPECT_EQ(x[5][0].item<float>(), 0);  // object 1 enters at step 4
  EXPECT_EQ(x[5][4].item<float>(), 1);
  EXPECT_EQ(x[0][38].item<float>(), 0);  // padding
  auto set = make_pair_set({scene}, cfg);
  ASSERT_EQ(set.size(), 3);
  EXPECT_EQ(set.collide[0].item<int64_t>(), 1);  // (0,1)
  EXPECT_NEAR(set.when[0].item<float>() * cfg.frame_scale, 40, 1e-3);
  EXPECT_EQ(set.collide[1].item<int64_t>(), 1);  // (0,2) at 150
  EXPECT_EQ(set.count.sum().item<int64_t>(), 3);
  EXPECT_EQ(split_of(10008), Split::Val);
  EXPECT_EQ(split_of(10009), Split::Test);
  EXPECT_EQ(split_of(10003), Split::Train);
}

TEST(HrnCollisionHu, TrainsAtToySizeAndRoundTrips) {
  HNN_REQUIRE_DATA("clevrer-scenes/validation-scenes.jsonl.gz", path);
  hnn::seed_everything(3);
  hnn::data::ClevrerReadOptions ro;
  ro.limit = 60;
  auto scenes = hnn::data::read_clevrer_scenes(path, ro);
  std::vector<hnn::data::ClevrerScene> tr(scenes.begin(), scenes.begin() + 50), va(scenes.begin() + 50, scenes.end());
  CollisionHuConfig cfg;
  cfg.channels = 4;
  cfg.hidden = 16;
  CollisionHu hu(cfg);
  HuTrainOptions to;
  to.epochs = 2;
  to.batch = 64;
  auto ptr = make_pair_set(tr, cfg), pva = make_pair_set(va, cfg);
  auto hist = hu.train(ptr, pva, to);
  ASSERT_EQ(hist.size(), 2u);
  EXPECT_TRUE(std::isfinite(hist[1].first.loss));
  auto m = hu.evaluate(pva);
  EXPECT_EQ(m.tp + m.fp + m.fn + m.tn, pva.size());
  std::string ckpt = "/tmp/hnn_test_hu_" + std::to_string(getpid()) + ".pt";
  hu.save(ckpt);
  auto back = CollisionHu::load(ckpt);
  auto [p1, f1] = hu.predict(pva);
  auto [p2, f2] = back.predict(pva);
  EXPECT_TENSOR_NEAR(p1, p2, 1e-6);
  EXPECT_TENSOR_NEAR(f1, f2, 1e-4);
  std::remove(ckpt.c_str());
  std::remove((ckpt + ".json").c_str());
  // Detections replace the factual collisions; everything else stays.
  auto preds = back.predict_scenes({scenes[0]});
  ASSERT_EQ(preds[0].size(), 6u);  // 4 objects
  auto all = CollisionHu::with_collisions(scenes[0], preds[0], 0.0);
  EXPECT_EQ(all.collisions.size(), 6u);
  EXPECT_EQ(CollisionHu::with_collisions(scenes[0], preds[0], 1.01).collisions.size(), 0u);
  EXPECT_EQ(all.trajectory.size(), scenes[0].trajectory.size());
  EXPECT_EQ(all.counterfactual.size(), scenes[0].counterfactual.size());
  EXPECT_THROW(CollisionHu::load("/nonexistent.pt"), hnn::Error);
}
