#include "hnn/io/nir.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <functional>
#include <set>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/io/h5.h"

namespace hnn::io::nir {

namespace {

const std::map<std::string, FieldSpec>& field_table() {
  static const std::map<std::string, FieldSpec> table = {
      {"Input", {{}, {"shape"}}},
      {"Output", {{}, {"shape"}}},
      {"Affine", {{"weight", "bias"}, {}}},
      {"Linear", {{"weight"}, {}}},
      {"Conv1d", {{"weight"}, {"bias", "stride", "padding", "dilation", "groups", "input_shape"}}},
      {"Conv2d", {{"weight"}, {"bias", "stride", "padding", "dilation", "groups", "input_shape"}}},
      {"Flatten", {{}, {"start_dim", "end_dim", "input_type"}}},
      {"SumPool2d", {{"kernel_size"}, {"stride", "padding"}}},
      {"AvgPool2d", {{"kernel_size"}, {"stride", "padding"}}},
      {"Delay", {{"delay"}, {}}},
      {"Threshold", {{"threshold"}, {}}},
      {"Scale", {{"scale"}, {}}},
      {"I", {{"r"}, {}}},
      {"LI", {{"tau", "r", "v_leak"}, {}}},
      {"IF", {{"r", "v_threshold"}, {"v_reset"}}},
      {"LIF", {{"tau", "r", "v_leak", "v_threshold"}, {"v_reset"}}},
      {"CubaLI", {{"tau_syn", "tau_mem", "r", "v_leak"}, {"w_in"}}},
      {"CubaLIF", {{"tau_syn", "tau_mem", "r", "v_leak", "v_threshold"}, {"v_reset", "w_in"}}},
      {"NIRGraph", {{}, {}}},
  };
  return table;
}

// Fields whose values are per neuron: they must broadcast together.
bool is_neuron_field(const std::string& f) {
  static const std::set<std::string> s = {"tau", "tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"};
  return s.count(f) > 0;
}

// Hostile input: HDF5 hard links can make a group its own descendant, and shared subgraphs can
// multiply the nodes of a small file. NIRGraph nodes nest at most kMaxDepth deep and a file holds
// at most kMaxNodes nodes in all (real graphs: a few levels, hundreds of nodes).
constexpr int kMaxDepth = 32;
constexpr int64_t kMaxNodes = 100000;

struct ReadBudget {
  int depth = 0;
  int64_t nodes = 0;
};

std::string join_path(const std::string& a, const std::string& b) {
  return a.empty() || a == "/" ? "/" + b : a + "/" + b;
}

// A Conv's "padding" given as a string ("valid", "same") -> integers per spatial dimension.
at::Tensor padding_from_string(const std::string& s, const at::Tensor& weight, const std::string& where) {
  const int64_t dims = weight.dim() - 2;
  HNN_CHECK(dims >= 1, "{}: field 'padding': \"{}\" needs a 'weight' of at least 3 dimensions, got {}", where, s,
            weight.dim());
  if (s == "valid") return torch::zeros({dims}, torch::kInt64);
  HNN_CHECK(s == "same", "{}: field 'padding': \"{}\" (expected integers, \"valid\" or \"same\")", where, s);
  std::vector<int64_t> pad;
  for (int64_t d = 0; d < dims; ++d) {
    const int64_t k = weight.size(2 + d);
    HNN_CHECK(k % 2 == 1, "{}: field 'padding': \"same\" with an even kernel ({}) cannot be represented", where, k);
    pad.push_back((k - 1) / 2);
  }
  return torch::tensor(pad, torch::kInt64);
}

Graph read_graph(const H5Reader& r, const std::string& group, const std::string& file, const std::string& where,
                 ReadBudget& budget);

Node read_node(const H5Reader& r, const std::string& group, const std::string& file, const std::string& name,
               std::vector<std::string>& warnings, ReadBudget& budget) {
  const std::string where = fmt::format("NIR file '{}': node '{}'", file, name);
  Node n;
  const std::string type_path = join_path(group, "type");
  HNN_CHECK(r.has(type_path), "{}: no 'type' field", where);
  HNN_CHECK(r.is_string(type_path), "{}: field 'type' is not a string", where);
  auto type = r.read_strings(type_path);
  HNN_CHECK(type.size() == 1, "{}: field 'type' holds {} strings (expected 1)", where, type.size());
  n.type = type[0];
  HNN_CHECK(field_table().count(n.type), "{}: unsupported node type '{}' (hnn reads the NIR 1.0 set: {})", where,
            n.type, fmt::join(node_types(), ", "));
  if (n.type == "NIRGraph") {
    HNN_CHECK(budget.depth < kMaxDepth, "{}: NIRGraph nodes nest more than {} deep (a cycle of HDF5 links?)", where,
              kMaxDepth);
    ++budget.depth;
    n.graph = std::make_shared<Graph>(read_graph(r, group, file, where, budget));
    --budget.depth;
    for (auto& w : n.graph->warnings) warnings.push_back(w);
    n.graph->warnings.clear();
    return n;
  }
  std::string string_padding;
  for (const std::string& child : r.list(group)) {
    if (child == "type") continue;
    const std::string path = join_path(group, child);
    if (r.is_group(path)) {
      // input_type / output_type (newer files): the shape of the node's one port.
      if ((child == "input_type" || child == "output_type") && (n.type == "Input" || n.type == "Output")) {
        for (const std::string& port : r.list(path)) {
          if (!n.has("shape") && r.has(join_path(path, port)) && !r.is_string(join_path(path, port)))
            n.params["shape"] = r.read(join_path(path, port)).to(torch::kInt64);
        }
      } else if (child != "metadata" && child != "input_type" && child != "output_type") {
        warnings.push_back(fmt::format("node '{}': group '{}' ignored", name, child));
      }
      continue;
    }
    if (r.is_string(path)) {
      auto s = r.read_strings(path);
      if (child == "padding" && s.size() == 1) {
        string_padding = s[0];
      } else {
        warnings.push_back(fmt::format("node '{}': string field '{}' ignored", name, child));
      }
      continue;
    }
    try {
      n.params[child] = r.read(path);
    } catch (const Error& e) {
      fail("{}: field '{}': {}", where, child, e.what());
    }
  }
  if (!string_padding.empty()) {
    n.params["padding"] = padding_from_string(string_padding, n.at(name, "weight"), where);
  }
  return n;
}

Graph read_graph(const H5Reader& r, const std::string& group, const std::string& file, const std::string& where,
                 ReadBudget& budget) {
  Graph g;
  const std::string nodes = join_path(group, "nodes");
  HNN_CHECK(r.is_group(nodes), "{}: NIRGraph without a 'nodes' group", where);
  for (const std::string& name : r.list(nodes)) {
    const std::string path = join_path(nodes, name);
    HNN_CHECK(r.is_group(path), "NIR file '{}': node '{}' is not a group", file, name);
    HNN_CHECK(++budget.nodes <= kMaxNodes, "NIR file '{}': more than {} nodes (the limit)", file, kMaxNodes);
    g.nodes.emplace(name, read_node(r, path, file, name, g.warnings, budget));
  }
  const std::string edges = join_path(group, "edges");
  if (r.has(edges)) {
    HNN_CHECK(r.is_string(edges), "{}: field 'edges' does not hold node names", where);
    auto shape = r.shape(edges);
    auto names = r.read_strings(edges);
    if (!names.empty()) {
      HNN_CHECK(shape.size() == 2 && shape[1] == 2, "{}: field 'edges' of shape [{}] (expected [N, 2])", where,
                fmt::join(shape, ", "));
      for (size_t i = 0; i + 1 < names.size(); i += 2) g.edges.emplace_back(names[i], names[i + 1]);
    }
  }
  return g;
}

std::vector<std::string> node_names(const Graph& g) {
  std::vector<std::string> names;
  for (const auto& [name, n] : g.nodes) names.push_back(name);
  return names;
}

// "1,0.5" for small parameters, "[38x12]" for the others.
std::string param_text(const std::string& field, const at::Tensor& t) {
  if (t.numel() > 4 || t.dim() > 1) return fmt::format("{}[{}]", field, fmt::join(t.sizes(), "x"));
  const at::Tensor d = t.to(torch::kDouble).contiguous();
  std::vector<double> v(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  return fmt::format("{}={}", field, fmt::join(v, ","));
}

void write_graph(H5Writer& w, const Graph& g, const std::string& group) {
  w.write_strings(join_path(group, "type"), {"NIRGraph"});
  for (const auto& [name, node] : g.nodes) {
    const std::string path = join_path(join_path(group, "nodes"), name);
    if (node.type == "NIRGraph") {
      HNN_CHECK(node.graph, "NIR graph: NIRGraph node '{}' without a subgraph", name);
      write_graph(w, *node.graph, path);
      continue;
    }
    w.write_strings(join_path(path, "type"), {node.type});
    for (const auto& [field, t] : node.params) w.write(join_path(path, field), t.contiguous());
  }
  std::vector<std::string> flat;
  for (const auto& [a, b] : g.edges) {
    flat.push_back(a);
    flat.push_back(b);
  }
  w.write_strings(join_path(group, "edges"), flat, {(int64_t)g.edges.size(), 2});
}

}  // namespace

const at::Tensor& Node::at(const std::string& node_name, const std::string& field) const {
  auto it = params.find(field);
  HNN_CHECK(it != params.end(), "NIR node '{}' ({}): no field '{}'", node_name, type, field);
  return it->second;
}

std::vector<int64_t> Node::ints(const std::string& field, std::vector<int64_t> fallback) const {
  auto it = params.find(field);
  if (it == params.end()) return fallback;
  const at::Tensor t = it->second.to(torch::kInt64).flatten().contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

void Node::expand_params(const std::vector<int64_t>& shape) {
  std::vector<int64_t> common = shape;
  for (auto& [f, t] : params) common = at::infer_size(common, t.sizes());
  for (auto& [f, t] : params) t = t.expand(common).contiguous();
}

std::vector<std::string> Graph::of_type(const std::string& type) const {
  std::vector<std::string> out;
  for (const auto& [name, n] : nodes)
    if (n.type == type) out.push_back(name);
  return out;
}

const std::vector<std::string>& node_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const auto& [k, v] : field_table()) t.push_back(k);
    return t;
  }();
  return types;
}

