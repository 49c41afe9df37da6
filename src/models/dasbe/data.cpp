#include "hnn/models/dasbe/data.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/data/idx.h"
#include "hnn/io/h5.h"

namespace hnn::models::dasbe {

namespace {

// Images (videos) generated and written at a time: about 8 M pixels, a whole number of chunks
// (10,200 images of 28x28, 3,400 of 48x48, 10 videos of 1000 frames), so that the int32 count
// and label maps of a slice stay near 32 MB each.
constexpr int64_t kSlicePixels = 8000000;

// The per-image engine (splitmix64). Each image takes one seed from the caller's std::mt19937_64,
// so an image depends only on its place in the stream; uniform integers by multiply-shift (no
// implementation-defined std distributions, so files are the same with every standard library).
struct ImageRng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int64_t uniform(int64_t lo, int64_t hi) {  // [lo, hi], inclusive
    return lo + (int64_t)(((unsigned __int128)next() * (uint64_t)(hi - lo + 1)) >> 64);
  }
};

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return lo + (int64_t)(((unsigned __int128)rng() * (uint64_t)(hi - lo + 1)) >> 64);
}

// A set of stencils padded to one size: masks uint8 [K, SH, SW], each with its own h x w.
struct Bank {
  at::Tensor masks;
  std::vector<int64_t> h, w;
};

Bank make_bank(const std::vector<at::Tensor>& stencils) {
  Bank b;
  int64_t sh = 0, sw = 0;
  for (const auto& s : stencils) sh = std::max(sh, s.size(0)), sw = std::max(sw, s.size(1));
  b.masks = torch::zeros({(int64_t)stencils.size(), sh, sw}, torch::kByte);
  for (size_t k = 0; k < stencils.size(); ++k) {
    b.masks[(int64_t)k].slice(0, 0, stencils[k].size(0)).slice(1, 0, stencils[k].size(1)).copy_(stencils[k]);
    b.h.push_back(stencils[k].size(0));
    b.w.push_back(stencils[k].size(1));
  }
  return b;
}

const Bank& shape_bank() {
  static const Bank b = make_bank({shape_stencil(0), shape_stencil(1), shape_stencil(2)});
  return b;
}

const Bank& corner_bank() {
  static const Bank b =
      make_bank({corner_stencil(0), corner_stencil(1), corner_stencil(2), corner_stencil(3), corner_square_stencil()});
  return b;
}

// Bars of a 20x20 image: 0 vertical (one column), 1 horizontal (one row).
const Bank& bar_bank() {
  static const Bank b = make_bank({torch::ones({20, 1}, torch::kByte), torch::ones({1, 20}, torch::kByte)});
  return b;
}

Bank digit_bank(const Digits& d, bool cropped) {
  Bank b;
  b.masks = cropped ? d.cropped : d.full;
  const int64_t n = d.size();
  if (cropped) {
    const at::Tensor h = d.heights.contiguous(), w = d.widths.contiguous();
    b.h.assign(h.data_ptr<int64_t>(), h.data_ptr<int64_t>() + n);
    b.w.assign(w.data_ptr<int64_t>(), w.data_ptr<int64_t>() + n);
  } else {
    b.h.assign(n, d.full.size(1));
    b.w.assign(n, d.full.size(2));
  }
  return b;
}

// The objects of B images, J per image: rows (stencil, y, x); stencil -1 = absent.
struct Objects {
  int64_t B, J;
  std::vector<int64_t> v;
  Objects(int64_t b, int64_t j) : B(b), J(j), v((size_t)(b * j * 3), 0) {
    for (int64_t i = 0; i < b * j; ++i) v[(size_t)i * 3] = -1;
  }
  int64_t* at(int64_t b, int64_t j) { return &v[(size_t)((b * J + j) * 3)]; }
  void set(int64_t b, int64_t j, int64_t stencil, int64_t y, int64_t x) {
    int64_t* p = at(b, j);
    p[0] = stencil, p[1] = y, p[2] = x;
  }
  // Places stencil k of the bank with a uniform top-left, x in [0, W - w], y in [0, H - h].
  void place(int64_t b, int64_t j, int64_t k, const Bank& bank, int64_t H, int64_t W, ImageRng& r) {
    const int64_t x = r.uniform(0, W - bank.w[(size_t)k]);
    const int64_t y = r.uniform(0, H - bank.h[(size_t)k]);
    set(b, j, k, y, x);
  }
  at::Tensor tensor() const {
    return torch::from_blob(const_cast<int64_t*>(v.data()), {B, J, 3}, torch::kLong).clone();
  }
};

