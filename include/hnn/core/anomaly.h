// Finding the first NaN or Inf. With anomaly detection on (`hnn --detect-anomaly`, or a Guard;
// on by default in builds without NDEBUG), hnn's modules check what they compute: a neuron its
// input and its output at every time step, a layer and a hybrid unit their output. The trainer
// checks the loss before the backward pass, runs the backward pass under LibTorch's autograd
// anomaly mode (which names the backward function that made a NaN) and checks every gradient.
// The first non-finite value stops with an hnn::Error naming the module by its path in the model
// being trained ("model.snn.1 (Neuron)"), what held it, the time step and the sample:
//   model.lif2 (Neuron): the input is nan at time step 3 of 10, sample 0 (it came from the module before)
// Without it, only the loss is checked (the trainer stops at a non-finite loss either way).
//   hnn::anomaly::Guard on;                  // for this scope
//   hnn::anomaly::name_modules(model, "model");
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

#include "hnn/core/error.h"

namespace torch::nn {
class Module;
}

namespace hnn::anomaly {

// What the checks throw: an hnn::Error, distinguishable from the others (the trainer stops on it
// and names the last good checkpoint).
class NonFinite : public hnn::Error {
 public:
  using hnn::Error::Error;
};

bool enabled();
// Turns detection on or off for the whole process (not only this thread).
void set_enabled(bool on);

// Detection on (or off) for a scope, restoring the previous setting.
class Guard {
 public:
  explicit Guard(bool on = true);
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  bool previous_;
};

// Registers the path of every module of `root` ("<prefix>.<path>") for the reports; a module
// not registered is reported by its type name. The trainer registers its model as "model".
void name_modules(const torch::nn::Module& root, const std::string& prefix = "model");
// "model.snn.1 (Neuron)", or "Neuron" for a module not registered.
std::string module_name(const torch::nn::Module& m);

// anomaly::NonFinite when `t` (floating point; others are skipped) holds a NaN or Inf: "<module>: the
// <what> is nan at time step t of T, sample b". time_major: t [T, B, ...] (dim 0 is time), its
// first step being time step `step` when >= 0 (a step of a longer run); otherwise t [B, ...] at
// time step `step` (-1: no time axis). Call it when enabled().
void check(const torch::nn::Module& m, const char* what, const at::Tensor& t, bool time_major, int64_t step = -1);
// anomaly::NonFinite when `t` holds a NaN or Inf, naming `what` (e.g. "the gradient of model.fc.weight").
void check(const std::string& what, const at::Tensor& t);

}  // namespace hnn::anomaly