const FieldSpec& fields_of(const std::string& type) {
  auto it = field_table().find(type);
  HNN_CHECK(it != field_table().end(), "NIR: unsupported node type '{}'", type);
  return it->second;
}

void validate(Graph& g, const std::string& where) {
  for (auto& [name, n] : g.nodes) {
    const std::string at = fmt::format("{}: node '{}' ({})", where, name, n.type);
    HNN_CHECK(field_table().count(n.type), "{}: unsupported node type '{}'", at, n.type);
    if (n.type == "NIRGraph") {
      HNN_CHECK(n.graph, "{}: no subgraph", at);
      validate(*n.graph, fmt::format("{}: subgraph '{}'", where, name));
      for (auto& w : n.graph->warnings) g.warnings.push_back(w);
      n.graph->warnings.clear();
      continue;
    }
    const FieldSpec& spec = fields_of(n.type);
    for (const std::string& f : spec.required) {
      // A missing bias of an Affine is zero (some exporters drop it).
      if (f == "bias" && !n.has(f) && n.has("weight") && n.params["weight"].dim() >= 1) {
        n.params["bias"] = torch::zeros({n.params["weight"].size(0)}, n.params["weight"].options());
        continue;
      }
      HNN_CHECK(n.has(f), "{}: missing field '{}' (required: {})", at, f, fmt::join(spec.required, ", "));
    }
    for (auto& [f, t] : n.params) {
      if (f == "shape" || f == "stride" || f == "padding" || f == "dilation" || f == "groups" || f == "kernel_size" ||
          f == "start_dim" || f == "end_dim" || f == "input_shape" || f == "input_type")
        continue;
      HNN_CHECK(t.is_floating_point() || f == "delay", "{}: field '{}' is of type {} (expected floating point)", at, f,
                std::string(c10::toString(t.scalar_type())));
      HNN_CHECK(torch::isfinite(t.to(torch::kDouble)).all().item<bool>(), "{}: field '{}' has non-finite values", at,
                f);
    }
    // Per-neuron fields must broadcast together; time constants must be positive.
    std::vector<int64_t> shape;
    std::string first;
    for (auto& [f, t] : n.params) {
      if (!is_neuron_field(f)) continue;
      if (f.rfind("tau", 0) == 0)
        HNN_CHECK((t > 0).all().item<bool>(), "{}: field '{}' must be positive (a time constant in seconds)", at, f);
      try {
        shape = first.empty() ? t.sizes().vec() : at::infer_size(shape, t.sizes());
      } catch (const std::exception&) {
        fail("{}: field '{}' of shape [{}] does not match field '{}' of shape [{}]", at, f, fmt::join(t.sizes(), ", "),
             first, fmt::join(shape, ", "));
      }
      if (first.empty()) first = f;
    }
    if (n.type == "Affine" || n.type == "Linear") {
      const at::Tensor& w = n.params["weight"];
      HNN_CHECK(w.dim() == 2, "{}: field 'weight' of shape [{}] (expected [out, in])", at, fmt::join(w.sizes(), ", "));
      if (n.has("bias"))
        HNN_CHECK(n.params["bias"].numel() == w.size(0), "{}: field 'bias' has {} values for {} outputs", at,
                  n.params["bias"].numel(), w.size(0));
    }
    if (n.type == "Conv1d" || n.type == "Conv2d") {
      const int64_t dims = n.type == "Conv1d" ? 1 : 2;
      const at::Tensor& w = n.params["weight"];
      HNN_CHECK(w.dim() == dims + 2, "{}: field 'weight' of shape [{}] (expected {} dimensions)", at,
                fmt::join(w.sizes(), ", "), dims + 2);
      if (n.has("bias"))
        HNN_CHECK(n.params["bias"].numel() == w.size(0), "{}: field 'bias' has {} values for {} output channels", at,
                  n.params["bias"].numel(), w.size(0));
    }
    if (n.type == "Delay") {
      HNN_CHECK((n.params["delay"] >= 0).all().item<bool>(), "{}: field 'delay' must be non-negative (seconds)", at);
    }
  }
  // Edges: both ends must name nodes. An end that names no node but begins exactly one node's
  // name is that node (exporters have written "lif" for a subgraph's "lif1").
  for (auto& [a, b] : g.edges) {
    for (std::string* end : {&a, &b}) {
      if (g.nodes.count(*end)) continue;
      std::vector<std::string> candidates;
      for (const auto& [name, n] : g.nodes)
        if (!end->empty() && name.rfind(*end, 0) == 0) candidates.push_back(name);
      HNN_CHECK(candidates.size() == 1, "{}: edge ('{}', '{}') names no node '{}' (nodes: {})", where, a, b, *end,
                fmt::join(node_names(g), ", "));
      std::string w = fmt::format("{}: edge end '{}' names no node; read as '{}'", where, *end, candidates[0]);
      if (std::find(g.warnings.begin(), g.warnings.end(), w) == g.warnings.end()) g.warnings.push_back(w);
      *end = candidates[0];
    }
  }
}

