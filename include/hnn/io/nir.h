// NIR graphs (the Neuromorphic Intermediate Representation, neuroir.org): the HDF5 files that
// SpikingJelly, snnTorch, Norse, Sinabs, Lava, Rockpool, Spyx and several chips read and write.
// A Graph is what the file holds: named nodes (a type such as "LIF" or "Conv2d" and named parameter
// tensors in NIR's names and continuous-time units), edges between them, and nested NIRGraph nodes.
// read() checks each node against the NIR 1.0 node set (the node and field are named in every
// error); flatten() inlines subgraphs as "outer.inner" nodes. Running a graph: nir_model.h.
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hnn::io::nir {

struct Graph;

struct Node {
  std::string type;                          // "Input", "Affine", "LIF", ..., "NIRGraph"
  std::map<std::string, at::Tensor> params;  // e.g. "weight", "tau", "v_threshold", "shape"
  std::shared_ptr<Graph> graph;              // the subgraph of a NIRGraph node

  bool has(const std::string& name) const { return params.count(name) > 0; }
  // The parameter (hnn::Error naming the node and field when it is missing).
  const at::Tensor& at(const std::string& node_name, const std::string& field) const;
  // An integer field as numbers (strides, kernel sizes, an Input's "shape"); `fallback` when absent.
  std::vector<int64_t> ints(const std::string& field, std::vector<int64_t> fallback = {}) const;
  // Every parameter expanded to one common shape, broadcast together with `shape` (NIR's readers
  // expect the per-neuron fields of a node to have the neurons' shape).
  void expand_params(const std::vector<int64_t>& shape = {});
};

struct Graph {
  std::map<std::string, Node> nodes;
  std::vector<std::pair<std::string, std::string>> edges;  // (source, target), in file order
  std::string version = "1.0";                             // the file's "version" (root graph only)
  std::vector<std::string> warnings;                       // what read() repaired, for people to see

  // Names of the nodes of a type, in name order.
  std::vector<std::string> of_type(const std::string& type) const;
};

// The NIR 1.0 node types hnn reads and writes (NIRGraph included).
const std::vector<std::string>& node_types();

// The parameters a node type must have and may have, in NIR's names.
struct FieldSpec {
  std::vector<std::string> required, optional;
};
const FieldSpec& fields_of(const std::string& type);

// Reads a NIR file. hnn::Error naming the file, node and field for what is missing, of the wrong
// shape or of an unknown type. An edge naming a node that does not exist is resolved to the one
// node whose name it begins (a bug of some exporters' subgraphs) and noted in warnings.
Graph read(const std::string& path);

// Checks a graph as read() does (types, required fields, shapes, edges); `where` prefixes errors.
void validate(Graph& g, const std::string& where);

// Writes a graph (nested subgraphs as NIRGraph groups), atomically, as NIR's own writer lays it out:
// root "version", group "node" with "type" = "NIRGraph", "nodes/<name>/..." and "edges".
void write(const std::string& path, const Graph& g);

// The same graph with every NIRGraph node inlined: its nodes become "outer.inner"; its Input and
// Output nodes go, so edges into "outer" reach what its Inputs fed and edges from "outer" leave
// from what fed its Outputs.
Graph flatten(const Graph& g);

// The order a flat graph runs in: a depth-first search from the Input nodes (then from any node
// not reached, in name order) along edges in file order. Edges to a node still on the search
// stack close a cycle: they are the recurrent edges, which carry the previous step's output.
// `order` lists every node so that each non-recurrent edge goes forward.
struct Schedule {
  std::vector<std::string> order;
  std::vector<std::pair<std::string, std::string>> recurrent;
};
Schedule schedule(const Graph& flat);

// A human-readable summary: nodes with types and parameter shapes, edges, recurrent edges.
std::string describe(const Graph& g);

}  // namespace hnn::io::nir
