#include "hnn/models/hmn/tasks.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <numeric>
#include <random>

#include "hnn/core/error.h"
#include "hnn/core/json.h"
#include "hnn/core/shape.h"
#include "models/hmn/file.h"

namespace hnn::models::hmn {

namespace {

void check(const TaskOptions& o) {
  HNN_CHECK(o.count > 0 && o.dims > 1 && o.group > 0 && o.continual >= 0 && o.continual <= o.count,
            "hmn tasks: need count > 0, dims > 1, group > 0 and 0 <= continual <= count (count {}, dims {}, group {}, "
            "continual {})",
            o.count, o.dims, o.group, o.continual);
  HNN_CHECK(o.shuffle_min > 0 && o.shuffle_min <= o.shuffle_max && o.shuffle_max < o.dims,
            "hmn tasks: the partial-shuffle length {}-{} must lie in 1 .. dims - 1 = {}", o.shuffle_min, o.shuffle_max,
            o.dims - 1);
  HNN_CHECK(o.stage1_fraction >= 0 && o.stage1_fraction < 1, "hmn tasks: stage-1 fraction {} is not in [0, 1)",
            o.stage1_fraction);
}

}  // namespace

TaskSet make_tasks(const TaskOptions& o, uint64_t seed) {
  check(o);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x7A5Cull);
  const auto D = static_cast<size_t>(o.dims);
  std::vector<int64_t> cur(D);
  std::iota(cur.begin(), cur.end(), 0);
  std::shuffle(cur.begin(), cur.end(), rng);
  TaskSet set;
  set.options = o;
  set.seed = seed;
  set.permutations = torch::empty({o.count, o.dims}, torch::kLong);
  auto rows = set.permutations.accessor<int64_t, 2>();
  std::uniform_int_distribution<int64_t> length(o.shuffle_min, o.shuffle_max);
  for (int64_t k = 0; k < o.count; ++k) {
    if (k > 0) {
      // A new group starts from a full reshuffle; otherwise derive from the previous task.
      if (k % o.group == 0) std::shuffle(cur.begin(), cur.end(), rng);
      const int64_t p = length(rng);
      std::uniform_int_distribution<int64_t> start(0, o.dims - p - 1);
      const int64_t s = start(rng);
      std::shuffle(cur.begin() + s, cur.begin() + s + p, rng);
    }
    for (size_t j = 0; j < D; ++j) rows[k][static_cast<int64_t>(j)] = cur[j];
  }
  return set;
}

at::Tensor TaskSet::similarity() const {
  const int64_t n = size(), d = options.dims;
  at::Tensor s = torch::empty({n, n}, torch::kFloat);
  auto out = s.accessor<float, 2>();
  auto p = permutations.accessor<int64_t, 2>();
  for (int64_t a = 0; a < n; ++a) {
    out[a][a] = 1;
    for (int64_t b = a + 1; b < n; ++b) {
      int64_t same = 0;
      for (int64_t j = 0; j < d; ++j) same += p[a][j] == p[b][j];
      out[a][b] = out[b][a] = static_cast<float>(static_cast<double>(same) / static_cast<double>(d));
    }
  }
  return s;
}

std::vector<int64_t> TaskSet::continual_tasks() const {
  std::vector<int64_t> t(static_cast<size_t>(options.continual));
  std::iota(t.begin(), t.end(), size() - options.continual);
  return t;
}

std::vector<int64_t> TaskSet::stage1_tasks() const {
  const int64_t first = size() - options.continual;
  std::vector<int64_t> t(static_cast<size_t>(first));
  std::iota(t.begin(), t.end(), 0);
  // In each group of the continual sequence, the offsets 1 .. group * fraction (the reference's
  // 660 + 4g + {1, 2}); the other offsets stay unseen by the ANN.
  const auto seen = static_cast<int64_t>(static_cast<double>(options.group) * options.stage1_fraction);
  for (int64_t k = first; k < size(); ++k) {
    const int64_t offset = (k - first) % options.group;
    if (offset >= 1 && offset <= seen) t.push_back(k);
  }
  return t;
}

at::Tensor TaskSet::apply(const at::Tensor& x, int64_t k) const {
  HNN_CHECK(k >= 0 && k < size(), "hmn tasks: task {} of {}", k, size());
  HNN_CHECK(x.dim() >= 1 && x.size(-1) == options.dims, "hmn tasks: input {} does not end in the {} inputs",
            shape_str(x.sizes()), options.dims);
  return x.index_select(x.dim() - 1, permutations[k]);
}

void save_tasks(const std::string& path, const TaskSet& t) {
  const auto& o = t.options;
  nlohmann::json h = {{"count", o.count},
                      {"dims", o.dims},
                      {"group", o.group},
                      {"continual", o.continual},
                      {"shuffle_min", o.shuffle_min},
                      {"shuffle_max", o.shuffle_max},
                      {"stage1_fraction", o.stage1_fraction},
                      {"seed", t.seed}};
  HNN_CHECK(t.permutations.defined() && t.permutations.sizes() == torch::IntArrayRef({o.count, o.dims}),
            "hmn tasks: permutations do not match the options");
  const at::Tensor p = t.permutations.to(torch::kInt).contiguous();
  write_blob(path, "hnn.hmn.tasks.v1", h.dump(), {{p.data_ptr<int32_t>(), static_cast<size_t>(p.numel()) * 4}});
}

TaskSet load_tasks(const std::string& path) {
  Blob blob = read_blob(path, "hnn.hmn.tasks.v1");
  TaskSet t;
  try {
    auto j = nlohmann::json::parse(blob.header);
    t.options.count = json_integer<int64_t>(j.at("count"), "count");
    t.options.dims = json_integer<int64_t>(j.at("dims"), "dims");
    t.options.group = json_integer<int64_t>(j.at("group"), "group");
    t.options.continual = json_integer<int64_t>(j.at("continual"), "continual");
    t.options.shuffle_min = json_integer<int64_t>(j.at("shuffle_min"), "shuffle_min");
    t.options.shuffle_max = json_integer<int64_t>(j.at("shuffle_max"), "shuffle_max");
    t.options.stage1_fraction = j.at("stage1_fraction").get<double>();
    t.seed = json_integer<uint64_t>(j.at("seed"), "seed");
  } catch (const std::exception& e) {
    throw Error(fmt::format("hmn tasks: {}: bad header ({})", path, e.what()));
  }
  check(t.options);
  // Hostile input: count * dims is formed only once it cannot overflow (both are positive here).
  const auto words = static_cast<int64_t>(blob.payload_size() / 4);
  HNN_CHECK(blob.payload_size() % 4 == 0 && t.options.count <= words / t.options.dims &&
                t.options.count * t.options.dims == words,
            "hmn tasks: {}: {} bytes of data, expected 4 x {} tasks x {} inputs", path, blob.payload_size(),
            t.options.count, t.options.dims);
  const int64_t n = words;
  // The payload need not be 4-byte aligned: copy it out first.
  at::Tensor raw = torch::empty({t.options.count, t.options.dims}, torch::kInt);
  std::memcpy(raw.data_ptr<int32_t>(), blob.payload(), static_cast<size_t>(n) * 4);
  t.permutations = raw.to(torch::kLong);
  // Each row must be a permutation.
  const at::Tensor sorted = std::get<0>(t.permutations.sort(1));
  HNN_CHECK(torch::equal(sorted, torch::arange(t.options.dims, torch::kLong).expand_as(sorted)),
            "hmn tasks: {}: a row is not a permutation of 0..{}", path, t.options.dims - 1);
  return t;
}

}  // namespace hnn::models::hmn