// Adds object column `obj` (int64 [B, 3]) of bank into count and label (int32 [B, H, W]); returns
// its mask (uint8 [B, H, W]). Every image gathers its own stencil at its own offset: one tensor op
// for the whole batch.
at::Tensor stamp(at::Tensor& count, at::Tensor& label, const at::Tensor& masks, const at::Tensor& obj, int64_t id) {
  const int64_t B = count.size(0), H = count.size(1), W = count.size(2);
  const int64_t SH = masks.size(1), SW = masks.size(2);
  const at::Tensor k = obj.select(1, 0), y = obj.select(1, 1), x = obj.select(1, 2);
  const at::Tensor rr = torch::arange(H, torch::kLong).unsqueeze(0) - y.unsqueeze(1);  // [B, H]
  const at::Tensor cc = torch::arange(W, torch::kLong).unsqueeze(0) - x.unsqueeze(1);  // [B, W]
  const at::Tensor vr = rr.ge(0).logical_and_(rr.lt(SH)).logical_and_(k.ge(0).unsqueeze(1));
  const at::Tensor vc = cc.ge(0).logical_and_(cc.lt(SW));
  at::Tensor m =
      masks.index({k.clamp_min(0).view({B, 1, 1}), rr.clamp(0, SH - 1).unsqueeze(2), cc.clamp(0, SW - 1).unsqueeze(1)});
  m.mul_(vr.unsqueeze(2).logical_and(vc.unsqueeze(1)));
  count.add_(m);
  label.add_(m, id);
  return m;
}

LabeledImages finish(const at::Tensor& count, const at::Tensor& label, at::Tensor objects) {
  LabeledImages out;
  out.images = count.gt(0).to(torch::kByte);
  out.groups = torch::where(count.eq(1), label, torch::zeros({}, label.options())).to(torch::kByte);
  out.objects = std::move(objects);
  return out;
}

// Renders the objects: slot j from banks[j] with label labels[j].
LabeledImages render(const Objects& o, const std::vector<const Bank*>& banks, const std::vector<int64_t>& labels,
                     int64_t H, int64_t W) {
  at::Tensor count = torch::zeros({o.B, H, W}, torch::kInt), label = torch::zeros({o.B, H, W}, torch::kInt);
  const at::Tensor t = o.tensor();
  for (int64_t j = 0; j < o.J; ++j) stamp(count, label, banks[(size_t)j]->masks, t.select(1, j), labels[(size_t)j]);
  return finish(count, label, t);
}

std::vector<int64_t> one_to(int64_t n) {
  std::vector<int64_t> v((size_t)n);
  std::iota(v.begin(), v.end(), 1);
  return v;
}

LabeledImages as_float(LabeledImages li) {
  li.images = li.images.to(torch::kFloat);
  li.groups = li.groups.to(torch::kFloat);
  return li;
}

LabeledImages concat(const LabeledImages& a, const LabeledImages& b) {
  LabeledImages out;
  out.images = torch::cat({a.images, b.images});
  out.groups = torch::cat({a.groups, b.groups});
  out.objects = torch::cat({a.objects, b.objects});
  return out;
}

// Fisher-Yates with our own uniform integers.
LabeledImages shuffled(const LabeledImages& li, std::mt19937_64& rng) {
  std::vector<int64_t> p((size_t)li.size());
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = (int64_t)p.size() - 1; i > 0; --i) std::swap(p[(size_t)i], p[(size_t)uniform(rng, 0, i)]);
  const at::Tensor idx = torch::tensor(p, torch::kLong);
  LabeledImages out;
  out.images = li.images.index_select(0, idx);
  out.groups = li.groups.index_select(0, idx);
  out.objects = li.objects.index_select(0, idx);
  return out;
}

// ---- The generators on uint8 tensors.

LabeledImages bars_u8(int64_t n, std::mt19937_64& rng) {
  Objects o(n, 12);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    for (int axis = 0; axis < 2; ++axis) {  // 6 distinct columns, then 6 distinct rows
      int64_t lines[20];
      std::iota(lines, lines + 20, 0);
      for (int64_t j = 0; j < 6; ++j) {
        std::swap(lines[j], lines[r.uniform(j, 19)]);
        if (axis == 0)
          o.set(b, j, 0, 0, lines[j]);
        else
          o.set(b, 6 + j, 1, lines[j], 0);
      }
    }
  }
  return render(o, std::vector<const Bank*>(12, &bar_bank()), one_to(12), 20, 20);
}

LabeledImages single_bars_u8(int64_t n, bool horizontal, std::mt19937_64& rng) {
  Objects o(n, 1);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    o.place(b, 0, horizontal ? 1 : 0, bar_bank(), 20, 20, r);
  }
  return render(o, {&bar_bank()}, {1}, 20, 20);
}

