#include "hnn/io/nir_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <set>

#include "hnn/core/error.h"
#include "nir_ops.h"

namespace hnn::io::nir {
namespace {

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

}  // namespace

ModelImpl::ModelImpl(const Graph& graph, ModelOptions opts) : options(opts), flat_(flatten(graph)) {
  HNN_CHECK(options.dt() > 0, "NIR model: dt must be positive (got {})", options.dt());
  validate(flat_, "NIR graph");
  // One dtype for the whole model (float32; model->to() changes it): files mix float32 and float64.
  for (auto& [name, n] : flat_.nodes)
    for (auto& [f, t] : n.params)
      if (t.is_floating_point()) t = t.to(torch::kFloat);
  schedule_ = nir::schedule(flat_);
  const std::set<std::pair<std::string, std::string>> back(schedule_.recurrent.begin(), schedule_.recurrent.end());
  for (const auto& [a, b] : flat_.edges) sources_[b].push_back({a, back.count({a, b}) > 0});
  std::set<std::string> taken;
  for (const auto& [name, n] : flat_.nodes) {
    const std::string where = fmt::format("NIR node '{}' ({})", name, n.type);
    const std::string mname = module_name(name, taken);
    taken.insert(mname);
    try {
      ops_[name] = make_op(*this, n, mname);
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
      const std::vector<int64_t> shape = n.ints("shape");
      HNN_CHECK(x.sizes().slice(2).vec() == shape, "NIR model: the Input node '{}' takes [T, B, {}], got [{}]", in,
                fmt::join(shape, ", "), fmt::join(x.sizes(), ", "));
    }
    HNN_CHECK(steps < 0 || steps == x.size(0), "NIR model: inputs of different lengths ({} and {} steps)", steps,
              x.size(0));
    steps = x.size(0);
  }
  std::map<std::string, at::Tensor> result;
  auto input_of = [&](const std::string& name, const std::map<std::string, at::Tensor>& cur,
                      const std::map<std::string, at::Tensor>& prev, bool seq) {
    at::Tensor sum;
    for (const Source& s : sources_[name]) {
      const auto& from = s.recurrent ? prev : cur;
      auto it = from.find(s.node);
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
