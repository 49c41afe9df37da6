#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/models/hmn/data.h"
#include "hnn/models/hmn/tasks.h"
#include "test_util.h"

using namespace hnn;
using namespace hnn::models::hmn;

namespace {

std::string tmp(const std::string& name) {
  return testing::TempDir() + "/hmn_" + name;
}

TEST(HmnFrames, BinsByTimeAndPolarity) {
  events::EventStream ev(34, 34);
  auto add = [&](int64_t t, int x, int y, int p) {
    ev.t.push_back(t), ev.x.push_back(static_cast<int16_t>(x)), ev.y.push_back(static_cast<int16_t>(y));
    ev.p.push_back(static_cast<uint8_t>(p));
  };
  add(0, 1, 2, 1);
  add(1999, 1, 2, 1);
  add(2000, 3, 4, 0);
  add(19999, 33, 33, 1);
  add(20000, 5, 5, 1);  // past the window of 10 x 2 ms
  FrameOptions o;
  auto f = bin_recording(ev, o);
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({10, 2, 34, 34}));
  EXPECT_EQ(f.scalar_type(), torch::kUInt8);
  EXPECT_EQ(f[0][1][2][1].item<int>(), 2);
  EXPECT_EQ(f[1][0][4][3].item<int>(), 1);
  EXPECT_EQ(f[9][1][33][33].item<int>(), 1);
  EXPECT_EQ(f.sum().item<int64_t>(), 4);
  o.binary = true;
  EXPECT_EQ(bin_recording(ev, o)[0][1][2][1].item<int>(), 1);
  // Counts saturate at 255.
  for (int i = 0; i < 300; ++i) add(100, 0, 0, 0);
  ev.sort_by_time();
  o.binary = false;
  EXPECT_EQ(bin_recording(ev, o)[0][0][0][0].item<int>(), 255);
  o.bins = 0;
  EXPECT_THROW(bin_recording(ev, o), Error);
}

TEST(HmnFrames, GeneratedSetIsDeterministicAndRoundTripsThroughTheCache) {
  torch::manual_seed(0);
  auto images = torch::zeros({6, 28, 28}, torch::kUInt8);
  images.narrow(1, 8, 12).narrow(2, 10, 8).fill_(255);
  auto labels = torch::arange(6, torch::kLong);
  FrameOptions o;
  auto a = generate_frames(images, labels, o, {}, 7);
  auto b = generate_frames(images, labels, o, {}, 7);
  EXPECT_EQ(a.frames.sizes(), torch::IntArrayRef({6, 10, 2, 34, 34}));
  EXPECT_TRUE(torch::equal(a.frames, b.frames));
  EXPECT_GT(a.frames.sum().item<int64_t>(), 0);
  EXPECT_EQ(a.flat().sizes(), torch::IntArrayRef({6, 10, 2312}));
  for (bool binary : {false, true}) {
    o.binary = binary;
    auto s = generate_frames(images, labels, o, {}, 7);
    s.source = "test";
    save_frames(tmp("frames.bin"), s);
    auto r = load_frames(tmp("frames.bin"));
    EXPECT_TRUE(torch::equal(r.frames, s.frames));
    EXPECT_TRUE(torch::equal(r.labels, labels));
    EXPECT_EQ(r.options.binary, binary);
    EXPECT_EQ(r.source, "test");
    if (binary) {
      EXPECT_LE(r.frames.max().item<int>(), 1);
    }
  }
  // A truncated or foreign file is an error naming it.
  std::string bytes = read_file(tmp("frames.bin"));
  write_file_atomically(tmp("cut.bin"), bytes.substr(0, bytes.size() - 10));
  EXPECT_THROW(load_frames(tmp("cut.bin")), Error);
  write_file_atomically(tmp("other.bin"), "hello\n{}\n");
  EXPECT_THROW(load_frames(tmp("other.bin")), Error);
  EXPECT_THROW(load_frames(tmp("missing.bin")), Error);
  auto st = frame_stats(a.frames);
  EXPECT_EQ(st.samples, 6);
  EXPECT_EQ(st.events_per_bin.size(), 10u);
  EXPECT_NEAR(st.events_mean, a.frames.to(torch::kDouble).sum().item<double>() / 6, 1e-9);
  EXPECT_GE(st.on_fraction, 0);
  EXPECT_LE(st.on_fraction, 1);
}