LabeledImages shapes_u8(int64_t n, int64_t objects, int64_t type, std::mt19937_64& rng, int64_t size) {
  HNN_CHECK(objects >= 1 && type >= -1 && type <= 2 && size >= 12,
            "dasbe shapes: {} objects of type {} in {}x{} (expected >= 1 object, type -1..2, size >= 12)", objects,
            type, size, size);
  Objects o(n, objects);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    for (int64_t j = 0; j < objects; ++j)
      o.place(b, j, type >= 0 ? type : r.uniform(0, 2), shape_bank(), size, size, r);
  }
  LabeledImages li = render(o, std::vector<const Bank*>((size_t)objects, &shape_bank()), one_to(objects), size, size);
  li.pos = li.objects.select(1, 0).slice(1, 1, 3).to(torch::kDouble);
  return li;
}

LabeledImages corners_u8(int64_t n, std::mt19937_64& rng) {
  Objects o(n, 5);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    o.place(b, 0, 4, corner_bank(), 28, 28, r);
    for (int64_t j = 1; j < 5; ++j) o.place(b, j, r.uniform(0, 3), corner_bank(), 28, 28, r);
  }
  return render(o, std::vector<const Bank*>(5, &corner_bank()), one_to(5), 28, 28);
}

LabeledImages single_corners_u8(int64_t n, bool square, std::mt19937_64& rng) {
  Objects o(n, 1);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    o.place(b, 0, square ? 4 : r.uniform(0, 3), corner_bank(), 28, 28, r);
  }
  return render(o, {&corner_bank()}, {1}, 28, 28);
}

void check_digits(const Digits& d) {
  HNN_CHECK(d.size() > 0 && d.cropped.defined() && d.heights.defined() && d.widths.defined(),
            "dasbe: no digits (use load_mnist_digits or prepare_digits)");
}

LabeledImages multi_mnist_u8(int64_t n, const Digits& d, std::mt19937_64& rng) {
  check_digits(d);
  const Bank bank = digit_bank(d, true);
  const int64_t H = 48, W = 48, N = d.size();
  Objects o(n, 3);
  std::vector<ImageRng> rngs;
  rngs.reserve((size_t)n);
  for (int64_t b = 0; b < n; ++b) {
    rngs.push_back(ImageRng{rng()});
    for (int64_t j = 0; j < 3; ++j) o.set(b, j, rngs.back().uniform(0, N - 1), 0, 0);
  }
  at::Tensor count = torch::zeros({n, H, W}, torch::kInt), label = torch::zeros({n, H, W}, torch::kInt);
  // Positions of every pending image are (re)drawn until its last digit is covered by the others
  // on less than a fifth of its pixels; the digits stay.
  std::vector<int64_t> todo((size_t)n);
  std::iota(todo.begin(), todo.end(), 0);
  for (int round = 0; !todo.empty(); ++round) {
    HNN_CHECK(round < 10000, "multi_mnist: no placement of digits with an overlap fraction below 0.2 in 10000 tries");
    const int64_t S = (int64_t)todo.size();
    Objects sub(S, 3);
    for (int64_t s = 0; s < S; ++s) {
      const int64_t b = todo[(size_t)s];
      for (int64_t j = 0; j < 3; ++j) sub.place(s, j, o.at(b, j)[0], bank, H, W, rngs[(size_t)b]);
    }
    at::Tensor c = torch::zeros({S, H, W}, torch::kInt), l = torch::zeros({S, H, W}, torch::kInt);
    const at::Tensor t = sub.tensor();
    stamp(c, l, bank.masks, t.select(1, 0), 1);
    stamp(c, l, bank.masks, t.select(1, 1), 2);
    const at::Tensor last = stamp(c, l, bank.masks, t.select(1, 2), 3).to(torch::kBool);
    const at::Tensor covered = c.ge(2).logical_and_(last).sum({1, 2}), total = last.sum({1, 2});
    const at::Tensor accept = covered.mul(5).lt(total).logical_or_(total.eq(0)).contiguous();
    const at::Tensor idx = torch::tensor(todo, torch::kLong);
    count.index_copy_(0, idx, c);
    label.index_copy_(0, idx, l);
    std::vector<int64_t> next;
    const bool* a = accept.data_ptr<bool>();
    for (int64_t s = 0; s < S; ++s) {
      const int64_t b = todo[(size_t)s];
      for (int64_t j = 0; j < 3; ++j) {
        const int64_t* p = sub.at(s, j);
        o.set(b, j, p[0], p[1], p[2]);
      }
      if (!a[s]) next.push_back(b);
    }
    todo.swap(next);
  }
  return finish(count, label, o.tensor());
}

LabeledImages single_digits_u8(int64_t n, int64_t first, const Digits& d, std::mt19937_64& rng) {
  check_digits(d);
  const Bank bank = digit_bank(d, true);
  Objects o(n, 1);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    o.place(b, 0, (first + b) % d.size(), bank, 48, 48, r);
  }
  return render(o, {&bank}, {1}, 48, 48);
}

