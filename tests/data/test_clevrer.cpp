#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/data/clevrer.h"
#include "hnn/data/clevrer_questions.h"
#include "test_util.h"

using namespace hnn::data;

namespace {

const char* kLine =
    R"({"video":7,"objects":[{"id":0,"color":"red","material":"metal","shape":"cube"},)"
    R"({"id":1,"color":"blue","material":"rubber","shape":"sphere"}],)"
    R"("trajectory":[{"frame":0,"objects":[{"x":1.5,"y":null,"color":"red","material":"metal","shape":"cube"}]},)"
    R"({"frame":5,"objects":[{"x":2,"y":3,"color":"blue","material":"rubber","shape":"sphere"}]}],)"
    R"("collisions":[{"frame":5,"objects":[{"color":"blue","material":"rubber","shape":"sphere"},)"
    R"({"color":"red","material":"metal","shape":"cube"}]}],)"
    R"("counterfactual":{"0":[],"1":[]}})";

std::string tmp_path(const std::string& name) {
  return "/tmp/hnn_test_clevrer_" + std::to_string(getpid()) + name;
}

// The message of the hnn::Error thrown by reading `text` as line 2 of a file.
std::string error_of(const std::string& text) {
  std::string path = tmp_path(".jsonl");
  hnn::write_file_atomically(path, std::string(kLine) + "\n" + text + "\n");
  try {
    read_clevrer_scenes(path);
  } catch (const hnn::Error& e) {
    std::remove(path.c_str());
    return e.what();
  }
  std::remove(path.c_str());
  return "no error";
}

std::string replace(std::string s, const std::string& a, const std::string& b) {
  auto p = s.find(a);
  EXPECT_NE(p, std::string::npos) << a;
  return p == std::string::npos ? s : s.replace(p, a.size(), b);
}

}  // namespace

TEST(ClevrerScenes, ParsesALine) {
  auto s = parse_clevrer_scene(kLine, "x:1");
  EXPECT_EQ(s.video, 7);
  ASSERT_EQ(s.objects.size(), 2u);
  EXPECT_EQ(s.objects[1].shape, "sphere");
  ASSERT_EQ(s.trajectory.size(), 2u);
  EXPECT_EQ(s.trajectory[1].frame, 5);
  EXPECT_EQ(s.trajectory[0].objects[0].id, 0);
  EXPECT_TRUE(std::isnan(s.trajectory[0].objects[0].y));  // null reads as NaN
  EXPECT_EQ(s.trajectory[1].objects[0].id, 1);
  ASSERT_EQ(s.collisions.size(), 1u);
  EXPECT_EQ(s.collisions[0].a, 1);
  EXPECT_EQ(s.collisions[0].b, 0);
  EXPECT_EQ(s.counterfactual.size(), 2u);
}

TEST(ClevrerScenes, CorruptInputNamesFileAndLine) {
  auto has = [](const std::string& msg, const std::string& part) {
    EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected: " << part;
  };
  std::string m = error_of("{\"video\": 8, \"objects\": [");
  has(m, ".jsonl:2: invalid JSON");
  m = error_of(replace(kLine, R"("x":1.5)", R"("x":"a")"));
  has(m, ":2: trajectory[0].objects[0].x: expected a number or null, got string");
  m = error_of(replace(kLine, R"("collisions")", R"("collisionz")"));
  has(m, ":2: (line): missing key 'collisions'");
  m = error_of(replace(kLine, R"("x":2,"y":3,"color":"blue")", R"("x":2,"y":3,"color":"pink")"));
  has(m, "trajectory[1].objects[0]: the attribute triple (pink, rubber, sphere) matches no object of video 7");
  m = error_of(replace(kLine, R"("id":1,)", R"("id":4,)"));
  has(m, "objects[1].id: expected 1");
  m = error_of(replace(kLine, R"(},{"color":"red","material":"metal","shape":"cube"}]})", R"(}]})"));
  has(m, "collisions[0].objects: expected 2 objects, got 1");
  m = error_of(replace(kLine, R"("0":[])", R"("9":[])"));
  has(m, "counterfactual.9: key is not an object id");
  // Truncated gzip.
  std::string gz = hnn::shared_data_path("clevrer-scenes/validation-scenes.jsonl.gz");
  if (!gz.empty() && hnn::file_exists(gz)) {
    std::string bytes = hnn::read_file(gz).substr(0, 100000);
    std::string path = tmp_path(".jsonl.gz");
    hnn::write_file_atomically(path, bytes);
    EXPECT_THROW(read_clevrer_scenes(path), hnn::Error);
    std::remove(path.c_str());
  }
  EXPECT_THROW(read_clevrer_scenes("/nonexistent/scenes.jsonl"), hnn::Error);
}

