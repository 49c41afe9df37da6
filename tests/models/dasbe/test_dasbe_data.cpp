#include "hnn/models/dasbe/data.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/io/h5.h"
#include "test_util.h"

namespace dasbe = hnn::models::dasbe;
using dasbe::LabeledImages;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_dasbe_" + std::to_string(getpid()) + "_" + name;
}

bool have_tool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// The stencil of object slot j with stencil index k, as the generator documents it.
using StencilFn = std::function<at::Tensor(int64_t j, int64_t k)>;

at::Tensor bar(int64_t k) {
  return k == 0 ? torch::ones({20, 1}, torch::kByte) : torch::ones({1, 20}, torch::kByte);
}
at::Tensor shape(int64_t, int64_t k) {
  return dasbe::shape_stencil(k);
}
at::Tensor corner(int64_t, int64_t k) {
  return k == 4 ? dasbe::corner_square_stencil() : dasbe::corner_stencil(k);
}

// A digit's cropped stencil (its own size).
at::Tensor cropped_digit(const dasbe::Digits& d, int64_t k) {
  return d.cropped[k].slice(0, 0, d.heights[k].item<int64_t>()).slice(1, 0, d.widths[k].item<int64_t>());
}

// Renders the objects pixel by pixel (count and label maps) and compares with the generator's
// images and groups; checks that every object lies fully inside. Returns the count maps.
at::Tensor check_render(const LabeledImages& li, const StencilFn& stencil, const std::vector<int64_t>& labels) {
  const int64_t H = li.images.size(-2), W = li.images.size(-1), J = li.objects.size(-2);
  const at::Tensor images = li.images.reshape({-1, H, W}), groups = li.groups.reshape({-1, H, W});
  const at::Tensor objects = li.objects.reshape({-1, J, 3});
  EXPECT_EQ(objects.size(0), images.size(0));
  at::Tensor counts = torch::zeros({images.size(0), H, W}, torch::kInt);
  for (int64_t n = 0; n < images.size(0); ++n) {
    auto count = counts[n];
    auto label = torch::zeros({H, W}, torch::kInt);
    for (int64_t j = 0; j < J; ++j) {
      const int64_t k = objects[n][j][0].item<int64_t>(), y = objects[n][j][1].item<int64_t>(),
                    x = objects[n][j][2].item<int64_t>();
      if (k < 0) continue;
      const at::Tensor s = stencil(j, k).to(torch::kInt);
      const int64_t h = s.size(0), w = s.size(1);
      EXPECT_TRUE(y >= 0 && x >= 0 && y + h <= H && x + w <= W)
          << "object " << j << " of image " << n << " at (" << y << ", " << x << ") size " << h << "x" << w;
      if (!(y >= 0 && x >= 0 && y + h <= H && x + w <= W)) return counts;
      count.slice(0, y, y + h).slice(1, x, x + w).add_(s);
      label.slice(0, y, y + h).slice(1, x, x + w).add_(s * labels[(size_t)j]);
    }
    const at::Tensor want_groups = torch::where(count.eq(1), label, torch::zeros({}, torch::kInt));
    EXPECT_TRUE(images[n].equal(count.gt(0).to(torch::kFloat))) << "image " << n;
    EXPECT_TRUE(groups[n].equal(want_groups.to(torch::kFloat))) << "groups of image " << n;
    if (::testing::Test::HasFailure()) break;
  }
  return counts;
}

// ---- Stencils.