LabeledImages mnist_shape_u8(int64_t n, int64_t first, const Digits& d, std::mt19937_64& rng) {
  check_digits(d);
  HNN_CHECK(d.full.size(1) == 28 && d.full.size(2) == 28, "mnist_shape: digits of 28x28 expected");
  const Bank bank = digit_bank(d, false);
  Objects o(n, 2);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    o.set(b, 0, first >= 0 ? (first + b) % d.size() : r.uniform(0, d.size() - 1), 0, 0);
    o.place(b, 1, r.uniform(0, 2), shape_bank(), 28, 28, r);
  }
  return render(o, {&bank, &shape_bank()}, {1, 2}, 28, 28);
}

LabeledImages lone_mnist_shape_u8(int64_t n, bool digit, const Digits& d, std::mt19937_64& rng) {
  Objects o(n, 1);
  if (!digit) {
    for (int64_t b = 0; b < n; ++b) {
      ImageRng r{rng()};
      o.place(b, 0, r.uniform(0, 2), shape_bank(), 28, 28, r);
    }
    return render(o, {&shape_bank()}, {2}, 28, 28);
  }
  check_digits(d);
  const Bank bank = digit_bank(d, false);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    o.set(b, 0, r.uniform(0, d.size() - 1), 0, 0);
  }
  return render(o, {&bank}, {1}, 28, 28);
}

LabeledImages moving_u8(int64_t n, int64_t frames, const std::vector<int64_t>& appear_at, int64_t type,
                        std::mt19937_64& rng) {
  const int64_t J = (int64_t)appear_at.size(), H = 28, W = 28;
  HNN_CHECK(frames >= 1 && J >= 1 && type >= -1 && type <= 2,
            "moving shapes: {} frames, {} shapes of type {} (expected >= 1 frame, >= 1 shape, type -1..2)", frames, J,
            type);
  static const int64_t kDirections[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, -1}, {-1, 1}};
  const Bank& bank = shape_bank();
  Objects o(n * frames, J);
  for (int64_t b = 0; b < n; ++b) {
    ImageRng r{rng()};
    for (int64_t j = 0; j < J; ++j) {
      const int64_t k = type >= 0 ? type : r.uniform(0, 2);
      const int64_t sx = bank.w[(size_t)k], sy = bank.h[(size_t)k];
      int64_t x = r.uniform(0, W - sx), y = r.uniform(0, H - sy);
      const int64_t* dir = kDirections[r.uniform(0, 7)];
      int64_t dx = dir[0], dy = dir[1];
      for (int64_t t = appear_at[(size_t)j]; t < frames; ++t) {
        o.set(b * frames + t, j, k, y, x);
        x += dx;
        if (x > W - sx) x = W - sx - 1, dx = -dx;
        if (x < 0) x = 1, dx = -dx;
        y += dy;
        if (y > H - sy) y = H - sy - 1, dy = -dy;
        if (y < 0) y = 1, dy = -dy;
      }
    }
  }
  LabeledImages li = render(o, std::vector<const Bank*>((size_t)J, &bank), one_to(J), H, W);
  li.images = li.images.view({n, frames, H, W});
  li.groups = li.groups.view({n, frames, H, W});
  li.objects = li.objects.view({n, frames, J, 3});
  return li;
}

// ---- Datasets and splits.

const std::vector<DatasetInfo>& all_datasets() {
  // Seeds: the reference's (shapes and shapes_with_pos 265076, bars 471958, corners 746519283,
  // multi_mnist 36520, mnist_shape 985619); the moving sets have none in the spec: ours.
  static const std::vector<DatasetInfo> v{
      {"bars", 20, 20, 0, 13, "bars.h5", 471958},
      {"shapes", 28, 28, 0, 4, "shapes.h5", 265076},
      {"corners", 28, 28, 0, 6, "corners.h5", 746519283},
      {"multi_mnist", 48, 48, 0, 4, "multi_mnist.h5", 36520},
      {"mnist_shape", 28, 28, 0, 3, "mnist_shape.h5", 985619},
      {"shapes_with_pos", 28, 28, 0, 2, "shapes_with_pos.h5", 265076},
      {"moving_shapes", 28, 28, 1000, 4, "moving_shapes.h5", 5101},
      {"moving_shapes_3", 28, 28, 200, 4, "moving_shapes_3.h5", 5102},
      {"moving_shapes_large", 28, 28, 1000, 4, "moving_shapes_large.h5", 5103},
  };
  return v;
}

struct SplitDef {
  std::string name;
  int64_t count;  // at scale 1
};