TEST(ClevrerScenes, RealFile) {
  HNN_REQUIRE_DATA("clevrer-scenes/validation-scenes.jsonl.gz", path);
  ClevrerReadOptions ro;
  ro.limit = 80;
  auto scenes = read_clevrer_scenes(path, ro);
  ASSERT_EQ(scenes.size(), 80u);
  EXPECT_EQ(scenes[0].video, 10000);
  EXPECT_EQ(scenes[79].video, 10079);
  EXPECT_EQ(scenes[0].objects.size(), 4u);
  EXPECT_EQ(scenes[0].trajectory.size(), 38u);
  EXPECT_EQ(scenes[0].collisions.size(), 3u);
  EXPECT_EQ(scenes[0].counterfactual.at(0).size(), 9u);
  int nan = 0;
  for (auto& st : scenes[72].trajectory)  // video 10072 has null coordinates
    for (auto& o : st.objects) nan += std::isnan(o.x) || std::isnan(o.y);
  EXPECT_GT(nan, 0);
  ro = {};
  ro.videos = {10123, 10001};
  auto two = read_clevrer_scenes(path, ro);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].video, 10001);
  EXPECT_EQ(two[1].video, 10123);
  ro.videos = {9};
  EXPECT_THROW(read_clevrer_scenes(path, ro), hnn::Error);
}

TEST(ClevrerQuestions, RealFilesAndRoundTrip) {
  HNN_REQUIRE_DATA("clevrer-questions/valid-orig-small.json", path);
  auto v = read_clevrer_questions(path);
  ASSERT_EQ(v.size(), 564u);
  int64_t choices = 0;
  for (auto& x : v)
    for (auto& q : x.questions) {
      EXPECT_EQ(q.type, "explanatory");
      EXPECT_FALSE(q.program.empty());
      choices += (int64_t)q.choices.size();
    }
  EXPECT_EQ(choices, 2256);
  std::string out = tmp_path(".json");
  write_clevrer_questions(out, v);
  auto back = read_clevrer_questions(out);
  std::remove(out.c_str());
  ASSERT_EQ(back.size(), v.size());
  EXPECT_EQ(back[3].video, v[3].video);
  EXPECT_EQ(back[3].questions[0].choices[2].program, v[3].questions[0].choices[2].program);
  EXPECT_EQ(back[3].questions[0].choices[2].answer, v[3].questions[0].choices[2].answer);
  EXPECT_THROW(parse_clevrer_questions(
                   R"([{"scene_index": 1, "questions": [{"question_type": "odd", "program": []}]}])", "q.json"),
               hnn::Error);
}

namespace {

// A gzip file of `text` followed by `pad` newlines (8 MiB of them compress to a few KiB).
std::string gzip_file(const std::string& name, const std::string& text, size_t pad) {
  const std::string path = tmp_path(name);
  gzFile gz = gzopen(path.c_str(), "wb9");
  EXPECT_NE(gz, nullptr);
  gzwrite(gz, text.data(), (unsigned)text.size());
  const std::string spaces(pad, '\n');
  gzwrite(gz, spaces.data(), (unsigned)spaces.size());
  gzclose(gz);
  return path;
}

// Reading under a lowered limit on decompressed bytes: the error names the file and the limit.
void expect_bomb_refused(const std::function<void(const std::string&)>& read, const std::string& path) {
  const size_t old = hnn::max_inflated_bytes();
  hnn::set_max_inflated_bytes(1u << 20);
  try {
    read(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const hnn::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find("more than 1048576 bytes"), std::string::npos) << m;
  }
  hnn::set_max_inflated_bytes(old);
  std::remove(path.c_str());
}

}  // namespace

// Hostile input: a small .gz whose text inflates past the limit is refused, not read into memory.
TEST(ClevrerScenes, HugeSizeInHeaderIsRefused) {
  const std::string path = gzip_file(".bomb.jsonl.gz", std::string(kLine) + "\n", 8u << 20);
  EXPECT_EQ(read_clevrer_scenes(path).size(), 1u);  // under the default limit it reads
  expect_bomb_refused([](const std::string& p) { read_clevrer_scenes(p); }, path);
}

TEST(ClevrerQuestions, HugeSizeInHeaderIsRefused) {
  const std::string path = gzip_file(".bomb.json.gz", "[]", 8u << 20);
  EXPECT_TRUE(read_clevrer_questions(path).empty());
  expect_bomb_refused([](const std::string& p) { read_clevrer_questions(p); }, path);
}
