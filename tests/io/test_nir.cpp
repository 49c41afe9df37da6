#include "hnn/io/nir.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/io/h5.h"
#include "hnn/io/nir_model.h"
#include "hnn/nn/spiking_layers.h"
#include "hnn/nn/time_fold.h"
#include "hnn/spike/neurons.h"
#include "test_util.h"

namespace {

namespace nir = hnn::io::nir;
using hnn::spike::NeuronOptions;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_nir_" + std::to_string(getpid()) + "_" + name;
}

// The three columns of a trace file of the NIR paper: input spike, voltage, output spike.
at::Tensor read_csv(const std::string& path) {
  std::ifstream in(path);
  std::vector<double> v;
  std::string line;
  int64_t rows = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    ++rows;
  }
  return torch::tensor(v, torch::kDouble).view({rows, -1});
}

// The first index of each spike.
std::vector<int64_t> spike_steps(const at::Tensor& s) {
  std::vector<int64_t> out;
  auto a = s.to(torch::kDouble).contiguous();
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a.data_ptr<double>()[i] > 0.5) out.push_back(i);
  return out;
}

struct LifRun {
  at::Tensor v, spikes;
};

LifRun run_lif(const std::string& file, const at::Tensor& input, nir::Discretisation d) {
  auto model = nir::load(file, nir::ModelOptions().dt(1e-4).discretisation(d));
  model->to(torch::kDouble);
  std::map<std::string, nir::Trace> traces;
  auto outs = model->run({{"input", input.view({-1, 1, 1})}}, {"1"}, &traces);
  return {traces["1"].v.flatten(), outs["output"].flatten()};
}

// The LIF neuron of the NIR paper (exported by Norse), driven by the paper's input spikes:
// Euler steps give Norse's trace (and the spike steps of the exact solution); the exact
// discretisation gives the exact event-driven solution up to the first spike and stays closer to it
// than any framework of the paper afterwards.
TEST(Nir, LifNeuronReproducesThePaperTraces) {
  HNN_REQUIRE_DATA("nir/lif_norse.nir", file);
  const std::string dir = file.substr(0, file.rfind('/') + 1);
  at::Tensor exact = read_csv(dir + "lif_exact.csv"), norse = read_csv(dir + "lif_norse.csv");
  at::Tensor input = exact.select(1, 0).contiguous();
  const std::vector<int64_t> want_spikes = spike_steps(exact.select(1, 2));
  ASSERT_EQ(want_spikes, (std::vector<int64_t>{460, 510, 710, 760}));

  LifRun euler = run_lif(file, input, nir::Discretisation::Euler);
  EXPECT_EQ(spike_steps(euler.spikes), want_spikes);
  EXPECT_LT(max_abs_diff(euler.v, norse.select(1, 1)), 1e-6);

  LifRun ex = run_lif(file, input, nir::Discretisation::Exact);
  EXPECT_EQ(spike_steps(ex.spikes), want_spikes);
  EXPECT_LT(max_abs_diff(ex.v.slice(0, 0, 460), exact.select(1, 1).slice(0, 0, 460)), 1e-9);
  // The paper's tolerance is the spread of the frameworks around the exact solution: hnn must be
  // no further from it than Norse, which exported the graph (its spikes are the exact ones too).
  const at::Tensor v_exact = exact.select(1, 1);
  const double norse_dev = max_abs_diff(norse.select(1, 1), v_exact);
  EXPECT_LE(max_abs_diff(euler.v, v_exact), norse_dev + 1e-6);
  EXPECT_LE(max_abs_diff(ex.v, v_exact), norse_dev + 1e-6);
  std::string others;
  for (const char* f : {"rockpool", "sinabs", "spyx"})
    others += fmt::format(", {} {:.2e}", f, max_abs_diff(read_csv(dir + "lif_" + f + ".csv").select(1, 1), v_exact));
  std::cout << fmt::format(
      "[ info ] LIF trace, max |v - v_exact|: hnn euler {:.2e}, hnn exact {:.2e} (before the first spike {:.1e}), "
      "norse {:.2e}{}; hnn euler vs Norse {:.1e}\n",
      max_abs_diff(euler.v, v_exact), max_abs_diff(ex.v, v_exact),
      max_abs_diff(ex.v.slice(0, 0, 460), v_exact.slice(0, 0, 460)), norse_dev, others,
      max_abs_diff(euler.v, norse.select(1, 1)));
}