std::vector<SplitDef> split_defs(const std::string& dataset) {
  const std::string& n = dataset_info(dataset).name;
  if (n == "bars")
    return {{"train_multi", 60000},
            {"test", 10000},
            {"train_single", 200},
            {"train_single_hori", 100},
            {"train_single_vert", 100}};
  if (n == "shapes")
    return {{"train_multi", 60000},    {"test", 10000},           {"train_single", 20000},
            {"train_single_0", 20000}, {"train_single_1", 20000}, {"train_single_2", 20000}};
  if (n == "corners") return {{"train_multi", 60000}, {"test", 10000}, {"train_single", 15000}};
  if (n == "multi_mnist") return {{"train_multi", 60000}, {"test", 10000}, {"train_single", 300000}};
  if (n == "mnist_shape") return {{"train_multi", 60000}, {"test", 10000}, {"train_single", 20000}};
  if (n == "shapes_with_pos") return {{"train_single_0", 60000}, {"train_single_1", 60000}, {"train_single_2", 60000}};
  if (n == "moving_shapes")
    return {{"train_multi", 60},    {"test", 60},           {"train_single", 60},
            {"train_single_0", 60}, {"train_single_1", 60}, {"train_single_2", 60}};
  if (n == "moving_shapes_3")
    return {{"train_multi", 600},   {"test", 60},           {"train_single", 60},
            {"train_single_0", 60}, {"train_single_1", 60}, {"train_single_2", 60}};
  // moving_shapes_large (no generator in the reference; inferred): moving_shapes with 10x the
  // single-shape sequences that train the RBAE.
  return {{"train_multi", 60}, {"test", 60}, {"train_single", 600}};
}

int64_t scaled(int64_t base, double scale) {
  return std::max<int64_t>(1, std::llround((double)base * scale));
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// The random stream of one split: depends on the dataset's seed and the split's name only.
std::mt19937_64 split_engine(uint64_t seed, const std::string& split) {
  const uint64_t h = fnv1a(split);
  std::seed_seq seq{(uint32_t)seed, (uint32_t)(seed >> 32), (uint32_t)h, (uint32_t)(h >> 32)};
  return std::mt19937_64(seq);
}

// MNIST digits, loaded once and only when a split needs them.
class DigitSource {
 public:
  explicit DigitSource(std::string dir) : dir_(std::move(dir)) {}
  const Digits& get(bool train) {
    std::optional<Digits>& d = train ? train_ : test_;
    if (!d) d = load_mnist_digits(train, dir_);
    return *d;
  }

 private:
  std::string dir_;
  std::optional<Digits> train_, test_;
};

// Generates one split in slices (uint8). Small shuffled splits are made whole on the first call.
class SplitGenerator {
 public:
  SplitGenerator(const DatasetInfo& info, const std::string& split, uint64_t seed, double scale, DigitSource& digits)
      : info_(info), split_(split), seed_(seed), scale_(scale), digits_(digits), rng_(split_engine(seed, split)) {
    total_ = split_size(info.name, split, scale);
  }
  int64_t total() const { return total_; }

  LabeledImages next(int64_t n) {
    n = std::min(n, total_ - done_);
    LabeledImages li;
    if (whole_.images.defined() || make_whole()) {
      li.images = whole_.images.narrow(0, done_, n);
      li.groups = whole_.groups.narrow(0, done_, n);
      li.objects = whole_.objects.narrow(0, done_, n);
    } else {
      li = make(n);
    }
    done_ += n;
    return li;
  }

 private:
  bool is(const char* d, const char* s) const { return info_.name == d && split_ == s; }

  // The splits that are a shuffle of two kinds of image (§1.4, §1.5, §1.8).
  bool make_whole() {
    if (is("bars", "train_single")) {
      // The same images as train_single_hori and train_single_vert, shuffled.
      std::mt19937_64 h = split_engine(seed_, "train_single_hori"), v = split_engine(seed_, "train_single_vert");
      whole_ = concat(single_bars_u8(split_size("bars", "train_single_hori", scale_), true, h),
                      single_bars_u8(split_size("bars", "train_single_vert", scale_), false, v));
    } else if (is("corners", "train_single")) {
      const int64_t squares = total_ / 7;
      whole_ = concat(single_corners_u8(squares, true, rng_), single_corners_u8(total_ - squares, false, rng_));
    } else if (is("mnist_shape", "train_single")) {
      const int64_t half = total_ / 2;
      whole_ = concat(lone_mnist_shape_u8(half, true, digits_.get(true), rng_),
                      lone_mnist_shape_u8(total_ - half, false, Digits{}, rng_));
    } else {
      return false;
    }
    whole_ = shuffled(whole_, rng_);
    return true;
  }

  LabeledImages make(int64_t n) {
    const std::string& d = info_.name;
    const bool multi = split_ == "train_multi" || split_ == "test";
    const int64_t fixed = split_.rfind("train_single_", 0) == 0 && split_.size() == 14 ? split_.back() - '0' : -1;
    if (d == "bars") {
      if (multi) return bars_u8(n, rng_);
      return single_bars_u8(n, split_ == "train_single_hori", rng_);
    }
    if (d == "shapes" || d == "shapes_with_pos") return shapes_u8(n, multi ? 3 : 1, fixed, rng_, 28);
    if (d == "corners") return corners_u8(n, rng_);
    if (d == "multi_mnist") {
      if (multi) return multi_mnist_u8(n, digits_.get(split_ == "train_multi"), rng_);
      return single_digits_u8(n, done_, digits_.get(true), rng_);
    }
    if (d == "mnist_shape") return mnist_shape_u8(n, done_, digits_.get(split_ == "train_multi"), rng_);
    // Moving shapes: all present from frame 0, or appearing at frames 0, 15, 30 (moving_shapes_3).
    std::vector<int64_t> appear =
        d == "moving_shapes_3" ? std::vector<int64_t>{0, 15, 30} : std::vector<int64_t>{0, 0, 0};
    if (!multi) appear.resize(1);
    return moving_u8(n, info_.frames, appear, fixed, rng_);
  }

  const DatasetInfo& info_;
  std::string split_;
  uint64_t seed_;
  double scale_;
  DigitSource& digits_;
  std::mt19937_64 rng_;
  int64_t total_ = 0, done_ = 0;
  LabeledImages whole_;
};

void check_split(const std::string& dataset, const std::string& split) {
  const auto names = split_names(dataset);
  HNN_CHECK(std::find(names.begin(), names.end(), split) != names.end(), "dataset {} has no split '{}' (it has {})",
            dataset, split, fmt::join(names, ", "));
}

}  // namespace