Graph read(const std::string& path) {
  H5Reader r(path);
  const std::string where = fmt::format("NIR file '{}'", path);
  HNN_CHECK(r.is_group("node"), "{}: no root group 'node' (not a NIR graph)", where);
  ReadBudget budget;
  Graph g = read_graph(r, "/node", path, where, budget);
  if (r.has("version") && r.is_string("version")) {
    auto v = r.read_strings("version");
    if (!v.empty()) g.version = v[0];
  }
  if (r.has("node/type") && r.is_string("node/type")) {
    auto t = r.read_strings("node/type");
    HNN_CHECK(!t.empty() && t[0] == "NIRGraph", "{}: the root node is a '{}', not a NIRGraph", where,
              t.empty() ? "" : t[0]);
  }
  validate(g, where);
  return g;
}

void write(const std::string& path, const Graph& g) {
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash));
  H5Writer w(path);
  w.write_strings("version", {g.version});
  write_graph(w, g, "/node");
  w.commit();
}

Graph flatten(const Graph& g) {
  Graph out;
  out.version = g.version;
  out.warnings = g.warnings;
  // Per subgraph: the inner nodes its Input nodes feed and the inner nodes that feed its Outputs.
  std::map<std::string, std::vector<std::string>> entry, exit;
  for (const auto& [name, n] : g.nodes) {
    if (n.type != "NIRGraph") {
      out.nodes[name] = n;
      continue;
    }
    Graph sub = flatten(*n.graph);
    auto port = [&](const std::string& inner, const char* type) {
      auto it = sub.nodes.find(inner);
      return it != sub.nodes.end() && it->second.type == type;
    };
    for (auto& [inner, node] : sub.nodes)
      if (node.type != "Input" && node.type != "Output") out.nodes[name + "." + inner] = node;
    for (const auto& [a, b] : sub.edges) {
      if (port(a, "Input")) {
        entry[name].push_back(name + "." + b);
      } else if (port(b, "Output")) {
        exit[name].push_back(name + "." + a);
      } else {
        out.edges.emplace_back(name + "." + a, name + "." + b);
      }
    }
    for (auto& w : sub.warnings) out.warnings.push_back(w);
    HNN_CHECK(!entry[name].empty() && !exit[name].empty(),
              "NIR graph: subgraph '{}' needs edges from an Input node and to an Output node", name);
  }
  for (const auto& [a, b] : g.edges) {
    const std::vector<std::string> from = exit.count(a) ? exit[a] : std::vector<std::string>{a};
    const std::vector<std::string> to = entry.count(b) ? entry[b] : std::vector<std::string>{b};
    for (const auto& x : from)
      for (const auto& y : to) out.edges.emplace_back(x, y);
  }
  return out;
}

