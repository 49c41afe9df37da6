#include "nir_ops.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <deque>

#include "hnn/core/error.h"
#include "hnn/nn/time_fold.h"
#include "hnn/spike/neurons.h"

namespace hnn::io::nir {

using spike::Charge;
using spike::NeuronOptions;
using spike::Output;
using spike::Param;
using spike::Reset;
using Op = ModelImpl::Op;

Discretisation parse_discretisation(const std::string& s) {
  if (s == "euler") return Discretisation::Euler;
  if (s == "exact") return Discretisation::Exact;
  fail("unknown discretisation '{}' (expected euler or exact)", s);
}

namespace {

// `dims` numbers of an integer field (one value stands for all).
std::vector<int64_t> ints(const Node& n, const std::string& field, int64_t dims, int64_t fallback) {
  std::vector<int64_t> v = n.ints(field, std::vector<int64_t>((size_t)dims, fallback));
  if (v.size() == 1 && dims > 1) v.assign((size_t)dims, v[0]);
  HNN_CHECK((int64_t)v.size() == dims, "field '{}' has {} values (expected {})", field, v.size(), dims);
  return v;
}

at::Tensor decay_of(const at::Tensor& tau, const ModelOptions& o) {
  return o.discretisation() == Discretisation::Euler ? o.dt() / tau : 1.0 - torch::exp(-o.dt() / tau);
}

at::Tensor tau_of(const at::Tensor& k, const ModelOptions& o) {
  return o.discretisation() == Discretisation::Euler ? o.dt() / k : -o.dt() / torch::log1p(-k);
}

// A stateless node: the same function on every step (time folded into the batch). Its node is the
// one it was built from unless to_node gives the current parameters.
struct MapOp : Op {
  Node n;
  std::function<at::Tensor(const at::Tensor&)> f;
  std::function<Node()> to_node;
  MapOp(Node node, std::function<at::Tensor(const at::Tensor&)> fn) : n(std::move(node)), f(std::move(fn)) {}
  at::Tensor seq(const at::Tensor& x, Trace*) override { return nn::unfold_time(f(nn::fold_time(x)), x.size(0)); }
  at::Tensor step(const at::Tensor& x, Trace*) override { return f(x); }
  Node node() const override { return to_node ? to_node() : n; }
};

// Delay: each element's input d = round(delay / dt) steps later (zeros before).
struct DelayOp : Op {
  Node n;
  at::Tensor steps;  // int64, broadcast against [B, ...]
  int64_t max_steps = 0;
  std::deque<at::Tensor> history;  // the last max_steps + 1 inputs, newest first
  at::Tensor seq(const at::Tensor& x, Trace*) override {
    std::vector<at::Tensor> out;
    for (int64_t t = 0; t < x.size(0); ++t) out.push_back(step(x[t], nullptr));
    return torch::stack(out);
  }
  at::Tensor step(const at::Tensor& x, Trace*) override {
    history.push_front(x);
    if ((int64_t)history.size() > max_steps + 1) history.pop_back();
    at::Tensor out = torch::zeros_like(x);
    for (int64_t k = 0; k < (int64_t)history.size(); ++k) out = out + history[k] * (steps == k).to(x.dtype());
    return out;
  }
  void reset() override { history.clear(); }
  Node node() const override { return n; }
};

// A neuron node: input scale (R, or w_in and R), an optional synaptic LI and the membrane neuron.
struct NeuronOp : Op {
  std::string type;
  ModelOptions o;
  at::Tensor r, w_in;  // buffers of the model
  spike::Neuron syn{nullptr}, mem{nullptr};
  bool spiking = false;