TEST(Nir, RockpoolAndTwoNeuronGraphsRun) {
  HNN_REQUIRE_DATA("nir/lif_rockpool.nir", file);
  const std::string dir = file.substr(0, file.rfind('/') + 1);
  at::Tensor exact = read_csv(dir + "lif_exact.csv");
  auto model = nir::load(file, nir::ModelOptions().dt(1e-4));
  at::Tensor out = model->forward(exact.select(1, 0).to(torch::kFloat).view({-1, 1, 1}));
  EXPECT_EQ(spike_steps(out.flatten()).size(), 4u);
  auto two = nir::load(dir + "two_lif_neurons.nir", nir::ModelOptions().dt(1e-4));
  EXPECT_EQ(two->inputs(), std::vector<std::string>{"in"});
  at::Tensor x = torch::zeros({100, 2, 1});
  x.slice(0, 10, 60) = 1;
  EXPECT_EQ(two->forward(x).sizes(), (std::vector<int64_t>{100, 2, 1}));
}

// The recurrent Braille graphs of the NIR paper (snnTorch): the flat file and the one with a
// subgraph are the same network, so they give the same spikes; the recurrent edge makes the model
// run step by step.
TEST(Nir, BrailleGraphsWithAndWithoutSubgraphsAgree) {
  HNN_REQUIRE_DATA("nir/braille_noDelay_bias_zero.nir", flat_file);
  const std::string dir = flat_file.substr(0, flat_file.rfind('/') + 1);
  for (const std::string stem : {"braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"}) {
    const bool subtract = stem.find("subtract") != std::string::npos;
    auto opts = nir::ModelOptions().dt(1e-4).soft_reset(subtract);
    nir::Graph sub_graph = nir::read(dir + stem + "_subgraph.nir");
    EXPECT_FALSE(sub_graph.warnings.empty());  // its inner edges name "lif" for the node "lif1"
    auto flat = nir::load(dir + stem + ".nir", opts);
    nir::Model sub(sub_graph, opts);
    ASSERT_TRUE(flat->recurrent());
    ASSERT_TRUE(sub->recurrent());
    torch::manual_seed(0);
    at::Tensor x = (torch::rand({256, 3, 12}) < 0.1).to(torch::kFloat);
    std::map<std::string, nir::Trace> tf, ts;
    auto of = flat->run({{"input", x}}, {"lif1.lif"}, &tf);
    auto os = sub->run({{"input", x}}, {"lif1.lif1"}, &ts);
    EXPECT_EQ(of["output"].sizes(), (std::vector<int64_t>{256, 3, 7}));
    EXPECT_TENSOR_NEAR(of["output"], os["output"], 0);
    EXPECT_TENSOR_NEAR(tf["lif1.lif"].out, ts["lif1.lif1"].out, 0);
    EXPECT_EQ(tf["lif1.lif"].out.size(2), subtract ? 40 : 38);
    EXPECT_GT(tf["lif1.lif"].out.sum().item<double>(), 0) << stem << ": the hidden layer never fires";
  }
}

