// The HMN's networks (spec hnn-paper-systems.md §3.3): the backbone ANN with its learnable
// modulation hybrid unit, which maps a task's inputs to binary modulation signals, and the
// branch network (an SNN of IF neurons) whose hidden neurons the signals switch on or off.
//
//   Backbone   x [T, B, D] -> x_bar = mean_t x -> (paper variant) D -> H -> H, ReLU, or (merge
//              variant, hidden = 0) nothing -> two modulation HUs (hu::spike_gate) g1, g2 [B, C],
//              g = sigmoid(100 (W h + b)). The per-task signal is the mean of g over the task's
//              samples thresholded at 0.5 (task_signal in modulation.h).
//   Branch     D -> C -> C -> classes, bias-free, IF neurons (v_th 0.2) over the T steps; the output
//              is the firing rate of the last layer. The signal G in {0, 1}^C of each hidden layer
//              modulates it as the paper states: it raises the thresholds of the switched-off
//              neurons, theta = v_th + v_T (1 - G), through the neuron's tensor threshold. At large
//              v_T this equals the reference's gating of the spikes (s * G, a gated neuron never
//              fires and never resets); Modulate::SpikeGate computes that form for the tests.
//
// The ablations of the paper's Fig. 3g use the same modulation architecture with the other kind
// of network: `Backbone` with spiking = true (an SNN computes the signals, from the rates of IF
// hidden layers) and `Branch` with spiking = false (an ANN branch: ReLU layers on x_bar whose
// activations are multiplied by G).
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hnn/hu/hybrid_unit.h"
#include "hnn/spike/neurons.h"
#include "hnn/spike/surrogate.h"

namespace hnn::models::hmn {

struct BackboneConfig {
  int64_t inputs = 2312;
  int64_t hidden = 512;    // H; 0: the merge variant (the heads read the input directly)
  int64_t channels = 512;  // C: signals per head (= the branch's hidden width)
  double sharpness = 100;  // k of sigmoid(k z)
  bool spiking = false;    // SNN-only ablation: IF hidden layers over T steps, heads on their rates
  double threshold = 0.2;  // of those IF neurons
  std::string to_json() const;
  static BackboneConfig from_json(const std::string& text);
  template <class F>
  void visit(F&& f) {
    f("inputs", inputs), f("hidden", hidden), f("channels", channels), f("sharpness", sharpness);
    f("spiking", spiking), f("threshold", threshold);
  }
};

class BackboneImpl : public torch::nn::Module {
 public:
  explicit BackboneImpl(BackboneConfig config);
  // x [T, B, D] (already permuted by the task) -> gate activations [2, B, C] in (0, 1).
  at::Tensor forward(const at::Tensor& x);
  BackboneConfig config;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  spike::IfNeuron n1{nullptr}, n2{nullptr};
  hu::HybridUnit head1{nullptr}, head2{nullptr};
};
TORCH_MODULE(Backbone);

enum class Modulate { Threshold, SpikeGate };

struct BranchConfig {
  int64_t inputs = 2312, channels = 512, classes = 10;
  int64_t channels2 = 0;   // the second hidden layer's width (0: channels; signals need them equal)
  double threshold = 0.2;  // v_th of every layer
  double vt = 1000;        // v_T: how far a switched-off neuron's threshold is raised
  bool spiking = true;     // false: the ANN-only ablation
  // Compute only the neurons that per-task signals [2, C] switch on (active(), below): the same
  // outputs and gradients as the whole branch as long as no switched-off neuron gets within the
  // surrogate's reach of its raised threshold (v_th + v_T - 0.5; v_T = 1000 is far), at the cost of
  // the switched-on part. train_continual then trains that part alone (see train.h).
  bool active_only = false;
  int64_t hidden2() const { return channels2 > 0 ? channels2 : channels; }
  std::string to_json() const;
  static BranchConfig from_json(const std::string& text);
  template <class F>
  void visit(F&& f) {
    f("inputs", inputs), f("channels", channels), f("channels2", channels2), f("classes", classes);
    f("threshold", threshold), f("vt", vt), f("spiking", spiking), f("active_only", active_only);
  }
};

// The neurons one task's signals [2, C] switch on: int64 indices into the hidden layers.
struct ActiveSet {
  at::Tensor on1, on2;
  static ActiveSet of(const at::Tensor& signals);
};

struct BranchOutput {
  at::Tensor out;               // rates [B, classes] (spiking) or logits (ANN)
  at::Tensor hidden1, hidden2;  // mean activity per hidden neuron [B, C] (rates or activations)
};

class BranchImpl : public torch::nn::Module {
 public:
  explicit BranchImpl(BranchConfig config);
  // x [T, B, D] float; signals [2, C] 0/1 (one task's G1, G2), [2, B, C], or undefined (no
  // modulation, every neuron on).
  // With config.active_only and signals [2, C], only the switched-on neurons are computed (the
  // hidden activity of the others is 0).
  BranchOutput forward(const at::Tensor& x, const at::Tensor& signals = {}, Modulate how = Modulate::Threshold);
  BranchConfig config;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  spike::IfNeuron n1{nullptr}, n2{nullptr}, n3{nullptr};

 private:
  BranchOutput gated_loop(const at::Tensor& x, const at::Tensor& signals);
  BranchOutput active_forward(const at::Tensor& x, const at::Tensor& signals);
};
TORCH_MODULE(Branch);

// The part of `net` that `a` switches on, as a branch of |on1| and |on2| hidden neurons without
// modulation, its weights copies of net's (on the same device and dtype).
Branch active_part(const Branch& net, const ActiveSet& a);

// Each parameter of `net` (fc1, fc2, fc3 weights) and the block of it that `a` selects: `rows` and
// `cols` are index tensors, or undefined for all. The same order as net->parameters().
struct ParameterBlock {
  at::Tensor param, rows, cols;
};
std::vector<ParameterBlock> active_blocks(const BranchImpl& net, const ActiveSet& a);
at::Tensor gather_block(const at::Tensor& t, const ParameterBlock& b);               // t[rows][:, cols]
void scatter_block(at::Tensor& t, const ParameterBlock& b, const at::Tensor& part);  // t[rows, cols] = part

// The IF neurons of the HMN: v_th, hard reset to 0, rectangular surrogate of width 1.
spike::NeuronOptions hmn_neuron(double threshold);

}  // namespace hnn::models::hmn