TEST(DasbeData, Stencils) {
  EXPECT_EQ(dasbe::shape_stencil(0).sizes(), (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(dasbe::shape_stencil(0).sum().item<int64_t>(), 40);
  EXPECT_EQ(dasbe::shape_stencil(0).slice(0, 2, 5).slice(1, 2, 5).sum().item<int64_t>(), 0);  // the hole
  EXPECT_EQ(dasbe::shape_stencil(1).sizes(), (std::vector<int64_t>{7, 12}));
  EXPECT_EQ(dasbe::shape_stencil(1).sum().item<int64_t>(), 48);
  EXPECT_EQ(dasbe::shape_stencil(2).sum().item<int64_t>(), 48);
  EXPECT_TRUE(dasbe::shape_stencil(2).equal(dasbe::shape_stencil(1).flip({0})));
  // Row 3 of the upward triangle: columns 2-4 and 7-9.
  EXPECT_TRUE(dasbe::shape_stencil(1)[3].equal(torch::tensor({0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0}, torch::kByte)));
  EXPECT_EQ(dasbe::shape_stencil(1)[0].sum().item<int64_t>(), 2);
  for (int64_t o = 0; o < 4; ++o) {
    EXPECT_EQ(dasbe::corner_stencil(o).sizes(), (std::vector<int64_t>{5, 5}));
    EXPECT_EQ(dasbe::corner_stencil(o).sum().item<int64_t>(), 16);
  }
  EXPECT_EQ(dasbe::corner_stencil(0)[0][4].item<int64_t>(), 1);  // top-left L: top row and left column
  EXPECT_EQ(dasbe::corner_stencil(0)[4][4].item<int64_t>(), 0);
  EXPECT_TRUE(dasbe::corner_stencil(1).equal(dasbe::corner_stencil(0).flip({0})));
  EXPECT_TRUE(dasbe::corner_stencil(2).equal(dasbe::corner_stencil(0).flip({1})));
  EXPECT_TRUE(dasbe::corner_stencil(3).equal(dasbe::corner_stencil(0).flip({0, 1})));
  const at::Tensor sq = dasbe::corner_square_stencil();
  EXPECT_EQ(sq.sizes(), (std::vector<int64_t>{20, 20}));
  EXPECT_EQ(sq.sum().item<int64_t>(), 64);
  EXPECT_TRUE(sq.slice(0, 15, 20).slice(1, 15, 20).equal(dasbe::corner_stencil(3)));
  EXPECT_THROW(dasbe::shape_stencil(3), hnn::Error);
  EXPECT_THROW(dasbe::corner_stencil(-1), hnn::Error);
}

// ---- Bars.

TEST(DasbeData, Bars) {
  std::mt19937_64 rng(7);
  const LabeledImages li = dasbe::bars_images(40, rng);
  ASSERT_EQ(li.images.sizes(), (std::vector<int64_t>{40, 20, 20}));
  EXPECT_EQ(li.images.scalar_type(), torch::kFloat);
  check_render(li, [](int64_t, int64_t k) { return bar(k); }, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  for (int64_t n = 0; n < li.size(); ++n) {
    const at::Tensor img = li.images[n], g = li.groups[n];
    EXPECT_EQ(img.sum(0).eq(20).sum().item<int64_t>(), 6);  // 6 full columns
    EXPECT_EQ(img.sum(1).eq(20).sum().item<int64_t>(), 6);  // 6 full rows
    EXPECT_EQ(img.sum().item<int64_t>(), 6 * 20 + 6 * 20 - 36);
    EXPECT_EQ(img.gt(0).logical_and(g.eq(0)).sum().item<int64_t>(), 36);  // the crossings
    for (int k = 1; k <= 12; ++k) EXPECT_EQ(g.eq(k).sum().item<int64_t>(), 14) << "label " << k;
    // Labels 1-6 are columns, 7-12 rows.
    EXPECT_EQ(g.le(6).logical_and(g.gt(0)).sum(0).gt(0).sum().item<int64_t>(), 6);
    const at::Tensor cols = li.objects[n].slice(0, 0, 6).select(1, 2),
                     rows = li.objects[n].slice(0, 6, 12).select(1, 1);
    EXPECT_EQ(std::get<0>(torch::_unique(cols)).numel(), 6);
    EXPECT_EQ(std::get<0>(torch::_unique(rows)).numel(), 6);
  }
  const LabeledImages one = dasbe::single_bar_images(10, true, rng);
  check_render(one, [](int64_t, int64_t k) { return bar(k); }, {1});
  EXPECT_TRUE(one.images.sum({1, 2}).eq(20).all().item<bool>());
  EXPECT_TRUE(one.images.sum(2).eq(20).sum(1).eq(1).all().item<bool>());  // one full row
  EXPECT_TRUE(one.groups.max().eq(1).item<bool>());
}

TEST(DasbeData, SameSeedSameDataAndSlicingDoesNotMatter) {
  std::mt19937_64 a(11), b(11), c(12), d(11);
  const LabeledImages x = dasbe::shape_images(30, 3, -1, a), y = dasbe::shape_images(30, 3, -1, b);
  const LabeledImages z = dasbe::shape_images(30, 3, -1, c);
  EXPECT_TRUE(x.images.equal(y.images));
  EXPECT_TRUE(x.groups.equal(y.groups));
  EXPECT_FALSE(x.images.equal(z.images));
  // 10 then 20 images from one engine equal 30 at once.
  const LabeledImages p = dasbe::shape_images(10, 3, -1, d), q = dasbe::shape_images(20, 3, -1, d);
  EXPECT_TRUE(torch::cat({p.images, q.images}).equal(x.images));
  EXPECT_TRUE(torch::cat({p.groups, q.groups}).equal(x.groups));
  // Same for whole splits: the dataset's seed by default, another seed gives other images.
  dasbe::DataOptions o;
  o.scale = 0.001;
  const LabeledImages s1 = dasbe::generate_split("bars", "train_multi", o),
                      s2 = dasbe::generate_split("bars", "train_multi", o);
  EXPECT_EQ(s1.size(), 60);
  EXPECT_TRUE(s1.images.equal(s2.images));
  o.seed = 5;
  EXPECT_FALSE(dasbe::generate_split("bars", "train_multi", o).images.equal(s1.images));
}

// ---- Shapes and corners.

TEST(DasbeData, Shapes) {
  std::mt19937_64 rng(3);
  const LabeledImages li = dasbe::shape_images(100, 3, -1, rng);
  ASSERT_EQ(li.images.sizes(), (std::vector<int64_t>{100, 28, 28}));
  const at::Tensor counts = check_render(li, shape, {1, 2, 3});
  // Labels are 0 exactly where the count is not 1.
  EXPECT_TRUE(li.groups.eq(0).equal(counts.ne(1)));
  EXPECT_TRUE(li.groups.gt(0).equal(counts.eq(1)));
  EXPECT_TRUE(counts.ge(2).any().item<bool>());  // overlaps happen
  const at::Tensor types = li.objects.select(2, 0);
  for (int k = 0; k < 3; ++k) EXPECT_GT(types.eq(k).sum().item<int64_t>(), 50) << "type " << k;
  EXPECT_TRUE(li.pos.equal(li.objects.select(1, 0).slice(1, 1, 3).to(torch::kDouble)));
  // Positions cover the whole range: x of a square up to 21, of a triangle up to 16.
  const at::Tensor x = li.objects.select(2, 2), y = li.objects.select(2, 1);
  EXPECT_EQ(x.masked_select(types.eq(0)).max().item<int64_t>(), 21);
  EXPECT_EQ(x.masked_select(types.ne(0)).max().item<int64_t>(), 16);
  EXPECT_EQ(y.max().item<int64_t>(), 21);
  EXPECT_EQ(x.min().item<int64_t>(), 0);
  for (int64_t t = 0; t < 3; ++t) {
    const LabeledImages one = dasbe::shape_images(20, 1, t, rng);
    check_render(one, shape, {1});
    EXPECT_TRUE(one.objects.select(2, 0).eq(t).all().item<bool>());
    EXPECT_TRUE(one.images.sum({1, 2}).eq(t == 0 ? 40 : 48).all().item<bool>());
  }
  EXPECT_THROW(dasbe::shape_images(1, 1, 3, rng), hnn::Error);
}

TEST(DasbeData, Corners) {
  std::mt19937_64 rng(4);
  const LabeledImages li = dasbe::corner_images(60, rng);
  check_render(li, corner, {1, 2, 3, 4, 5});
  const at::Tensor o = li.objects;
  EXPECT_TRUE(o.select(1, 0).select(1, 0).eq(4).all().item<bool>());  // the square first
  EXPECT_LE(o.select(1, 0).slice(1, 1, 3).max().item<int64_t>(), 8);
  EXPECT_TRUE(o.slice(1, 1, 5).select(2, 0).lt(4).all().item<bool>());
  EXPECT_LE(o.slice(1, 1, 5).slice(2, 1, 3).max().item<int64_t>(), 23);
  EXPECT_EQ(li.groups.max().item<float>(), 5);
  const LabeledImages sq = dasbe::single_corner_images(5, true, rng), c = dasbe::single_corner_images(5, false, rng);
  EXPECT_TRUE(sq.images.sum({1, 2}).eq(64).all().item<bool>());
  EXPECT_TRUE(c.images.sum({1, 2}).eq(16).all().item<bool>());
  check_render(c, corner, {1});
}

// ---- MNIST sets.

// Synthetic "digits": solid blocks of random size and place.
dasbe::Digits block_digits(int64_t n, int64_t lo, int64_t hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  at::Tensor img = torch::zeros({n, 28, 28}, torch::kByte);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t h = lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1)),
                  w = lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1));
    const int64_t y = (int64_t)(rng() % (uint64_t)(28 - h + 1)), x = (int64_t)(rng() % (uint64_t)(28 - w + 1));
    img[i].slice(0, y, y + h).slice(1, x, x + w).fill_(200);
  }
  return dasbe::prepare_digits(img);
}

