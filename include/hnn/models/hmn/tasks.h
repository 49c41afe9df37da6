// The HMN's permuted tasks (spec hnn-paper-systems.md §3.2): permutations of the D inputs in
// groups of `group`: task 0 a random permutation; task i+1 a partial shuffle (a contiguous slice of
// 300-399 elements randomly permuted) of task i, except that every `group`-th task starts from a
// full reshuffle, so tasks within a group are similar (about 85 % of positions equal between
// neighbours) and tasks of different groups unrelated (about 1/D). The last `continual` tasks are
// the SNN's continual-learning sequence; stage 1 (the ANN) trains on the others plus, in each of
// those last groups, the in-group offsets 1 .. group * stage1_fraction.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hnn::models::hmn {

struct TaskOptions {
  int64_t count = 700, dims = 2312, group = 4, continual = 40;
  int64_t shuffle_min = 300, shuffle_max = 399;  // partial-shuffle length, inclusive
  double stage1_fraction = 0.5;
};

struct TaskSet {
  TaskOptions options;
  uint64_t seed = 0;
  at::Tensor permutations;  // int64 [count, dims]: task k maps x'[j] = x[perm[k][j]]

  int64_t size() const { return permutations.defined() ? permutations.size(0) : 0; }
  // s(a, b) = fraction of positions where the permutations agree, float [count, count].
  at::Tensor similarity() const;
  std::vector<int64_t> continual_tasks() const;  // the last `continual`, in order
  std::vector<int64_t> stage1_tasks() const;
  // x [..., dims] permuted by task k.
  at::Tensor apply(const at::Tensor& x, int64_t k) const;
};

// Deterministic per seed.
TaskSet make_tasks(const TaskOptions& o, uint64_t seed);

// A LibTorch archive (options, seed and permutations); hnn::Error on a file that is not one.
void save_tasks(const std::string& path, const TaskSet& tasks);
TaskSet load_tasks(const std::string& path);

}  // namespace hnn::models::hmn