// A recurrent LIF layer against the loop written from NIR's equations.
TEST(Nir, RecurrentGraphEqualsAHandWrittenLoop) {
  torch::manual_seed(1);
  const int64_t n = 5, T = 30, B = 2;
  nir::Graph g;
  auto node = [](std::string type, std::map<std::string, at::Tensor> p) {
    nir::Node nd;
    nd.type = std::move(type);
    nd.params = std::move(p);
    return nd;
  };
  at::Tensor w_in = torch::randn({n, 3}, torch::kDouble), w_rec = torch::randn({n, n}, torch::kDouble) * 0.5;
  at::Tensor tau = torch::rand({n}, torch::kDouble) * 4e-3 + 1e-3, thr = torch::rand({n}, torch::kDouble) + 0.5;
  g.nodes["input"] = node("Input", {{"shape", torch::tensor({3}, torch::kInt64)}});
  g.nodes["fc"] = node("Linear", {{"weight", w_in}});
  g.nodes["rec"] = node("Linear", {{"weight", w_rec}});
  g.nodes["lif"] = node("LIF", {{"tau", tau},
                                {"r", torch::full({n}, 2.0, torch::kDouble)},
                                {"v_leak", torch::full({n}, 0.1, torch::kDouble)},
                                {"v_threshold", thr},
                                {"v_reset", torch::full({n}, -0.2, torch::kDouble)}});
  g.nodes["output"] = node("Output", {});
  g.edges = {{"input", "fc"}, {"fc", "lif"}, {"lif", "rec"}, {"rec", "lif"}, {"lif", "output"}};
  const double dt = 1e-3;
  nir::Model model(g, nir::ModelOptions().dt(dt));
  model->to(torch::kDouble);
  at::Tensor x = torch::randn({T, B, 3}, torch::kDouble) * 2;
  at::Tensor got = model->forward(x);
  at::Tensor v = torch::full({B, n}, -0.2, torch::kDouble), s = torch::zeros({B, n}, torch::kDouble);
  std::vector<at::Tensor> want;
  for (int64_t t = 0; t < T; ++t) {
    at::Tensor I = torch::matmul(x[t], w_in.t()) + torch::matmul(s, w_rec.t());
    at::Tensor h = v + dt / tau * (0.1 - v + 2.0 * I);
    s = (h > thr).to(torch::kDouble);
    v = torch::where(s > 0, torch::full_like(h, -0.2), h);
    want.push_back(s);
  }
  EXPECT_TENSOR_NEAR(got, torch::stack(want), 0);
  EXPECT_GT(got.sum().item<double>(), 0);
}

// Export a library network, write it, read it back, and get the same outputs.
TEST(Nir, ExportedLibraryNetworkRoundTrips) {
  torch::manual_seed(2);
  const double dt = 1e-3;
  torch::nn::Sequential net(
      hnn::nn::SpikingConv2d(
          hnn::nn::SpikingConv2dOptions(2, 4, 3).padding(1).neuron(NeuronOptions::integrate_and_fire().threshold(0.5))),
      torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).divisor_override(1)), torch::nn::Flatten(),
      hnn::nn::SpikingLinear(
          hnn::nn::SpikingLinearOptions(4 * 4 * 4, 6).batch_norm(true).neuron(NeuronOptions::lif(3.0).threshold(0.3))),
      torch::nn::Linear(6, 3), hnn::spike::Lif(NeuronOptions::lif_decay(0.8).threshold(0.2)));
  // Non-trivial BatchNorm statistics, then inference mode.
  net->train();
  at::Tensor warm = (torch::rand({4, 8, 2, 8, 8}) < 0.3).to(torch::kFloat);
  auto reference = [&](const at::Tensor& x) {
    const int64_t T = x.size(0);
    at::Tensor y = net[0]->as<hnn::nn::SpikingConv2d>()->forward(x);
    y = hnn::nn::unfold_time(
        net[2]->as<torch::nn::Flatten>()->forward(net[1]->as<torch::nn::AvgPool2d>()->forward(hnn::nn::fold_time(y))),
        T);
    y = net[3]->as<hnn::nn::SpikingLinear>()->forward(y);
    y = net[4]->as<torch::nn::Linear>()->forward(y);
    return net[5]->as<hnn::spike::Lif>()->forward(y);
  };
  reference(warm);
  net->eval();
  nir::Graph g = nir::export_sequential(net, nir::ExportOptions().dt(dt).input_shape({2, 8, 8}));
  EXPECT_EQ(g.nodes.at("0.neuron").type, "IF");
  EXPECT_EQ(g.nodes.at("1").type, "SumPool2d");
  EXPECT_EQ(g.nodes.at("3.fc").type, "Affine");  // the BatchNorm folded in
  EXPECT_EQ(g.nodes.at("5").type, "LIF");
  EXPECT_EQ(g.nodes.at("3.neuron").params.at("tau").sizes(), (std::vector<int64_t>{6}));
  const std::string path = temp_path("export.nir");
  nir::write(path, g);
  auto model = nir::load(path, nir::ModelOptions().dt(dt));
  model->eval();
  at::Tensor x = (torch::rand({12, 3, 2, 8, 8}) < 0.3).to(torch::kFloat);
  torch::NoGradGuard ng;
  at::Tensor want = reference(x), got = model->forward(x);
  EXPECT_GT(want.sum().item<double>(), 0);
  EXPECT_LT(max_abs_diff(got, want), 1e-6);
  // And the imported model writes the same graph again.
  const std::string again = temp_path("again.nir");
  nir::write(again, model->to_graph());
  auto model2 = nir::load(again, nir::ModelOptions().dt(dt));
  EXPECT_TENSOR_NEAR(model2->forward(x), got, 1e-6);
  // The same graph as snnTorch and Sinabs write IF neurons (r = 1, meaning "add I each step"),
  // read with --if-per-step, computes the same.
  nir::Graph per_step = g;
  per_step.nodes.at("0.neuron").params["r"] = torch::ones_like(g.nodes.at("0.neuron").params.at("r"));
  auto model3 = nir::Model(per_step, nir::ModelOptions().dt(dt).if_per_step(true));
  EXPECT_TENSOR_NEAR(model3->forward(x), got, 1e-6);
  std::remove(path.c_str());
  std::remove(again.c_str());
}