  // The whole sequence (forward) or one step that continues the state.
  at::Tensor apply(const at::Tensor& x, Trace* trace, bool whole) {
    at::Tensor in = x;
    if (syn) {
      in = whole ? syn->forward(x * w_in) : syn->step(x * w_in);
      if (trace) trace->i = in;
    }
    at::Tensor out = whole ? mem->forward(in * r) : mem->step(in * r);
    if (trace) trace->v = mem->last_membrane();
    return out;
  }
  at::Tensor seq(const at::Tensor& x, Trace* trace) override { return apply(x, trace, true); }
  at::Tensor step(const at::Tensor& x, Trace* trace) override { return apply(x, trace, false); }
  void reset() override {
    if (syn) syn->reset_state();
    mem->reset_state();
  }
  Node node() const override {
    Node n;
    n.type = type;
    torch::NoGradGuard ng;
    const bool integrator = type == "IF" || type == "I";
    n.params["r"] = (integrator && !o.if_per_step() ? r / o.dt() : r).detach().clone().to(torch::kFloat);
    if (!integrator) {
      const std::string tau = syn ? "tau_mem" : "tau";
      n.params[tau] = tau_of(mem->params().decay, o).detach().to(torch::kFloat);
      n.params["v_leak"] = mem->params().v_rest.detach().to(torch::kFloat);
    }
    if (syn) {
      n.params["tau_syn"] = tau_of(syn->params().decay, o).detach().to(torch::kFloat);
      n.params["w_in"] = w_in.detach().clone().to(torch::kFloat);
    }
    if (spiking) {
      n.params["v_threshold"] = mem->params().threshold.detach().to(torch::kFloat);
      n.params["v_reset"] = mem->params().v_reset.detach().to(torch::kFloat);
    }
    n.expand_params();
    return n;
  }
};

}  // namespace

std::shared_ptr<Op> make_op(ModelImpl& model, const Node& n, const std::string& mname) {
  const ModelOptions& o = model.options;
  const std::string& ty = n.type;
  if (ty == "Input" || ty == "Output") {
    return std::make_shared<MapOp>(n, [](const at::Tensor& x) { return x; });
  } else if (ty == "Affine" || ty == "Linear") {
    const at::Tensor& w = n.params.at("weight");
    auto lin = model.register_module(
        mname, torch::nn::Linear(torch::nn::LinearOptions(w.size(1), w.size(0)).bias(ty == "Affine")));
    torch::NoGradGuard ng;
    lin->weight.copy_(w);
    if (ty == "Affine") lin->bias.copy_(n.params.at("bias").reshape({-1}));
    auto op = std::make_shared<MapOp>(n, [lin](const at::Tensor& x) { return lin->forward(x); });
    op->to_node = [lin, ty] {
      Node m;
      m.type = ty;
      m.params["weight"] = lin->weight.detach().clone().to(torch::kFloat);
      if (ty == "Affine") m.params["bias"] = lin->bias.detach().clone().to(torch::kFloat);
      return m;
    };
    return op;
  } else if (ty == "Conv1d" || ty == "Conv2d") {
    const int64_t d = ty == "Conv1d" ? 1 : 2;
    const at::Tensor& w = n.params.at("weight");
    const int64_t groups = ints(n, "groups", 1, 1)[0];
    const bool bias = n.has("bias");
    auto op = std::make_shared<MapOp>(n, nullptr);
    auto stride = ints(n, "stride", d, 1), pad = ints(n, "padding", d, 0), dil = ints(n, "dilation", d, 1);
    at::Tensor *weight = nullptr, *b = nullptr;
    auto bind = [&](auto c) {
      op->f = [c](const at::Tensor& x) { return c->forward(x); };
      weight = &c->weight;
      b = &c->bias;
    };
    if (d == 2) {
      bind(model.register_module(
          mname, torch::nn::Conv2d(torch::nn::Conv2dOptions(w.size(1) * groups, w.size(0), {w.size(2), w.size(3)})
                                       .stride({stride[0], stride[1]})
                                       .padding({pad[0], pad[1]})
                                       .dilation({dil[0], dil[1]})
                                       .groups(groups)
                                       .bias(bias))));
    } else {
      bind(model.register_module(mname,
                                 torch::nn::Conv1d(torch::nn::Conv1dOptions(w.size(1) * groups, w.size(0), w.size(2))
                                                       .stride(stride[0])
                                                       .padding(pad[0])
                                                       .dilation(dil[0])
                                                       .groups(groups)
                                                       .bias(bias))));
    }
    torch::NoGradGuard ng;
    weight->copy_(w);
    if (bias) b->copy_(n.params.at("bias").reshape({-1}));
    op->to_node = [n, weight, b, bias] {
      Node m = n;
      m.params["weight"] = weight->detach().clone().to(torch::kFloat);
      if (bias) m.params["bias"] = b->detach().clone().to(torch::kFloat);
      return m;
    };
    return op;
  } else if (ty == "Flatten") {
    // NIR counts dimensions without the batch (as its input_type): start 0 is the first
    // dimension of a sample.
    int64_t start = ints(n, "start_dim", 1, 1)[0], end = ints(n, "end_dim", 1, -1)[0];
    if (start >= 0) ++start;
    if (end >= 0) ++end;
    return std::make_shared<MapOp>(n, [start, end](const at::Tensor& x) { return x.flatten(start, end); });
  } else if (ty == "SumPool2d" || ty == "AvgPool2d") {
    auto k = ints(n, "kernel_size", 2, 1);
    auto s = n.has("stride") ? ints(n, "stride", 2, 1) : k;
    auto p = ints(n, "padding", 2, 0);
    const bool sum = ty == "SumPool2d";
    return std::make_shared<MapOp>(n, [k, s, p, sum](const at::Tensor& x) {
      return at::avg_pool2d(x, k, s, p, false, true, sum ? c10::optional<int64_t>(1) : c10::nullopt);
    });
  } else if (ty == "Threshold") {
    at::Tensor theta = model.register_buffer(mname + "_threshold", n.params.at("threshold").clone());
    auto sg = o.surrogate();
    return std::make_shared<MapOp>(n, [theta, sg](const at::Tensor& x) { return spike::spike(x - theta, sg); });
  } else if (ty == "Scale") {
    at::Tensor scale = model.register_buffer(mname + "_scale", n.params.at("scale").clone());
    return std::make_shared<MapOp>(n, [scale](const at::Tensor& x) { return x * scale; });
  } else if (ty == "Delay") {
    auto op = std::make_shared<DelayOp>();
    op->n = n;
    op->steps = torch::round(n.params.at("delay").to(torch::kDouble) / o.dt()).to(torch::kInt64);
    op->max_steps = op->steps.numel() ? op->steps.max().item<int64_t>() : 0;
    return op;
  } else {  // I, LI, IF, LIF, CubaLI, CubaLIF
    auto op = std::make_shared<NeuronOp>();
    op->type = ty;
    op->o = o;
    op->spiking = ty == "IF" || ty == "LIF" || ty == "CubaLIF";
    const bool integrator = ty == "IF" || ty == "I";
    const bool cuba = ty == "CubaLI" || ty == "CubaLIF";
    const at::Tensor& r = n.params.at("r");
    op->r = model.register_buffer(mname + "_r", (integrator && !o.if_per_step() ? r * o.dt() : r).clone());
    // Non-spiking neurons (LI, I, the synaptic current) never reach this threshold; a finite one
    // keeps the surrogate's backward free of inf - inf.
    constexpr double kInf = 1e30;
    auto opts = NeuronOptions()
                    .charge(integrator ? Charge::If : Charge::LifOde)
                    .surrogate(o.surrogate())
                    .output(op->spiking ? Output::Both : Output::Membrane)
                    .reset(op->spiking ? (o.soft_reset() ? Reset::Soft : Reset::Hard) : Reset::None)
                    .threshold(op->spiking ? 1.0 : kInf);
    op->mem = model.register_module(mname, spike::Neuron(opts));
    if (op->spiking) {
      op->mem->set_param(Param::Threshold, n.params.at("v_threshold").clone(), false);
      at::Tensor v_reset = n.has("v_reset") ? n.params.at("v_reset").clone() : torch::zeros({}, r.options());
      op->mem->set_param(Param::VReset, v_reset, false);
    }
    if (!integrator) {
      op->mem->set_param(Param::Decay,
                         decay_of(n.params.at(cuba ? "tau_mem" : "tau").to(torch::kDouble), o).to(r.scalar_type()),
                         false);
      op->mem->set_param(Param::VRest, n.params.at("v_leak").clone(), false);
    }
    if (cuba) {
      op->w_in = model.register_buffer(mname + "_w_in",
                                       n.has("w_in") ? n.params.at("w_in").clone() : torch::ones({}, r.options()));
      op->syn = model.register_module(
          mname + "_syn",
          spike::Neuron(
              NeuronOptions().charge(Charge::LifOde).output(Output::Membrane).reset(Reset::None).threshold(kInf)));
      op->syn->set_param(Param::Decay, decay_of(n.params.at("tau_syn").to(torch::kDouble), o).to(r.scalar_type()),
                         false);
    }
    return op;
  }
}

}  // namespace hnn::io::nir
