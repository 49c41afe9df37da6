#include "hnn/io/nir_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <cmath>
#include <deque>
#include <limits>
#include <set>

#include "hnn/core/error.h"
#include "hnn/nn/time_fold.h"
#include "hnn/spike/neurons.h"

namespace hnn::io::nir {

using spike::Charge;
using spike::NeuronOptions;
using spike::Output;
using spike::Param;
using spike::Reset;

Discretisation parse_discretisation(const std::string& s) {
  if (s == "euler") return Discretisation::Euler;
  if (s == "exact") return Discretisation::Exact;
  fail("unknown discretisation '{}' (expected euler or exact)", s);
}

namespace {

std::vector<int64_t> ints(const Node& n, const std::string& field, int64_t dims, int64_t fallback) {
  if (!n.has(field)) return std::vector<int64_t>((size_t)dims, fallback);
  at::Tensor t = n.params.at(field).to(torch::kInt64).flatten().contiguous();
  std::vector<int64_t> v(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  if (v.size() == 1 && dims > 1) v.assign((size_t)dims, v[0]);
  HNN_CHECK((int64_t)v.size() == dims, "field '{}' has {} values (expected {})", field, v.size(), dims);
  return v;
}

// A valid module name for a node name ("lif1.lif" -> "lif1_lif").
std::string module_name(const std::string& node, const std::set<std::string>& taken) {
  std::string s = node;
  for (char& c : s)
    if (!std::isalnum((unsigned char)c) && c != '_') c = '_';
  if (s.empty() || std::isdigit((unsigned char)s[0])) s = "n" + s;
  std::string unique = s;
  for (int i = 2; taken.count(unique); ++i) unique = fmt::format("{}_{}", s, i);
  return unique;
}

at::Tensor decay_of(const at::Tensor& tau, const ModelOptions& o) {
  return o.discretisation() == Discretisation::Euler ? o.dt() / tau : 1.0 - torch::exp(-o.dt() / tau);
}

at::Tensor tau_of(const at::Tensor& k, const ModelOptions& o) {
  return o.discretisation() == Discretisation::Euler ? o.dt() / k : -o.dt() / torch::log1p(-k);
}

}  // namespace

// One node: seq() over a whole sequence [T, B, ...], step() over one step [B, ...] (keeping state).
struct ModelImpl::Op {
  virtual ~Op() = default;
  virtual at::Tensor seq(const at::Tensor& x, Trace* trace) = 0;
  virtual at::Tensor step(const at::Tensor& x, Trace* trace) = 0;
  virtual void reset() {}
  // The node with the current parameters.
  virtual Node node() const = 0;
};

namespace {

using Op = ModelImpl::Op;

// A stateless node: the same function on every step (time folded into the batch).
struct MapOp : Op {
  std::function<at::Tensor(const at::Tensor&)> f;
  std::function<Node()> to_node;
  at::Tensor seq(const at::Tensor& x, Trace*) override { return nn::unfold_time(f(nn::fold_time(x)), x.size(0)); }
  at::Tensor step(const at::Tensor& x, Trace*) override { return f(x); }
  Node node() const override { return to_node(); }
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
    // Per-neuron fields of one shape, as NIR's readers expect.
    std::vector<int64_t> shape;
    for (auto& [f, t] : n.params) shape = at::infer_size(shape, t.sizes());
    for (auto& [f, t] : n.params) t = t.expand(shape).contiguous();
    return n;
  }
};

}  // namespace

ModelImpl::ModelImpl(const Graph& graph, ModelOptions opts) : options(opts), flat_(flatten(graph)) {
  HNN_CHECK(options.dt() > 0, "NIR model: dt must be positive (got {})", options.dt());
  validate(flat_, "NIR graph");
  // One dtype for the whole model (float32; model->to() changes it): files mix float32 and float64.
  for (auto& [name, n] : flat_.nodes)
    for (auto& [f, t] : n.params)
      if (t.is_floating_point()) t = t.to(torch::kFloat);
  schedule_ = nir::schedule(flat_);
  std::set<std::string> taken;
  for (const auto& [name, n] : flat_.nodes) {
    const std::string where = fmt::format("NIR node '{}' ({})", name, n.type);
    const std::string mname = module_name(name, taken);
    taken.insert(mname);
    try {
      const std::string& ty = n.type;
      if (ty == "Input" || ty == "Output") {
        auto op = std::make_shared<MapOp>();
        op->f = [](const at::Tensor& x) { return x; };
        op->to_node = [n] { return n; };
        ops_[name] = op;
      } else if (ty == "Affine" || ty == "Linear") {
        const at::Tensor& w = n.params.at("weight");
        auto lin = register_module(
            mname, torch::nn::Linear(torch::nn::LinearOptions(w.size(1), w.size(0)).bias(ty == "Affine")));
        torch::NoGradGuard ng;
        lin->weight.copy_(w);
        if (ty == "Affine") lin->bias.copy_(n.params.at("bias").reshape({-1}));
        auto op = std::make_shared<MapOp>();
        op->f = [lin](const at::Tensor& x) { return lin->forward(x); };
        op->to_node = [lin, ty] {
          Node m;
          m.type = ty;
          m.params["weight"] = lin->weight.detach().clone().to(torch::kFloat);
          if (ty == "Affine") m.params["bias"] = lin->bias.detach().clone().to(torch::kFloat);
          return m;
        };
        ops_[name] = op;
      } else if (ty == "Conv1d" || ty == "Conv2d") {
        const int64_t d = ty == "Conv1d" ? 1 : 2;
        const at::Tensor& w = n.params.at("weight");
        const int64_t groups = n.has("groups") ? n.params.at("groups").to(torch::kInt64).item<int64_t>() : 1;
        const bool bias = n.has("bias");
        auto op = std::make_shared<MapOp>();
        auto stride = ints(n, "stride", d, 1), pad = ints(n, "padding", d, 0), dil = ints(n, "dilation", d, 1);
        at::Tensor *weight = nullptr, *b = nullptr;
        auto bind = [&](auto c) {
          op->f = [c](const at::Tensor& x) { return c->forward(x); };
          weight = &c->weight;
          b = &c->bias;
        };
        if (d == 2) {
          bind(register_module(
              mname, torch::nn::Conv2d(torch::nn::Conv2dOptions(w.size(1) * groups, w.size(0), {w.size(2), w.size(3)})
                                           .stride({stride[0], stride[1]})
                                           .padding({pad[0], pad[1]})
                                           .dilation({dil[0], dil[1]})
                                           .groups(groups)
                                           .bias(bias))));
        } else {
          bind(register_module(mname,
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
        ops_[name] = op;
      } else if (ty == "Flatten") {
        // NIR counts dimensions without the batch (as its input_type): start 0 is the first
        // dimension of a sample.
        int64_t start = n.has("start_dim") ? n.params.at("start_dim").to(torch::kInt64).item<int64_t>() : 1;
        int64_t end = n.has("end_dim") ? n.params.at("end_dim").to(torch::kInt64).item<int64_t>() : -1;
        if (start >= 0) ++start;
        if (end >= 0) ++end;
        auto op = std::make_shared<MapOp>();
        op->f = [start, end](const at::Tensor& x) { return x.flatten(start, end); };
        op->to_node = [n] { return n; };
        ops_[name] = op;
      } else if (ty == "SumPool2d" || ty == "AvgPool2d") {
        auto k = ints(n, "kernel_size", 2, 1);
        auto s = n.has("stride") ? ints(n, "stride", 2, 1) : k;
        auto p = ints(n, "padding", 2, 0);
        const bool sum = ty == "SumPool2d";
        auto op = std::make_shared<MapOp>();
        op->f = [k, s, p, sum](const at::Tensor& x) {
          return at::avg_pool2d(x, k, s, p, false, true, sum ? c10::optional<int64_t>(1) : c10::nullopt);
        };
        op->to_node = [n] { return n; };
        ops_[name] = op;
      } else if (ty == "Threshold") {
        at::Tensor theta = register_buffer(mname + "_threshold", n.params.at("threshold").clone());
        auto sg = options.surrogate();
        auto op = std::make_shared<MapOp>();
        op->f = [theta, sg](const at::Tensor& x) { return spike::spike(x - theta, sg); };
        op->to_node = [n] { return n; };
        ops_[name] = op;
      } else if (ty == "Scale") {
        at::Tensor scale = register_buffer(mname + "_scale", n.params.at("scale").clone());
        auto op = std::make_shared<MapOp>();
        op->f = [scale](const at::Tensor& x) { return x * scale; };
        op->to_node = [n] { return n; };
        ops_[name] = op;
      } else if (ty == "Delay") {
        auto op = std::make_shared<DelayOp>();
        op->n = n;
        op->steps = torch::round(n.params.at("delay").to(torch::kDouble) / options.dt()).to(torch::kInt64);
        op->max_steps = op->steps.numel() ? op->steps.max().item<int64_t>() : 0;
        ops_[name] = op;
      } else {  // I, LI, IF, LIF, CubaLI, CubaLIF
        auto op = std::make_shared<NeuronOp>();
        op->type = ty;
        op->o = options;
        op->spiking = ty == "IF" || ty == "LIF" || ty == "CubaLIF";
        const bool integrator = ty == "IF" || ty == "I";
        const bool cuba = ty == "CubaLI" || ty == "CubaLIF";
        const at::Tensor& r = n.params.at("r");
        op->r = register_buffer(mname + "_r", (integrator && !options.if_per_step() ? r * options.dt() : r).clone());
        // Non-spiking neurons (LI, I, the synaptic current) never reach this threshold; a finite one
        // keeps the surrogate's backward free of inf - inf.
        constexpr double kInf = 1e30;
        auto opts = NeuronOptions()
                        .charge(integrator ? Charge::If : Charge::LifOde)
                        .surrogate(options.surrogate())
                        .output(op->spiking ? Output::Both : Output::Membrane)
                        .reset(op->spiking ? (options.soft_reset() ? Reset::Soft : Reset::Hard) : Reset::None)
                        .threshold(op->spiking ? 1.0 : kInf);
        op->mem = register_module(mname, spike::Neuron(opts));
        if (op->spiking) {
          op->mem->set_param(Param::Threshold, n.params.at("v_threshold").clone(), false);
          at::Tensor v_reset = n.has("v_reset") ? n.params.at("v_reset").clone() : torch::zeros({}, r.options());
          op->mem->set_param(Param::VReset, v_reset, false);
        }
        if (!integrator) {
          op->mem->set_param(
              Param::Decay,
              decay_of(n.params.at(cuba ? "tau_mem" : "tau").to(torch::kDouble), options).to(r.scalar_type()), false);
          op->mem->set_param(Param::VRest, n.params.at("v_leak").clone(), false);
        }
        if (cuba) {
          op->w_in = register_buffer(mname + "_w_in",
                                     n.has("w_in") ? n.params.at("w_in").clone() : torch::ones({}, r.options()));
          op->syn = register_module(
              mname + "_syn",
              spike::Neuron(
                  NeuronOptions().charge(Charge::LifOde).output(Output::Membrane).reset(Reset::None).threshold(kInf)));
          op->syn->set_param(Param::Decay,
                             decay_of(n.params.at("tau_syn").to(torch::kDouble), options).to(r.scalar_type()), false);
        }
        ops_[name] = op;
      }
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    } catch (const c10::Error& e) {
      fail("{}: {}", where, e.what_without_backtrace());
    }
  }
}

ModelImpl::~ModelImpl() = default;

at::Tensor ModelImpl::forward(const at::Tensor& x) {
  auto in = inputs();
  auto out = outputs();
  HNN_CHECK(in.size() == 1 && out.size() == 1,
            "NIR model: forward() needs one Input and one Output node (this graph has {} and {}); use run()", in.size(),
            out.size());
  return run({{in[0], x}})[out[0]];
}

std::map<std::string, at::Tensor> ModelImpl::run(const std::map<std::string, at::Tensor>& inputs,
                                                 const std::vector<std::string>& record,
                                                 std::map<std::string, Trace>* traces) {
  reset_state();
  std::set<std::string> want(record.begin(), record.end());
  for (const auto& w : want)
    HNN_CHECK(ops_.count(w), "NIR model: cannot record '{}': no such node (nodes: {})", w,
              fmt::join(schedule_.order, ", "));
  int64_t steps = -1;
  for (const std::string& in : this->inputs()) {
    auto it = inputs.find(in);
    HNN_CHECK(it != inputs.end(), "NIR model: no tensor for the Input node '{}'", in);
    const at::Tensor& x = it->second;
    HNN_CHECK(x.dim() >= 2, "NIR model: the input of '{}' must be a sequence [T, B, ...], got [{}]", in,
              fmt::join(x.sizes(), ", "));
    const Node& n = flat_.nodes.at(in);
    if (n.has("shape")) {
      at::Tensor s = n.params.at("shape").to(torch::kInt64).flatten();
      std::vector<int64_t> shape(s.data_ptr<int64_t>(), s.data_ptr<int64_t>() + s.numel());
      HNN_CHECK(x.sizes().slice(2).vec() == shape, "NIR model: the Input node '{}' takes [T, B, {}], got [{}]", in,
                fmt::join(shape, ", "), fmt::join(x.sizes(), ", "));
    }
    HNN_CHECK(steps < 0 || steps == x.size(0), "NIR model: inputs of different lengths ({} and {} steps)", steps,
              x.size(0));
    steps = x.size(0);
  }
  std::map<std::string, std::vector<std::string>> sources;
  for (const auto& [a, b] : flat_.edges) sources[b].push_back(a);
  std::set<std::pair<std::string, std::string>> back(schedule_.recurrent.begin(), schedule_.recurrent.end());
  std::map<std::string, at::Tensor> result;
  auto input_of = [&](const std::string& name, const std::map<std::string, at::Tensor>& cur,
                      const std::map<std::string, at::Tensor>& prev, bool seq) {
    at::Tensor sum;
    for (const std::string& s : sources[name]) {
      const bool rec = back.count({s, name}) > 0;
      const auto& from = rec ? prev : cur;
      auto it = from.find(s);
      if (it == from.end() || !it->second.defined()) continue;
      sum = sum.defined() ? sum + it->second : it->second;
    }
    if (!seq || sum.defined()) return sum;
    fail("NIR model: node '{}' has no input (no edge reaches it)", name);
  };
  auto node_error = [](const std::string& name, const std::string& why) {
    fail("NIR model: node '{}': {}", name, why);
  };
  if (!recurrent()) {
    std::map<std::string, at::Tensor> outs;
    for (const std::string& name : schedule_.order) {
      at::Tensor x = flat_.nodes.at(name).type == "Input" ? inputs.at(name) : input_of(name, outs, {}, true);
      Trace tr;
      try {
        outs[name] = ops_.at(name)->seq(x, want.count(name) ? &tr : nullptr);
      } catch (const c10::Error& e) {
        node_error(name, e.what_without_backtrace());
      }
      if (want.count(name) && traces) {
        tr.out = outs[name];
        (*traces)[name] = tr;
      }
    }
    for (const std::string& o : outputs()) result[o] = outs.at(o);
    return result;
  }
  // Step by step: recurrent edges read the previous step's outputs (nothing at the first step).
  std::map<std::string, at::Tensor> prev;
  std::map<std::string, std::vector<at::Tensor>> seqs, vs, is;
  for (int64_t t = 0; t < steps; ++t) {
    std::map<std::string, at::Tensor> cur;
    for (const std::string& name : schedule_.order) {
      at::Tensor x = flat_.nodes.at(name).type == "Input" ? inputs.at(name)[t] : input_of(name, cur, prev, false);
      Trace tr;
      if (x.defined()) {
        try {
          cur[name] = ops_.at(name)->step(x, want.count(name) ? &tr : nullptr);
        } catch (const c10::Error& e) {
          node_error(name, e.what_without_backtrace());
        }
      }
      if (want.count(name) || flat_.nodes.at(name).type == "Output") {
        seqs[name].push_back(cur[name]);
        vs[name].push_back(tr.v);
        is[name].push_back(tr.i);
      }
    }
    prev = std::move(cur);
  }
  // Steps at which a node had no input yet (only recurrent ones) count as zeros.
  auto stack = [](std::vector<at::Tensor>& v) {
    at::Tensor like;
    for (auto& t : v)
      if (t.defined()) like = t;
    if (!like.defined()) return at::Tensor();
    for (auto& t : v)
      if (!t.defined()) t = torch::zeros_like(like);
    return torch::stack(v);
  };
  for (const std::string& o : outputs()) {
    result[o] = stack(seqs[o]);
    HNN_CHECK(result[o].defined(), "NIR model: the Output node '{}' received nothing", o);
  }
  if (traces)
    for (const auto& w : want) (*traces)[w] = Trace{stack(seqs[w]), stack(vs[w]), stack(is[w])};
  return result;
}

Graph ModelImpl::to_graph() const {
  Graph g;
  g.version = "1.0";
  for (const auto& [name, op] : ops_) g.nodes[name] = op->node();
  g.edges = flat_.edges;
  return g;
}

void ModelImpl::reset_state() {
  for (auto& [name, op] : ops_) op->reset();
}

void ModelImpl::pretty_print(std::ostream& stream) const {
  stream << "hnn::io::nir::Model(" << flat_.nodes.size() << " nodes, " << flat_.edges.size() << " edges"
         << (recurrent() ? ", recurrent" : "") << ", dt=" << options.dt() << ")";
}

Model load(const std::string& path, ModelOptions options) {
  Graph g = read(path);
  try {
    return Model(g, options);
  } catch (const Error& e) {
    fail("NIR file '{}': {}", path, e.what());
  }
}

}  // namespace hnn::io::nir
