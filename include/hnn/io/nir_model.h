// A NIR graph as an hnn module, and hnn modules as a NIR graph.
// nir::Model runs a graph (nir.h) on sequences x [T, B, ...] (time-major) with the library's own
// modules: Affine/Linear as torch::nn::Linear, Conv as torch::nn::Conv1d/2d, the neurons as
// hnn::spike::Neuron (fused kernels), so an imported graph can also be trained. A graph without
// cycles runs node by node over the whole sequence; a graph with recurrent edges runs step by step,
// each recurrent edge carrying its source's output of the step before. NIR's continuous-time
// neurons are discretised with the step dt (docs/nir.md gives the exact mapping):
//   LIF  tau dv/dt = (v_leak - v) + R I  ->  v += k (v_leak - v + R I),  k = dt/tau (Euler) or
//        1 - exp(-dt/tau) (exact for an input held over the step); spike when v > v_threshold,
//        then v = v_reset.   IF: v += dt R I.   CubaLIF: a synaptic LI (tau_syn, w_in) feeding a LIF.
// export_sequential() writes a chain of library modules (Linear, Conv, BatchNorm folded into the
// layer before, Flatten, pooling, SpikingLinear, SpikingConv2d, IF/LIF neurons) as a NIR graph.
#pragma once
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hnn/io/nir.h"
#include "hnn/spike/neuron_module.h"
#include "hnn/spike/stateful.h"

namespace hnn::io::nir {

enum class Discretisation { Euler, Exact };
Discretisation parse_discretisation(const std::string& s);  // "euler", "exact"

struct ModelOptions {
  TORCH_ARG(double, dt) = 1e-4;  // the step, in seconds (NIR's unit of time)
  TORCH_ARG(Discretisation, discretisation) = Discretisation::Euler;
  // Reset by subtraction (v -= v_threshold) instead of NIR's reset to v_reset: NIR cannot store
  // it, so graphs trained with it (snnTorch's "subtract") need this on import.
  TORCH_ARG(bool, soft_reset) = false;
  // IF and I add R I each step instead of dt R I: what snnTorch and Sinabs files mean by r = 1.
  TORCH_ARG(bool, if_per_step) = false;
  TORCH_ARG(spike::Surrogate, surrogate) = spike::Surrogate{};  // for training an imported graph
};

// One node's outputs over a run: `out` [T, B, ...]; for neuron nodes also the membrane `v`
// (after the reset) and for CubaLI/CubaLIF the synaptic current `i`.
struct Trace {
  at::Tensor out, v, i;
};

class ModelImpl : public torch::nn::Module, public spike::Stateful {
 public:
  explicit ModelImpl(const Graph& graph, ModelOptions options = {});
  ~ModelImpl() override;

  // A graph with one Input and one Output node: x [T, B, ...] -> [T, B, ...].
  at::Tensor forward(const at::Tensor& x);
  // Any graph: inputs by Input node name; returns every Output node's sequence, plus the traces
  // of the nodes named in `record` (out, and v / i for neurons).
  std::map<std::string, at::Tensor> run(const std::map<std::string, at::Tensor>& inputs,
                                        const std::vector<std::string>& record = {},
                                        std::map<std::string, Trace>* traces = nullptr);

  // The graph with the module's current parameters (flat; NIR's units, for the options' dt).
  Graph to_graph() const;
  const Graph& graph() const { return flat_; }
  const Schedule& schedule() const { return schedule_; }
  bool recurrent() const { return !schedule_.recurrent.empty(); }
  std::vector<std::string> inputs() const { return flat_.of_type("Input"); }
  std::vector<std::string> outputs() const { return flat_.of_type("Output"); }

  void reset_state() override;
  void pretty_print(std::ostream& stream) const override;

  ModelOptions options;
  struct Op;  // one node's computation (nir_model.cpp)

 private:
  Graph flat_;
  Schedule schedule_;
  struct Source {
    std::string node;
    bool recurrent;  // carries the previous step's output
  };
  std::map<std::string, std::vector<Source>> sources_;  // per node, the nodes whose outputs it sums
  std::map<std::string, std::shared_ptr<Op>> ops_;
};
TORCH_MODULE(Model);

// Reads a NIR file into a model (read, flatten, build).
Model load(const std::string& path, ModelOptions options = {});

struct ExportOptions {
  TORCH_ARG(double, dt) = 1e-4;
  // The shape of one input sample without time and batch (e.g. {2, 34, 34}); written as the
  // Input node's shape.
  TORCH_ARG(std::vector<int64_t>, input_shape) = {};
};

// A chain of modules, in order, as a graph input -> m0 -> m1 -> ... -> output. hnn::Error naming
// the module that NIR cannot represent (soft reset, adaptive threshold, a custom neuron, ...).
Graph export_sequential(const torch::nn::Sequential& modules, const ExportOptions& options);

// One neuron module as a NIR node (IF or LIF, per-neuron tensors as they are stored).
Node export_neuron(const spike::NeuronImpl& neuron, double dt, const std::string& name);

}  // namespace hnn::io::nir