TEST(DasbeData, PrepareDigitsCropsEveryEmptyRowAndColumn) {
  at::Tensor img = torch::zeros({1, 28, 28}, torch::kFloat);
  img[0][3][5] = 0.6;
  img[0][3][9] = 0.3;  // kept (non-zero) but not in the mask
  img[0][7][5] = 0.5;  // >= 0.5: in the mask (cropped), not in the full mask (> 0.5)
  img[0][7][9] = 0.9;
  const dasbe::Digits d = dasbe::prepare_digits(img);
  EXPECT_EQ(d.heights[0].item<int64_t>(), 2);
  EXPECT_EQ(d.widths[0].item<int64_t>(), 2);
  EXPECT_TRUE(d.cropped[0].slice(0, 0, 2).slice(1, 0, 2).equal(torch::tensor({{1, 0}, {1, 1}}, torch::kByte)));
  EXPECT_EQ(d.cropped[0].sum().item<int64_t>(), 3);
  EXPECT_EQ(d.full[0].sum().item<int64_t>(), 2);
  EXPECT_EQ(d.full[0][3][5].item<int64_t>(), 1);
  // uint8 input is divided by 255: 128 -> 0.502 is in both masks, 127 in neither.
  at::Tensor u = torch::zeros({1, 28, 28}, torch::kByte);
  u[0][0][0] = 128;
  u[0][0][1] = 127;
  const dasbe::Digits e = dasbe::prepare_digits(u);
  EXPECT_EQ(e.full[0].sum().item<int64_t>(), 1);
  EXPECT_EQ(e.cropped[0].sum().item<int64_t>(), 1);
  EXPECT_EQ(e.widths[0].item<int64_t>(), 2);
}

