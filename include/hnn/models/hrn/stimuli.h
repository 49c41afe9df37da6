// HU 2, program to spike stimuli (spec §4.5): each instruction becomes a block of time steps in
// which named neurons receive 100 (attribute values 200); one empty step ends the raster. The
// stimulus depends only on the instructions, not on the scene.
#pragma once
#include <string>
#include <vector>

#include "hnn/models/hrn/network.h"

namespace hnn::models::hrn {

struct StimulusEntry {
  int step;
  int neuron;  // a named neuron (enum Neuron); map it with Layout::operator[]
  float value;
};

struct Stimulus {
  int steps = 0;                       // T, including the final empty step
  std::vector<StimulusEntry> entries;  // sorted by step
};

Stimulus program_to_stimuli(const std::vector<std::string>& instructions);

// Dense raster [T][n] of the input x_t for one layout (for pictures and reference runs).
std::vector<std::vector<float>> dense_stimuli(const Stimulus& s, const Layout& layout);

}  // namespace hnn::models::hrn