Schedule schedule(const Graph& flat) {
  std::map<std::string, std::vector<std::string>> next;
  for (const auto& [a, b] : flat.edges) next[a].push_back(b);
  std::map<std::string, int> mark;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> post;
  Schedule s;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    mark[v] = 1;
    for (const std::string& w : next[v]) {
      if (mark[w] == 1) {
        s.recurrent.emplace_back(v, w);
      } else if (mark[w] == 0) {
        visit(w);
      }
    }
    mark[v] = 2;
    post.push_back(v);
  };
  for (const std::string& in : flat.of_type("Input"))
    if (mark[in] == 0) visit(in);
  for (const auto& [name, n] : flat.nodes)
    if (mark[name] == 0) visit(name);
  s.order.assign(post.rbegin(), post.rend());
  return s;
}

std::string describe(const Graph& g) {
  std::string s = fmt::format("NIR version {}, {} nodes, {} edges\n", g.version, g.nodes.size(), g.edges.size());
  std::function<void(const Graph&, const std::string&)> nodes = [&](const Graph& gr, const std::string& indent) {
    for (const auto& [name, n] : gr.nodes) {
      s += fmt::format("{}{:<16} {}", indent, name, n.type);
      std::vector<std::string> parts;
      for (const auto& [f, t] : n.params) parts.push_back(param_text(f, t));
      s += parts.empty() ? "\n" : "  " + fmt::format("{}", fmt::join(parts, " ")) + "\n";
      if (n.graph) {
        nodes(*n.graph, indent + "  ");
        for (const auto& [a, b] : n.graph->edges) s += fmt::format("{}  {} -> {}\n", indent, a, b);
      }
    }
  };
  nodes(g, "  ");
  s += "edges:\n";
  for (const auto& [a, b] : g.edges) s += fmt::format("  {} -> {}\n", a, b);
  Graph flat = flatten(g);
  auto sch = schedule(flat);
  for (const auto& [a, b] : sch.recurrent)
    s += fmt::format("recurrent edge: {} -> {} (previous step's output)\n", a, b);
  for (const auto& w : g.warnings) s += fmt::format("warning: {}\n", w);
  return s;
}

}  // namespace hnn::io::nir