// The last digit of every image is covered by the others on less than a fifth of its pixels.
void check_rejection_rule(const LabeledImages& li, const dasbe::Digits& d) {
  const at::Tensor counts = check_render(li, [&](int64_t, int64_t k) { return cropped_digit(d, k); }, {1, 2, 3});
  for (int64_t n = 0; n < li.size(); ++n) {
    const int64_t k = li.objects[n][2][0].item<int64_t>(), y = li.objects[n][2][1].item<int64_t>(),
                  x = li.objects[n][2][2].item<int64_t>();
    const at::Tensor s = cropped_digit(d, k).to(torch::kBool);
    const at::Tensor c = counts[n].slice(0, y, y + s.size(0)).slice(1, x, x + s.size(1));
    const int64_t covered = c.ge(2).logical_and(s).sum().item<int64_t>(), total = s.sum().item<int64_t>();
    EXPECT_LT(covered * 5, total) << "image " << n << ": " << covered << " of " << total;
  }
}

TEST(DasbeData, MultiMnistRejectionRuleOnBlocks) {
  // Large blocks overlap most of the time: the rule has work to do.
  const dasbe::Digits d = block_digits(30, 18, 26, 1);
  std::mt19937_64 rng(5);
  const LabeledImages li = dasbe::multi_mnist_images(40, d, rng);
  ASSERT_EQ(li.images.sizes(), (std::vector<int64_t>{40, 48, 48}));
  check_rejection_rule(li, d);
  // The rule is about the last digit only: the second one overlaps the first one by a fifth or
  // more in many images.
  int64_t second_overlaps = 0;
  for (int64_t n = 0; n < li.size(); ++n) {
    const at::Tensor s = cropped_digit(d, li.objects[n][1][0].item<int64_t>());
    const int64_t visible = li.groups[n].eq(2).sum().item<int64_t>(), total = s.sum().item<int64_t>();
    second_overlaps += (total - visible) * 5 >= total;
  }
  EXPECT_GT(second_overlaps, 5);
  // Single digits in order.
  const LabeledImages one = dasbe::single_digit_images(35, 28, d, rng);
  EXPECT_TRUE(one.objects.select(2, 0).squeeze(1).equal(torch::arange(28, 63) % 30));
  check_render(one, [&](int64_t, int64_t k) { return cropped_digit(d, k); }, {1});
}