// The node types the other tests do not reach, in one chain, written, read back and run against
// the equations stepped by hand.
TEST(Nir, EveryOtherNodeTypeRoundTripsAndRuns) {
  torch::manual_seed(3);
  auto node = [](std::string type, std::map<std::string, at::Tensor> p) {
    nir::Node nd;
    nd.type = std::move(type);
    nd.params = std::move(p);
    return nd;
  };
  auto d = [](std::vector<double> v) { return torch::tensor(v, torch::kDouble); };
  at::Tensor conv_w = torch::randn({3, 2, 3}, torch::kDouble), conv_b = torch::randn({3}, torch::kDouble);
  at::Tensor fc_w = torch::randn({4, 18}, torch::kDouble) * 0.5;
  nir::Graph g;
  g.nodes["input"] = node("Input", {{"shape", torch::tensor({2, 6}, torch::kInt64)}});
  g.nodes["conv"] = node("Conv1d", {{"weight", conv_w},
                                    {"bias", conv_b},
                                    {"stride", torch::tensor({1}, torch::kInt64)},
                                    {"padding", torch::tensor({1}, torch::kInt64)},
                                    {"dilation", torch::tensor({1}, torch::kInt64)},
                                    {"groups", torch::tensor(1, torch::kInt64)}});
  g.nodes["scale"] = node("Scale", {{"scale", torch::full({3, 1}, 0.5, torch::kDouble)}});
  g.nodes["flat"] =
      node("Flatten", {{"start_dim", torch::tensor(0, torch::kInt64)}, {"end_dim", torch::tensor(-1, torch::kInt64)}});
  g.nodes["fc"] = node("Linear", {{"weight", fc_w}});
  g.nodes["cuba"] = node("CubaLI", {{"tau_syn", d({2e-3, 3e-3, 4e-3, 5e-3})},
                                    {"tau_mem", d({4e-3, 4e-3, 6e-3, 6e-3})},
                                    {"r", d({1.0, 2.0, 1.0, 2.0})},
                                    {"v_leak", d({0.0, 0.1, 0.0, 0.1})},
                                    {"w_in", d({1.0, 1.0, 2.0, 2.0})}});
  g.nodes["li"] = node("LI", {{"tau", d({3e-3})}, {"r", d({1.5})}, {"v_leak", d({0.0})}});
  g.nodes["int"] = node("I", {{"r", d({100.0})}});
  g.nodes["thr"] = node("Threshold", {{"threshold", d({0.05})}});
  g.nodes["output"] = node("Output", {});
  g.edges = {{"input", "conv"}, {"conv", "scale"}, {"scale", "flat"}, {"flat", "fc"},   {"fc", "cuba"},
             {"cuba", "li"},    {"li", "int"},     {"int", "thr"},    {"thr", "output"}};
  const std::string path = temp_path("every.nir");
  nir::write(path, g);
  const double dt = 1e-3;
  auto model = nir::load(path, nir::ModelOptions().dt(dt));
  model->to(torch::kDouble);
  const int64_t T = 12, B = 2;
  at::Tensor x = torch::randn({T, B, 2, 6}, torch::kDouble);
  std::map<std::string, nir::Trace> tr;
  at::Tensor got = model->run({{"input", x}}, {"int"}, &tr)["output"];
  // By hand.
  at::Tensor i = torch::zeros({B, 4}, torch::kDouble), v = torch::zeros({B, 4}, torch::kDouble);
  at::Tensor u = torch::zeros({B, 4}, torch::kDouble), w = torch::zeros({B, 4}, torch::kDouble);
  std::vector<at::Tensor> want, want_int;
  for (int64_t t = 0; t < T; ++t) {
    at::Tensor c = at::conv1d(x[t], conv_w, conv_b, 1, 1) * 0.5;
    at::Tensor I = torch::matmul(c.flatten(1), fc_w.t());
    i = i + dt / d({2e-3, 3e-3, 4e-3, 5e-3}) * (d({1.0, 1.0, 2.0, 2.0}) * I - i);
    v = v + dt / d({4e-3, 4e-3, 6e-3, 6e-3}) * (d({0.0, 0.1, 0.0, 0.1}) - v + d({1.0, 2.0, 1.0, 2.0}) * i);
    u = u + dt / 3e-3 * (-u + 1.5 * v);
    w = w + dt * 100.0 * u;
    want_int.push_back(w);
    want.push_back((w > 0.05).to(torch::kDouble));
  }
  // The model holds its parameters in float32 (then double): 1e-5, not exact.
  EXPECT_LT(max_abs_diff(tr["int"].out, torch::stack(want_int)), 1e-5);
  EXPECT_TENSOR_NEAR(got, (tr["int"].out > 0.05).to(torch::kDouble), 0);
  EXPECT_GT(torch::stack(want).sum().item<double>(), 0);
  // Written again from the model: the same types and values.
  nir::Graph back = model->to_graph();
  for (const auto& [name, n] : g.nodes) {
    EXPECT_EQ(back.nodes.at(name).type, n.type) << name;
    for (const auto& [f, t] : n.params) {
      if (t.is_floating_point()) {
        EXPECT_LT(max_abs_diff(back.nodes.at(name).params.at(f).expand_as(t), t), 1e-6) << name << "." << f;
      }
    }
  }
  // AvgPool2d against LibTorch's.
  nir::Graph pool;
  pool.nodes["input"] = node("Input", {});
  pool.nodes["pool"] = node("AvgPool2d", {{"kernel_size", torch::tensor({2, 2}, torch::kInt64)},
                                          {"stride", torch::tensor({2, 2}, torch::kInt64)},
                                          {"padding", torch::tensor({0, 0}, torch::kInt64)}});
  pool.nodes["output"] = node("Output", {});
  pool.edges = {{"input", "pool"}, {"pool", "output"}};
  at::Tensor img = torch::rand({3, 2, 1, 4, 4});
  EXPECT_TENSOR_NEAR(nir::Model(pool)->forward(img), at::avg_pool2d(img.flatten(0, 1), 2).view({3, 2, 1, 2, 2}), 1e-7);
  std::remove(path.c_str());
}

