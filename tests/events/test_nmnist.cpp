// N-MNIST binary files: every real file of nmnist-small, the label lists, round trips, the
// overflow marker and corrupt input.
#include <fstream>
#include <sstream>

#include "events_test_util.h"
#include "hnn/events/nmnist.h"
#include "test_util.h"

using namespace hnn::events;
using hnn::events::test::expect_error;
using hnn::events::test::fuzz_flips;
using hnn::events::test::random_stream;
using hnn::events::test::TempFile;

namespace {
// "#sample #class" lines -> (id, label).
std::vector<std::pair<int, int>> read_labels(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::pair<int, int>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    int id, label;
    if (ss >> id >> label) out.push_back({id, label});
  }
  return out;
}
// Labels of an IDX label file (gzip), to cross-check the lists against MNIST.
std::string idx_labels(const std::string& path) {
  return hnn::read_maybe_gzip(path).substr(8);
}
}  // namespace

TEST(Nmnist, RealFileOne) {
  HNN_REQUIRE_DATA("nmnist-small/1.bin", path);
  EventStream ev = read_nmnist(path);
  EXPECT_EQ(ev.size(), 4681u);
  EXPECT_EQ(ev.count_on(), 2328);
  EXPECT_EQ(ev.width, 34);
  EXPECT_EQ(ev.height, 34);
  EXPECT_EQ(ev.x[0], 18);
  EXPECT_EQ(ev.y[0], 16);
  EXPECT_EQ(ev.t[0], 893);
  EXPECT_EQ(ev.t_last(), 305924);
  TempFile f("1.bin");
  write_nmnist(f.path, ev);
  EXPECT_EQ(hnn::read_file(f.path), hnn::read_file(path));  // byte-identical
}

TEST(Nmnist, EveryRealFileAndTheLabels) {
  HNN_REQUIRE_DATA("nmnist-small/train1K.txt", train);
  HNN_REQUIRE_DATA("nmnist-small/test100.txt", test);
  auto tr = read_labels(train), te = read_labels(test);
  ASSERT_EQ(tr.size(), 1000u);
  ASSERT_EQ(te.size(), 100u);
  EXPECT_EQ(tr.front(), std::make_pair(1, 5));
  EXPECT_EQ(te.front(), std::make_pair(60001, 7));
  std::string dir = train.substr(0, train.find_last_of('/'));
  int64_t events = 0, on = 0;
  std::vector<int> per_class(10, 0);
  for (const auto& list : {tr, te})
    for (auto [id, label] : list) {
      ASSERT_GE(label, 0);
      ASSERT_LE(label, 9);
      ++per_class[(size_t)label];
      EventStream ev = read_nmnist(dir + "/" + std::to_string(id) + ".bin");
      ASSERT_EQ(ev.width, 34);
      events += (int64_t)ev.size();
      on += ev.count_on();
    }
  EXPECT_EQ(events, 4518827);
  EXPECT_EQ(on, 2250078);
  for (int c : per_class) EXPECT_GT(c, 70);
  // The lists are MNIST's labels: train id = MNIST train index + 1, test id = t10k index + 60001.
  std::string mtrain = hnn::shared_data_path("mnist/train-labels-idx1-ubyte.gz");
  std::string mtest = hnn::shared_data_path("mnist/t10k-labels-idx1-ubyte.gz");
  if (hnn::file_exists(mtrain) && hnn::file_exists(mtest)) {
    std::string a = idx_labels(mtrain), b = idx_labels(mtest);
    for (auto [id, label] : tr) EXPECT_EQ((int)(uint8_t)a[(size_t)id - 1], label) << id;
    for (auto [id, label] : te) EXPECT_EQ((int)(uint8_t)b[(size_t)id - 60001], label) << id;
  }
}

TEST(Nmnist, OverflowMarkerAndInferredSize) {
  // Three records: an event, an overflow marker (y = 240), an event with a small raw time.
  const unsigned char raw[] = {1, 2, 0x80, 0x00, 0x10, 0, 240, 0, 0, 0, 3, 4, 0x00, 0x00, 0x05};
  EventStream ev = read_nmnist(raw, sizeof raw, "ovf.bin");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev.t[0], 16);
  EXPECT_EQ(ev.t[1], 8192 + 5);
  EXPECT_EQ(ev.p[0], 1);
  EXPECT_EQ(ev.width, 34);
  // N-Caltech101-sized events: the bounding box.
  EventStream big(200, 150);
  big.push_back(0, 199, 149, true);
  TempFile f("big.bin");
  write_nmnist(f.path, big);
  EventStream back = read_nmnist(f.path);
  EXPECT_EQ(back.width, 200);
  EXPECT_EQ(back.height, 150);
}

TEST(Nmnist, WriterLimits) {
  TempFile f("w.bin");
  EventStream ev(34, 34);
  ev.push_back(1 << 23, 0, 0, true);
  EXPECT_THROW(write_nmnist(f.path, ev), hnn::Error);
  EXPECT_NO_THROW(write_nmnist(f.path, ev, 1 << 23));  // shifted
  EXPECT_TRUE(random_stream(10, 34, 34, 1) == [&] {
    write_nmnist(f.path, random_stream(10, 34, 34, 1));
    return read_nmnist(f.path);
  }());
}

TEST(Nmnist, CorruptInput) {
  TempFile f("c.bin");
  write_nmnist(f.path, random_stream(1000, 34, 34, 2));
  std::string b = hnn::read_file(f.path);
  auto read = [](const std::string& s) { read_nmnist(s.data(), s.size(), "c.bin"); };
  NmnistOptions strict;
  strict.recover = false;
  const std::string cut = b.substr(0, b.size() - 2);
  expect_error([&] { read_nmnist(cut.data(), cut.size(), "c.bin", strict); }, "c.bin",
               {"byte " + std::to_string(b.size() - 5), "truncated"});
  // Recovering (the default): every whole event.
  EXPECT_EQ(read_nmnist(cut.data(), cut.size(), "c.bin").size(), 999u);
  std::string u = b;
  u[500 * 5 + 2] = 0;
  u[500 * 5 + 3] = 0;
  u[500 * 5 + 4] = 0;
  expect_error([&] { read(u); }, "c.bin", {"byte 2500", "sorted"});
  NmnistOptions sized;
  sized.width = sized.height = 34;
  std::string o = b;
  o[700 * 5] = (char)200;  // x = 200 on a 34x34 sensor
  expect_error([&] { read_nmnist(o.data(), o.size(), "c.bin", sized); }, "c.bin", {"byte 3500", "outside the 34x34"});
  // N-MNIST has no magic: another format's bytes are caught by the length, bounds or time checks.
  std::string other = "#!AER-DAT2.0\r\n# AEChip: DVS128\r\n" + std::string(8 * 50, '\x07');
  other.resize(other.size() - other.size() % 5);
  expect_error([&] { read_nmnist(other.data(), other.size(), "other.bin", sized); }, "other.bin", {"byte 0"});
  NmnistOptions absurd;
  absurd.width = 100000;
  absurd.height = 34;
  EXPECT_THROW(read_nmnist(b.data(), b.size(), "c.bin", absurd), hnn::Error);
  int errors = fuzz_flips(b, 0, 300, 3, [&](const std::string& s) { read_nmnist(s.data(), s.size(), "c.bin", sized); });
  EXPECT_GT(errors, 100);
}