TEST(DasbeData, MultiMnistOnRealDigits) {
  HNN_REQUIRE_DATA("mnist/t10k-images-idx3-ubyte.gz", file);
  const dasbe::Digits test = dasbe::load_mnist_digits(false);
  ASSERT_EQ(test.size(), 10000);
  EXPECT_LE(test.heights.max().item<int64_t>(), 28);
  EXPECT_GT(test.heights.to(torch::kFloat).mean().item<float>(), 15);
  std::mt19937_64 rng(6);
  const LabeledImages li = dasbe::multi_mnist_images(30, test, rng);
  check_rejection_rule(li, test);
  for (int64_t n = 0; n < li.size(); ++n) EXPECT_GT(li.groups[n].eq(3).sum().item<int64_t>(), 0);
}

TEST(DasbeData, MnistShapeOnRealDigits) {
  HNN_REQUIRE_DATA("mnist/train-images-idx3-ubyte.first22699.gz", file);
  const dasbe::Digits train = dasbe::load_mnist_digits(true);
  ASSERT_EQ(train.size(), 22699);
  std::mt19937_64 rng(8);
  const LabeledImages li = dasbe::mnist_shape_images(20, 22690, train, rng);
  EXPECT_TRUE(li.objects.select(1, 0).select(1, 0).equal(torch::arange(22690, 22710) % 22699));
  EXPECT_TRUE(li.objects.select(1, 0).slice(1, 1, 3).eq(0).all().item<bool>());  // at its own position
  check_render(li, [&](int64_t j, int64_t k) { return j == 0 ? train.full[k] : dasbe::shape_stencil(k); }, {1, 2});
  const LabeledImages digits = dasbe::lone_mnist_shape_images(5, true, train, rng);
  const LabeledImages shapes = dasbe::lone_mnist_shape_images(5, false, train, rng);
  EXPECT_EQ(digits.groups.max().item<float>(), 1);
  EXPECT_TRUE(shapes.groups.amax({1, 2}).eq(2).all().item<bool>());  // the shape counter starts at 2
}

