// Modules with hidden state across time steps implement Stateful; reset_states() resets every
// such module inside a model in one call (e.g. before each new sequence).
#pragma once

namespace torch::nn {
class Module;
}

namespace hnn::spike {

class Stateful {
 public:
  virtual ~Stateful() = default;
  virtual void reset_state() = 0;
  // Keeps the values but cuts the autograd history (truncated BPTT).
  virtual void detach_state() {}
};

// Resets (or detaches) the state of m and of every submodule that is Stateful.
void reset_states(torch::nn::Module& m);
void detach_states(torch::nn::Module& m);

}  // namespace hnn::spike
