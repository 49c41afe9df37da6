// Omniglot (Lake et al. 2015): the character images of an images_background*/images_evaluation*
// zip, and the 20-way one-shot benchmark runs of all_runs.zip. Images come as float [.., 1, S, S]
// in [0, 1] (white background = 1, ink = 0), resized from 105 x 105 to S x S with antialiased
// bilinear interpolation (as PIL's resize of the references).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace hnn::data {

struct OmniglotSet {
  at::Tensor images;                 // float [C, K, 1, S, S]: C characters with K drawings each
  std::vector<std::string> classes;  // "Alphabet/characterNN", in archive order
};

// Every character folder of the zip (each must have the same number of drawings).
OmniglotSet load_omniglot(const std::string& zip_path, int64_t size = 31);

struct OneShotRun {
  at::Tensor train;             // float [20, 1, S, S]: one drawing of each of 20 characters
  at::Tensor test;              // float [20, 1, S, S]: another drawing of each, shuffled
  std::vector<int64_t> answer;  // test i shows the character of train[answer[i]]
};

// The runs of all_runs.zip (run01 .. run20), with answers from each run's class_labels.txt.
std::vector<OneShotRun> load_one_shot_runs(const std::string& zip_path, int64_t size = 31);

}  // namespace hnn::data