// ---- Public API.

std::vector<DatasetInfo> datasets() {
  return all_datasets();
}

const DatasetInfo& dataset_info(const std::string& name) {
  for (const auto& d : all_datasets())
    if (d.name == name) return d;
  std::vector<std::string> names;
  for (const auto& d : all_datasets()) names.push_back(d.name);
  fail("unknown DASBE dataset '{}' (expected one of {})", name, fmt::join(names, ", "));
}

at::Tensor shape_stencil(int64_t index) {
  HNN_CHECK(index >= 0 && index <= 2, "shape stencil {} (expected 0 square, 1 triangle up, 2 triangle down)", index);
  if (index == 0) {
    at::Tensor s = torch::ones({7, 7}, torch::kByte);
    s.slice(0, 2, 5).slice(1, 2, 5).zero_();
    return s;
  }
  // Inclusive column ranges per row of the upward triangle (-1: none).
  static const int kRanges[7][4] = {{5, 6, -1, -1}, {4, 7, -1, -1},  {3, 8, -1, -1}, {2, 4, 7, 9},
                                    {1, 3, 8, 10},  {0, 11, -1, -1}, {0, 11, -1, -1}};
  at::Tensor s = torch::zeros({7, 12}, torch::kByte);
  for (int r = 0; r < 7; ++r)
    for (int k = 0; k < 4 && kRanges[r][k] >= 0; k += 2) s[r].slice(0, kRanges[r][k], kRanges[r][k + 1] + 1).fill_(1);
  return index == 1 ? s : s.flip({0}).contiguous();
}

at::Tensor corner_stencil(int64_t orientation) {
  HNN_CHECK(orientation >= 0 && orientation <= 3, "corner orientation {} (expected 0..3)", orientation);
  at::Tensor s = torch::zeros({5, 5}, torch::kByte);
  s.slice(0, 0, 2).fill_(1);
  s.slice(1, 0, 2).fill_(1);
  if (orientation == 1) return s.flip({0}).contiguous();
  if (orientation == 2) return s.flip({1}).contiguous();
  if (orientation == 3) return s.flip({0, 1}).contiguous();
  return s;
}

at::Tensor corner_square_stencil() {
  at::Tensor s = torch::zeros({20, 20}, torch::kByte);
  s.slice(0, 0, 5).slice(1, 0, 5).copy_(corner_stencil(0));
  s.slice(0, 15, 20).slice(1, 0, 5).copy_(corner_stencil(1));
  s.slice(0, 0, 5).slice(1, 15, 20).copy_(corner_stencil(2));
  s.slice(0, 15, 20).slice(1, 15, 20).copy_(corner_stencil(3));
  return s;
}

std::vector<std::string> split_names(const std::string& dataset) {
  std::vector<std::string> names;
  for (const auto& s : split_defs(dataset)) names.push_back(s.name);
  return names;
}

int64_t split_size(const std::string& dataset, const std::string& split, double scale) {
  HNN_CHECK(scale > 0 && std::isfinite(scale), "dataset scale {} (expected > 0)", scale);
  check_split(dataset, split);
  const std::string& d = dataset_info(dataset).name;
  // Splits made of two kinds keep both at the scaled size (100 + 100 bars, 10000 + 10000 mnist_shape).
  if (d == "bars" && split == "train_single")
    return split_size(d, "train_single_hori", scale) + split_size(d, "train_single_vert", scale);
  if (d == "mnist_shape" && split == "train_single") return 2 * scaled(10000, scale);
  for (const auto& s : split_defs(d))
    if (s.name == split) return scaled(s.count, scale);
  return 0;
}