TEST(DasbeData, MnistShapeOnBlocks) {
  const dasbe::Digits d = block_digits(10, 5, 12, 2);
  std::mt19937_64 rng(9);
  const LabeledImages li = dasbe::mnist_shape_images(30, -1, d, rng);
  check_render(li, [&](int64_t j, int64_t k) { return j == 0 ? d.full[k] : dasbe::shape_stencil(k); }, {1, 2});
}

// ---- Moving shapes.

TEST(DasbeData, MovingShapesMoveOnePixelAndBounce) {
  std::mt19937_64 rng(10);
  const int64_t T = 120;
  const LabeledImages li = dasbe::moving_shape_videos(8, T, {0}, -1, rng);
  ASSERT_EQ(li.images.sizes(), (std::vector<int64_t>{8, T, 28, 28}));
  check_render(li, shape, {1});
  int bounces = 0;
  for (int64_t n = 0; n < 8; ++n) {
    const at::Tensor o = li.objects[n].select(1, 0);  // [T, 3]
    const int64_t k = o[0][0].item<int64_t>();
    EXPECT_TRUE(o.select(1, 0).eq(k).all().item<bool>());
    const int64_t xmax = 28 - (k == 0 ? 7 : 12), ymax = 28 - 7;
    const at::Tensor step = o.slice(0, 1, T).slice(1, 1, 3) - o.slice(0, 0, T - 1).slice(1, 1, 3);  // (dy, dx)
    EXPECT_LE(step.abs().max().item<int64_t>(), 1);
    EXPECT_TRUE(step.abs().sum(1).gt(0).all().item<bool>());  // it moves every frame
    for (int64_t t = 1; t + 1 < T; ++t) {
      for (int a = 0; a < 2; ++a) {
        const int64_t before = step[t - 1][a].item<int64_t>(), after = step[t][a].item<int64_t>();
        if (before == after) continue;
        // A bounce: the direction reverses, at the border.
        ++bounces;
        EXPECT_EQ(after, -before) << "video " << n << " frame " << t;
        const int64_t p = o[t][1 + a].item<int64_t>();
        EXPECT_TRUE(p == 0 || p == (a == 0 ? ymax : xmax)) << "video " << n << " frame " << t << " at " << p;
      }
    }
  }
  EXPECT_GT(bounces, 8);
  // moving_shapes_3: shapes appear at frames 0, 15 and 30.
  const LabeledImages three = dasbe::moving_shape_videos(3, 40, {0, 15, 30}, -1, rng);
  const at::Tensor present = three.objects.select(3, 0).ge(0);  // [n, T, J]
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_FALSE(present.select(2, j).slice(1, 0, j * 15).any().item<bool>());
    EXPECT_TRUE(present.select(2, j).slice(1, j * 15, 40).all().item<bool>());
  }
  EXPECT_EQ(three.groups.slice(1, 0, 15).max().item<float>(), 1);
  check_render(three, shape, {1, 2, 3});
}

// ---- Files.