TEST(HmnFrames, RealNmnistRecordings) {
  const std::string dir = shared_data_path("nmnist-small");
  if (dir.empty()) GTEST_SKIP() << "../shared/data/nmnist-small not found";
  auto set = load_nmnist_frames(dir, dir + "/test100.txt", FrameOptions{});
  EXPECT_EQ(set.size(), 100);
  EXPECT_EQ(set.labels[0].item<int64_t>(), 7);
  auto st = frame_stats(set.frames);
  EXPECT_GT(st.events_mean, 10);
  EXPECT_THROW(load_nmnist_frames(dir, dir + "/missing.txt", FrameOptions{}), Error);
}

TEST(HmnTasks, GroupsOfSimilarPermutations) {
  TaskOptions o;
  o.count = 12;
  o.continual = 8;
  auto t = make_tasks(o, 3);
  EXPECT_EQ(t.permutations.sizes(), torch::IntArrayRef({12, 2312}));
  EXPECT_TRUE(torch::equal(t.permutations, make_tasks(o, 3).permutations));
  EXPECT_FALSE(torch::equal(t.permutations, make_tasks(o, 4).permutations));
  auto sorted = std::get<0>(t.permutations.sort(1));
  EXPECT_TRUE(torch::equal(sorted, torch::arange(2312, torch::kLong).expand_as(sorted)));
  auto s = t.similarity();
  for (int64_t k = 0; k + 1 < 12; ++k) {
    const double v = s[k][k + 1].item<double>();
    if ((k + 1) % 4 == 0) {
      EXPECT_LT(v, 0.01) << k;  // a new group
    } else {
      // One partial shuffle of 300-399 elements leaves at least 1 - 399/2312 of them in place.
      EXPECT_GT(v, 1 - 399.0 / 2312) << k;
      EXPECT_LT(v, 1.0) << k;
    }
  }
  EXPECT_EQ(s[0][0].item<double>(), 1.0);
  EXPECT_EQ(t.continual_tasks(), (std::vector<int64_t>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(t.stage1_tasks(), (std::vector<int64_t>{0, 1, 2, 3, 5, 6, 9, 10}));
  auto x = torch::arange(2312).to(torch::kFloat).unsqueeze(0);
  EXPECT_TRUE(torch::equal(t.apply(x, 2).to(torch::kLong)[0], t.permutations[2]));
  save_tasks(tmp("tasks.bin"), t);
  auto r = load_tasks(tmp("tasks.bin"));
  EXPECT_TRUE(torch::equal(r.permutations, t.permutations));
  EXPECT_EQ(r.seed, 3u);
  EXPECT_EQ(r.options.continual, 8);
  o.continual = 13;
  EXPECT_THROW(make_tasks(o, 1), Error);
  EXPECT_THROW(t.apply(x, 12), Error);
  EXPECT_THROW(load_tasks(tmp("frames.bin")), Error);
}

// Hostile input: the header's sample and bin counts are checked against the bytes that follow
// before they are multiplied or allocated.
TEST(HmnFrames, HugeSizeInHeaderIsRefused) {
  auto write = [](const std::string& name, int64_t samples, int64_t bins) {
    nlohmann::json h = {{"samples", samples}, {"bins", bins}, {"bin_us", 1000},
                        {"binary", false},    {"sensor", 34}, {"source", "hostile"}};
    hnn::write_file_atomically(tmp(name), "hnn.hmn.frames.v1\n" + h.dump() + "\n" + std::string(16, '\1'));
    return tmp(name);
  };
  for (auto [samples, bins] : std::vector<std::pair<int64_t, int64_t>>{
           {int64_t{1} << 40, 1}, {1, int64_t{1} << 40}, {int64_t{1} << 31, int64_t{1} << 31}, {4, 4}}) {
    const std::string path = write("huge_frames.bin", samples, bins);
    try {
      load_frames(path);
      ADD_FAILURE() << "no error for " << samples << " x " << bins;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