void generate_dataset(const std::string& name, const std::string& path, const DataOptions& opt) {
  const DatasetInfo& info = dataset_info(name);
  HNN_CHECK(opt.scale > 0 && std::isfinite(opt.scale), "dataset scale {} (expected > 0)", opt.scale);
  const uint64_t seed = opt.seed ? opt.seed : info.seed;
  const bool video = info.frames > 0;
  std::vector<int64_t> row{info.height, info.width};
  if (video) row.insert(row.begin(), info.frames);
  DigitSource digits(opt.mnist_dir);

  io::H5Writer w(path);
  w.set_attribute("/", "dataset", info.name);
  w.set_attribute("/", "seed", std::to_string(seed));
  w.set_attribute("/", "scale", fmt::format("{}", opt.scale));
  w.set_attribute("/", "generator", "hnn");
  w.set_attribute("/", "format", "default and groups as uint8 (the reference stored float32: same values)");
  if (info.name == "multi_mnist" || info.name == "mnist_shape")
    w.set_attribute("/", "mnist_train_digits", std::to_string(digits.get(true).size()));
  for (const auto& split : split_names(name)) {
    SplitGenerator g(info, split, seed, opt.scale, digits);
    const int64_t chunk = video ? 10 : 100;
    w.create_extendable(split + "/default", at::kByte, row, chunk, 4);
    w.create_extendable(split + "/groups", at::kByte, row, chunk, 4);
    const bool pos = info.name == "shapes_with_pos";
    if (pos) w.create_extendable(split + "/pos", at::kDouble, {2}, 1000, 4);
    const int64_t pixels = std::accumulate(row.begin(), row.end(), int64_t(1), std::multiplies<int64_t>());
    const int64_t slice = std::max(chunk, kSlicePixels / pixels / chunk * chunk);
    for (int64_t done = 0; done < g.total();) {
      const LabeledImages li = g.next(slice);
      w.append(split + "/default", li.images);
      w.append(split + "/groups", li.groups);
      if (pos) w.append(split + "/pos", li.objects.select(1, 0).slice(1, 1, 3).to(torch::kDouble).contiguous());
      done += li.size();
      if (opt.progress) opt.progress(split, done, g.total());
    }
  }
  w.commit();
}

LabeledImages generate_split(const std::string& dataset, const std::string& split, const DataOptions& opt) {
  const DatasetInfo& info = dataset_info(dataset);
  check_split(dataset, split);
  const uint64_t seed = opt.seed ? opt.seed : info.seed;
  DigitSource digits(opt.mnist_dir);
  SplitGenerator g(info, split, seed, opt.scale, digits);
  LabeledImages li = g.next(g.total());
  if (opt.progress) opt.progress(split, li.size(), g.total());
  li.pos = info.name == "shapes_with_pos" ? li.objects.select(1, 0).slice(1, 1, 3).to(torch::kDouble) : at::Tensor();
  return as_float(std::move(li));
}

LabeledImages read_split(const std::string& path, const std::string& split, int64_t first, int64_t count) {
  io::H5Reader r(path);
  const std::string images = split + "/default", groups = split + "/groups";
  HNN_CHECK(r.has(images) && r.has(groups), "'{}' has no split '{}' (it has {})", path, split,
            fmt::join(r.list(), ", "));
  HNN_CHECK(!r.shape(images).empty(), "'{}': split '{}' holds a scalar, not images", path, split);
  const int64_t rows = r.shape(images)[0];
  HNN_CHECK(r.shape(groups) == r.shape(images), "'{}': split '{}' has images and groups of different shapes", path,
            split);
  if (count < 0) count = rows - first;
  HNN_CHECK(first >= 0 && count >= 0 && first + count <= rows, "'{}': rows [{}, {}) of split '{}', which has {}", path,
            first, first + count, split, rows);
  LabeledImages li;
  li.images = r.read_rows(images, first, count).to(torch::kFloat);
  li.groups = r.read_rows(groups, first, count).to(torch::kFloat);
  if (r.has(split + "/pos")) li.pos = r.read_rows(split + "/pos", first, count).to(torch::kDouble);
  return li;
}

// ---- The generators, float32.