void check_file(const std::string& name, double scale) {
  const std::string path = temp_path(name + ".h5");
  dasbe::DataOptions o;
  o.scale = scale;
  std::map<std::string, int64_t> last;
  o.progress = [&](const std::string& split, int64_t done, int64_t total) {
    EXPECT_LE(done, total);
    last[split] = done;
  };
  dasbe::generate_dataset(name, path, o);
  const auto& info = dasbe::dataset_info(name);
  hnn::io::H5Reader r(path);
  EXPECT_EQ(r.attribute("/", "dataset"), name);
  EXPECT_EQ(r.attribute("/", "generator"), "hnn");
  EXPECT_EQ(r.attribute("/", "seed"), std::to_string(info.seed));
  const auto splits = dasbe::split_names(name);
  std::vector<std::string> sorted = splits;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(r.list(), sorted);
  for (const auto& split : splits) {
    const int64_t n = dasbe::split_size(name, split, scale);
    EXPECT_EQ(last[split], n) << split;
    std::vector<int64_t> dims{n, info.height, info.width};
    if (info.frames > 0) dims.insert(dims.begin() + 1, info.frames);
    EXPECT_EQ(r.shape(split + "/default"), dims) << split;
    EXPECT_EQ(r.read_rows(split + "/default", 0, 1).scalar_type(), torch::kByte);
    const LabeledImages file = dasbe::read_split(path, split), mem = dasbe::generate_split(name, split, o);
    EXPECT_EQ(file.images.scalar_type(), torch::kFloat);
    EXPECT_TRUE(file.images.equal(mem.images)) << name << " " << split;
    EXPECT_TRUE(file.groups.equal(mem.groups)) << name << " " << split;
    EXPECT_EQ(file.pos.defined(), name == "shapes_with_pos");
    if (file.pos.defined()) {
      EXPECT_TRUE(file.pos.equal(mem.pos));
    }
    if (n > 2) {
      const LabeledImages part = dasbe::read_split(path, split, 1, 2);
      EXPECT_TRUE(part.images.equal(mem.images.narrow(0, 1, 2)));
      const LabeledImages rest = dasbe::read_split(path, split, n - 1);
      EXPECT_EQ(rest.size(), 1);
    }
  }
  if (have_tool("h5ls")) {
    const std::string out = temp_path(name + ".txt");
    ASSERT_EQ(std::system(("h5ls -r '" + path + "' > '" + out + "'").c_str()), 0);
    const std::string text = hnn::read_file(out);
    for (const auto& split : splits) {
      EXPECT_NE(text.find("/" + split + "/default "), std::string::npos) << text;
      EXPECT_NE(text.find("/" + split + "/groups "), std::string::npos) << text;
    }
    std::remove(out.c_str());
  }
  std::remove(path.c_str());
}

TEST(DasbeData, FilesOfSyntheticSets) {
  for (const char* name :
       {"bars", "shapes", "corners", "shapes_with_pos", "moving_shapes", "moving_shapes_3", "moving_shapes_large"})
    check_file(name, 0.002);
}

TEST(DasbeData, FilesOfMnistSets) {
  HNN_REQUIRE_DATA("mnist/train-images-idx3-ubyte.first22699.gz", train);
  HNN_REQUIRE_DATA("mnist/t10k-images-idx3-ubyte.gz", test);
  check_file("multi_mnist", 0.002);
  check_file("mnist_shape", 0.002);
}

TEST(DasbeData, SplitSizesAndShuffledSplits) {
  EXPECT_EQ(dasbe::split_size("bars", "train_multi"), 60000);
  EXPECT_EQ(dasbe::split_size("bars", "train_single"), 200);
  EXPECT_EQ(dasbe::split_size("bars", "train_single", 0.002), 2);
  EXPECT_EQ(dasbe::split_size("corners", "train_single"), 15000);
  EXPECT_EQ(dasbe::split_size("multi_mnist", "train_single"), 300000);
  EXPECT_EQ(dasbe::split_size("mnist_shape", "train_single"), 20000);
  EXPECT_EQ(dasbe::split_size("moving_shapes_3", "train_multi"), 600);
  EXPECT_EQ(dasbe::split_size("moving_shapes_large", "train_single"), 600);
  EXPECT_EQ(dasbe::split_names("shapes_with_pos"),
            (std::vector<std::string>{"train_single_0", "train_single_1", "train_single_2"}));
  dasbe::DataOptions o;
  o.scale = 0.1;
  // bars train_single: the hori and vert images, shuffled.
  const LabeledImages single = dasbe::generate_split("bars", "train_single", o);
  const LabeledImages hori = dasbe::generate_split("bars", "train_single_hori", o);
  const LabeledImages vert = dasbe::generate_split("bars", "train_single_vert", o);
  EXPECT_EQ(single.size(), 20);
  EXPECT_TRUE(single.images.sum({0}).equal(hori.images.sum({0}) + vert.images.sum({0})));
  EXPECT_FALSE(single.images.narrow(0, 0, 10).equal(hori.images));
  // corners: count // 7 lone squares among lone corners.
  const LabeledImages corners = dasbe::generate_split("corners", "train_single", o);
  EXPECT_EQ(corners.size(), 1500);
  EXPECT_EQ(corners.images.sum({1, 2}).eq(64).sum().item<int64_t>(), 1500 / 7);
  EXPECT_FALSE(corners.images.narrow(0, 0, 1500 / 7).sum({1, 2}).eq(64).all().item<bool>());  // shuffled
}