TEST(Nir, WhatNirCannotHoldIsRefusedByName) {
  torch::nn::Sequential soft(torch::nn::Linear(3, 2),
                             hnn::spike::Lif(NeuronOptions::lif().reset(hnn::spike::Reset::Soft)));
  try {
    nir::export_sequential(soft, {});
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("reset by subtraction"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'1'"), std::string::npos) << e.what();
  }
  torch::nn::Sequential other(torch::nn::Linear(3, 2), torch::nn::ReLU());
  EXPECT_THROW(nir::export_sequential(other, {}), hnn::Error);
}

// Files that are not NIR, or NIR with a node hnn cannot read, fail with the node and field named.
TEST(Nir, CorruptAndUnsupportedFilesGiveClearErrors) {
  auto expect_error = [](const std::string& path, const std::vector<std::string>& words) {
    try {
      nir::read(path);
      ADD_FAILURE() << path << ": no error";
    } catch (const hnn::Error& e) {
      for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
    }
  };
  auto write_graph = [](const std::string& path, const std::string& type, const std::string& field) {
    hnn::io::H5Writer w(path);
    w.write_strings("version", {"1.0"});
    w.write_strings("node/type", {"NIRGraph"});
    w.write_strings("node/nodes/input/type", {"Input"});
    w.write("node/nodes/input/shape", torch::tensor({2}, torch::kInt64));
    w.write_strings("node/nodes/bad/type", {type});
    w.write("node/nodes/bad/" + field, torch::ones({2}));
    w.write_strings("node/edges", {"input", "bad"}, {1, 2});
    w.commit();
  };
  const std::string unknown = temp_path("unknown.nir"), missing = temp_path("missing.nir");
  write_graph(unknown, "Spiral", "weight");
  expect_error(unknown, {"'bad'", "Spiral"});
  write_graph(missing, "LIF", "tau");
  expect_error(missing, {"'bad'", "LIF", "'r'"});
  const std::string text = temp_path("text.nir");
  std::ofstream(text) << "not hdf5";
  expect_error(text, {"not an HDF5 file"});
  HNN_REQUIRE_DATA("nir/lif_norse.nir", real);
  std::ifstream in(real, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = temp_path("cut.nir");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THROW(nir::read(cut), hnn::Error);
  for (const auto& p : {unknown, missing, text, cut}) std::remove(p.c_str());
}

TEST(Nir, DelayShiftsEachElementByItsSteps) {
  nir::Graph g;
  g.nodes["input"].type = "Input";
  g.nodes["d"].type = "Delay";
  g.nodes["d"].params["delay"] = torch::tensor({0.0, 2e-3, 3e-3});
  g.nodes["output"].type = "Output";
  g.edges = {{"input", "d"}, {"d", "output"}};
  nir::Model m(g, nir::ModelOptions().dt(1e-3));
  at::Tensor x = torch::arange(1, 1 + 6 * 3, torch::kFloat).view({6, 1, 3});
  at::Tensor y = m->forward(x);
  EXPECT_EQ(y[0][0][0].item<float>(), x[0][0][0].item<float>());
  EXPECT_EQ(y[1][0][1].item<float>(), 0);
  EXPECT_EQ(y[4][0][1].item<float>(), x[2][0][1].item<float>());
  EXPECT_EQ(y[5][0][2].item<float>(), x[2][0][2].item<float>());
}

// An imported graph is an hnn module: its weights train through the surrogate.
TEST(Nir, ImportedGraphTrains) {
  HNN_REQUIRE_DATA("nir/braille_noDelay_bias_zero.nir", file);
  auto model = nir::load(file, nir::ModelOptions().dt(1e-4));
  at::Tensor x = (torch::rand({50, 2, 12}) < 0.2).to(torch::kFloat);
  at::Tensor y = model->forward(x);
  y.sum().backward();
  double g = 0;
  for (auto& p : model->parameters())
    if (p.grad().defined()) g += p.grad().abs().sum().item<double>();
  EXPECT_GT(g, 0);
}

TEST(Nir, DescribeNamesNodesAndRecurrentEdges) {
  HNN_REQUIRE_DATA("nir/braille_noDelay_bias_zero_subgraph.nir", file);
  std::string s = nir::describe(nir::read(file));
  EXPECT_NE(s.find("CubaLIF"), std::string::npos) << s;
  EXPECT_NE(s.find("recurrent edge"), std::string::npos) << s;
  EXPECT_NE(s.find("warning"), std::string::npos) << s;
}

}  // namespace

// Hostile input: an HDF5 hard link can make a NIRGraph node its own descendant. Reading stops at
// the nesting limit with an error instead of recursing until the stack overflows.
TEST(Nir, LinkCycleIsRefused) {
  nir::Graph g;
  g.nodes["input"].type = "Input";
  g.nodes["input"].params["shape"] = torch::tensor({3}, torch::kInt64);
  g.nodes["output"].type = "Output";
  g.nodes["output"].params["shape"] = torch::tensor({3}, torch::kInt64);
  g.edges = {{"input", "output"}};
  const std::string path = temp_path("cycle.nir");
  nir::write(path, g);
  EXPECT_NO_THROW(nir::read(path));
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  ASSERT_GE(H5Lcreate_hard(f, "/node", f, "/node/nodes/loop", H5P_DEFAULT, H5P_DEFAULT), 0);
  H5Fclose(f);
  try {
    nir::read(path);
    ADD_FAILURE() << "no error";
  } catch (const hnn::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find("nest more than 32 deep"), std::string::npos) << m;
  }
  std::remove(path.c_str());
}