LabeledImages bars_images(int64_t n, std::mt19937_64& rng) {
  return as_float(bars_u8(n, rng));
}
LabeledImages single_bar_images(int64_t n, bool horizontal, std::mt19937_64& rng) {
  return as_float(single_bars_u8(n, horizontal, rng));
}
LabeledImages shape_images(int64_t n, int64_t objects, int64_t type, std::mt19937_64& rng, int64_t size) {
  return as_float(shapes_u8(n, objects, type, rng, size));
}
LabeledImages corner_images(int64_t n, std::mt19937_64& rng) {
  return as_float(corners_u8(n, rng));
}
LabeledImages single_corner_images(int64_t n, bool square, std::mt19937_64& rng) {
  return as_float(single_corners_u8(n, square, rng));
}
LabeledImages multi_mnist_images(int64_t n, const Digits& digits, std::mt19937_64& rng) {
  return as_float(multi_mnist_u8(n, digits, rng));
}
LabeledImages single_digit_images(int64_t n, int64_t first, const Digits& digits, std::mt19937_64& rng) {
  return as_float(single_digits_u8(n, first, digits, rng));
}
LabeledImages mnist_shape_images(int64_t n, int64_t first, const Digits& digits, std::mt19937_64& rng) {
  return as_float(mnist_shape_u8(n, first, digits, rng));
}
LabeledImages lone_mnist_shape_images(int64_t n, bool digit, const Digits& digits, std::mt19937_64& rng) {
  return as_float(lone_mnist_shape_u8(n, digit, digits, rng));
}
LabeledImages moving_shape_videos(int64_t n, int64_t frames, const std::vector<int64_t>& appear_at, int64_t type,
                                  std::mt19937_64& rng) {
  return as_float(moving_u8(n, frames, appear_at, type, rng));
}

Digits prepare_digits(const at::Tensor& images) {
  HNN_CHECK(images.defined() && (images.dim() == 3 || (images.dim() == 4 && images.size(1) == 1)),
            "dasbe digits: images [N, H, W] or [N, 1, H, W] expected");
  const at::Tensor img = images.dim() == 4 ? images.select(1, 0) : images;
  const int64_t N = img.size(0), h = img.size(1), w = img.size(2);
  // gray = pixel / 255 for uint8: gray > 0.5 and gray >= 0.5 are both pixel >= 128. Everything
  // stays uint8 (a float copy of 22,699 digits costs more than the rest).
  const bool u8 = img.scalar_type() == torch::kByte;
  const at::Tensor gray = u8 ? img : img.to(torch::kFloat);
  Digits d;
  d.full = (u8 ? gray.ge(128) : gray.gt(0.5)).to(torch::kByte);
  const at::Tensor half = u8 ? d.full : gray.ge(0.5).to(torch::kByte);
  // Deleting every all-zero row and column (interior ones too): a stable sort puts the kept rows
  // (columns) first, in order; two gathers then compact every digit at once.
  const at::Tensor nz = gray.ne(0);
  const at::Tensor keep_r = nz.any(2), keep_c = nz.any(1);  // [N, h], [N, w]
  const c10::optional<bool> stable(true);
  const at::Tensor order_r = std::get<1>(torch::sort(keep_r.logical_not().to(torch::kByte), stable, 1, false));
  const at::Tensor order_c = std::get<1>(torch::sort(keep_c.logical_not().to(torch::kByte), stable, 1, false));
  const at::Tensor hs = keep_r.sum(1), ws = keep_c.sum(1);
  const at::Tensor g =
      half.gather(1, order_r.unsqueeze(2).expand({N, h, w})).gather(2, order_c.unsqueeze(1).expand({N, h, w}));
  const at::Tensor valid =
      torch::arange(h).view({1, h, 1}).lt(hs.view({N, 1, 1})) & torch::arange(w).view({1, 1, w}).lt(ws.view({N, 1, 1}));
  d.cropped = g.mul_(valid);
  d.heights = hs.clamp_min(1).to(torch::kLong);
  d.widths = ws.clamp_min(1).to(torch::kLong);
  return d;
}

Digits load_mnist_digits(bool train, const std::string& dir) {
  const std::string d = dir.empty() ? shared_data_path("mnist") : dir;
  HNN_CHECK(!d.empty(), "the DASBE MNIST sets need ../shared/data/mnist (or $HNN_DATA_DIR/mnist, or a folder given)");
  const std::vector<std::string> names =
      train ? std::vector<std::string>{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                                       "train-images-idx3-ubyte.first22699.gz"}
            : std::vector<std::string>{"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"};
  // Loaded once per process: every MNIST split (and generate_split in the tests) needs them.
  static std::mutex mutex;
  static std::map<std::string, Digits> cache;
  for (const auto& n : names) {
    const std::string p = d + "/" + n;
    if (!file_exists(p)) continue;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(p);
    if (it == cache.end()) it = cache.emplace(p, prepare_digits(data::read_idx(p))).first;
    return it->second;
  }
  fail("no MNIST {} images in '{}' (looked for {})", train ? "training" : "test", d, fmt::join(names, ", "));
}

}  // namespace hnn::models::dasbe