TEST(DasbeData, SlicedWritesEqualOneGeneration) {
  // bars at scale 0.2: train_multi has 12,000 images, written in two slices.
  const std::string path = temp_path("bars-sliced.h5");
  dasbe::DataOptions o;
  o.scale = 0.2;
  dasbe::generate_dataset("bars", path, o);
  const LabeledImages file = dasbe::read_split(path, "train_multi", 9990, 20);
  const LabeledImages mem = dasbe::generate_split("bars", "train_multi", o);
  EXPECT_EQ(mem.size(), 12000);
  EXPECT_TRUE(file.images.equal(mem.images.narrow(0, 9990, 20)));
  EXPECT_TRUE(file.groups.equal(mem.groups.narrow(0, 9990, 20)));
  std::remove(path.c_str());
}

TEST(DasbeData, Errors) {
  try {
    dasbe::dataset_info("mnist");
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    const std::string m = e.what();
    for (const char* n : {"bars", "shapes", "corners", "multi_mnist", "mnist_shape", "shapes_with_pos", "moving_shapes",
                          "moving_shapes_3", "moving_shapes_large"})
      EXPECT_NE(m.find(n), std::string::npos) << m;
  }
  dasbe::DataOptions o;
  o.scale = 0.001;
  EXPECT_THROW(dasbe::generate_dataset("cifar", temp_path("x.h5"), o), hnn::Error);
  EXPECT_FALSE(hnn::file_exists(temp_path("x.h5")));
  EXPECT_THROW(dasbe::generate_split("bars", "train_single_0", o), hnn::Error);
  o.scale = 0;
  EXPECT_THROW(dasbe::generate_dataset("bars", temp_path("x.h5"), o), hnn::Error);
  o.scale = 0.001;
  o.mnist_dir = "/nonexistent";
  EXPECT_THROW(dasbe::generate_dataset("multi_mnist", temp_path("x.h5"), o), hnn::Error);
  EXPECT_FALSE(hnn::file_exists(temp_path("x.h5")));
  EXPECT_THROW(dasbe::read_split(temp_path("missing.h5"), "test"), hnn::Error);
  const std::string path = temp_path("small.h5");
  o.mnist_dir = "";
  dasbe::generate_dataset("bars", path, o);
  try {
    dasbe::read_split(path, "train_single_0");
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("train_single_hori"), std::string::npos) << e.what();
  }
  EXPECT_THROW(dasbe::read_split(path, "test", 5, 100), hnn::Error);
  std::remove(path.c_str());
}

// Not a test: the full-size generation of bars and shapes, timed by hand with
// --gtest_also_run_disabled_tests --gtest_filter=*FullSize*.
TEST(DasbeData, DISABLED_FullSizeBarsAndShapes) {
  for (const char* name : {"bars", "shapes"}) {
    const std::string path = temp_path(std::string(name) + "-full.h5");
    const auto t0 = std::chrono::steady_clock::now();
    dasbe::generate_dataset(name, path, dasbe::DataOptions{});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %.2f s, %.1f MB\n", name, s, (double)hnn::read_file(path).size() / 1e6);
    std::remove(path.c_str());
  }
}

}  // namespace
