// Library modules -> NIR nodes (export_sequential, export_neuron).
#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "hnn/core/error.h"
#include "hnn/io/nir_model.h"
#include "hnn/nn/spiking_layers.h"

namespace hnn::io::nir {

namespace {

at::Tensor f32(const at::Tensor& t) {
  return t.detach().to(torch::kFloat).contiguous().clone();
}

at::Tensor ints(std::vector<int64_t> v) {
  return torch::tensor(v, torch::kInt64);
}

template <size_t D>
at::Tensor ints(const torch::ExpandingArray<D>& a) {
  return ints(std::vector<int64_t>(a->begin(), a->end()));
}

// Folds an eval-mode BatchNorm (running statistics) into the weight and bias of the layer before.
template <typename BatchNorm>
void fold_batch_norm(Node& layer, const BatchNorm& bn, const std::string& where) {
  HNN_CHECK(layer.has("weight"), "{}: a BatchNorm must follow a Linear or Conv layer", where);
  const at::Tensor mean = bn.running_mean.detach().to(torch::kDouble);
  at::Tensor w = layer.params["weight"].to(torch::kDouble);
  at::Tensor scale = (bn.weight.defined() ? bn.weight.detach().to(torch::kDouble) : torch::ones_like(mean)) /
                     torch::sqrt(bn.running_var.detach().to(torch::kDouble) + bn.options.eps());
  at::Tensor b =
      layer.has("bias") ? layer.params["bias"].to(torch::kDouble) : torch::zeros({w.size(0)}, torch::kDouble);
  std::vector<int64_t> view(w.dim(), 1);
  view[0] = -1;
  layer.params["weight"] = (w * scale.view(view)).to(torch::kFloat);
  at::Tensor shift = bn.bias.defined() ? bn.bias.detach().to(torch::kDouble) : torch::zeros_like(scale);
  layer.params["bias"] = ((b - mean) * scale + shift).to(torch::kFloat);
  if (layer.type == "Linear") layer.type = "Affine";
}

Node linear_node(const torch::nn::LinearImpl& l) {
  Node n;
  n.type = l.bias.defined() ? "Affine" : "Linear";
  n.params["weight"] = f32(l.weight);
  if (l.bias.defined()) n.params["bias"] = f32(l.bias);
  return n;
}

template <size_t D, typename Options>
std::vector<int64_t> padding_of(const Options& o, const std::string& where) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  auto* p = std::get_if<torch::ExpandingArray<D>>(&o.padding());  // std::variant since LibTorch 2.1
#else
  auto* p = c10::get_if<torch::ExpandingArray<D>>(&o.padding());
#endif
  HNN_CHECK(p, "{}: a string padding (\"same\"/\"valid\") is exported as numbers only for odd kernels; give numbers",
            where);
  return std::vector<int64_t>((*p)->begin(), (*p)->end());
}

template <size_t D, typename Conv>
Node conv_node(const Conv& c, const std::string& where) {
  Node n;
  n.type = D == 1 ? "Conv1d" : "Conv2d";
  n.params["weight"] = f32(c.weight);
  if (c.bias.defined()) n.params["bias"] = f32(c.bias);
  n.params["stride"] = ints(c.options.stride());
  n.params["padding"] = ints(padding_of<D>(c.options, where));
  n.params["dilation"] = ints(c.options.dilation());
  n.params["groups"] = torch::tensor(c.options.groups(), torch::kInt64);
  HNN_CHECK(std::string(torch::enumtype::get_enum_name(c.options.padding_mode())) == "kZeros",
            "{}: only zero padding can be represented in NIR", where);
  return n;
}

}  // namespace

Node export_neuron(const spike::NeuronImpl& neuron, double dt, const std::string& name) {
  const spike::NeuronSpec spec = neuron.spec();
  const std::string where = fmt::format("NIR export: module '{}'", name);
  HNN_CHECK(!spec.adaptive, "{}: an adaptive threshold (ALIF) cannot be represented in NIR 1.0", where);
  HNN_CHECK(!neuron.options.dynamics().custom(), "{}: a custom neuron cannot be represented in NIR", where);
  HNN_CHECK(spec.reset != spike::Reset::Soft,
            "{}: reset by subtraction cannot be represented in NIR 1.0 (its neurons reset to v_reset); train with a "
            "hard reset, or export a copy with a hard reset and import it with --soft-reset",
            where);
  spike::NeuronParams p = neuron.params();
  auto or_default = [](const at::Tensor& t, double v) {
    return t.defined() ? t.detach().to(torch::kDouble) : torch::full({}, v, torch::kDouble);
  };
  const at::Tensor theta = or_default(p.threshold, 1.0), v_reset = or_default(p.v_reset, 0.0);
  const at::Tensor k = or_default(p.decay, 0.5), v_rest = or_default(p.v_rest, 0.0);
  Node n;
  const bool spiking = spec.reset == spike::Reset::Hard;
  if (spec.charge == spike::Charge::If) {
    n.type = spiking ? "IF" : "I";
    n.params["r"] = torch::full({}, 1.0 / dt, torch::kDouble);  // dv/dt = R I with dt R = 1
  } else if (spec.charge == spike::Charge::LifOde) {
    n.type = spiking ? "LIF" : "LI";
    n.params["tau"] = dt / k;  // v += (dt / tau) (v_leak - v + R I)
    n.params["r"] = torch::ones({}, torch::kDouble);
    n.params["v_leak"] = v_rest;
  } else {
    n.type = spiking ? "LIF" : "LI";
    n.params["tau"] = dt / (1 - k);  // v = d v + x  <=>  dt / tau = 1 - d, R dt / tau = 1
    n.params["r"] = 1 / (1 - k);
    n.params["v_leak"] = torch::zeros({}, torch::kDouble);
  }
  if (spiking) {
    n.params["v_threshold"] = theta;
    n.params["v_reset"] = v_reset;
  }
  for (auto& [f, t] : n.params) t = t.to(torch::kFloat);
  n.expand_params();
  return n;
}

Graph export_sequential(const torch::nn::Sequential& modules, const ExportOptions& options) {
  Graph g;
  std::string prev = "input";
  Node input;
  input.type = "Input";
  if (!options.input_shape().empty()) input.params["shape"] = ints(options.input_shape());
  g.nodes["input"] = input;
  std::vector<int64_t> sample = options.input_shape();  // the current shape of one sample
  auto add = [&](const std::string& name, Node n) {
    // Per-neuron parameters get the shape of the layer's output when it is known.
    if (!sample.empty() && (n.type == "IF" || n.type == "LIF" || n.type == "LI" || n.type == "I"))
      n.expand_params(sample);
    g.nodes[name] = std::move(n);
    g.edges.emplace_back(prev, name);
    prev = name;
  };
  // The sample shape after a stateless layer, from a probe of one zero sample.
  auto advance = [&](const std::function<at::Tensor(const at::Tensor&)>& f) {
    if (sample.empty()) return;
    std::vector<int64_t> s{1};
    s.insert(s.end(), sample.begin(), sample.end());
    torch::NoGradGuard ng;
    at::Tensor y = f(torch::zeros(s));
    sample = y.sizes().slice(1).vec();
  };
  size_t i = 0;
  for (const auto& item : modules->named_children()) {
    const std::string name = fmt::format("{}", item.key());
    const std::string where = fmt::format("NIR export: module {} ('{}', {})", i++, name, item.value()->name());
    torch::nn::Module* m = item.value().get();
    if (auto* l = dynamic_cast<torch::nn::LinearImpl*>(m)) {
      if (sample.empty()) sample = {l->options.in_features()};
      add(name, linear_node(*l));
      advance([l](const at::Tensor& x) { return l->forward(x); });
    } else if (auto* c = dynamic_cast<torch::nn::Conv2dImpl*>(m)) {
      add(name, conv_node<2>(*c, where));
      advance([c](const at::Tensor& x) { return c->forward(x); });
    } else if (auto* c1 = dynamic_cast<torch::nn::Conv1dImpl*>(m)) {
      add(name, conv_node<1>(*c1, where));
      advance([c1](const at::Tensor& x) { return c1->forward(x); });
    } else if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m)) {
      fold_batch_norm(g.nodes[prev], *bn, where);
    } else if (auto* bn1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(m)) {
      fold_batch_norm(g.nodes[prev], *bn1, where);
    } else if (auto* fl = dynamic_cast<torch::nn::FlattenImpl*>(m)) {
      Node n;
      n.type = "Flatten";
      const int64_t s = fl->options.start_dim(), e = fl->options.end_dim();
      n.params["start_dim"] = torch::tensor(s > 0 ? s - 1 : s, torch::kInt64);
      n.params["end_dim"] = torch::tensor(e > 0 ? e - 1 : e, torch::kInt64);
      add(name, n);
      advance([fl](const at::Tensor& x) { return fl->forward(x); });
    } else if (auto* ap = dynamic_cast<torch::nn::AvgPool2dImpl*>(m)) {
      HNN_CHECK(!ap->options.ceil_mode(), "{}: ceil_mode cannot be represented in NIR", where);
      Node n;
      const bool sum = ap->options.divisor_override() && *ap->options.divisor_override() == 1;
      n.type = sum ? "SumPool2d" : "AvgPool2d";
      n.params["kernel_size"] = ints(ap->options.kernel_size());
      n.params["stride"] = ints(ap->options.stride());
      n.params["padding"] = ints(ap->options.padding());
      add(name, n);
      advance([ap](const at::Tensor& x) { return ap->forward(x); });
    } else if (auto* sl = dynamic_cast<nn::SpikingLinearImpl*>(m)) {
      if (sample.empty()) sample = {sl->options.in()};
      add(name + ".fc", linear_node(*sl->fc));
      if (sl->bn) fold_batch_norm(g.nodes[prev], *sl->bn, where);
      advance([sl](const at::Tensor& x) { return sl->fc->forward(x); });
      add(name + ".neuron", export_neuron(*sl->neuron, options.dt(), name));
    } else if (auto* sc = dynamic_cast<nn::SpikingConv2dImpl*>(m)) {
      add(name + ".conv", conv_node<2>(*sc->conv, where));
      if (sc->bn) fold_batch_norm(g.nodes[prev], *sc->bn, where);
      advance([sc](const at::Tensor& x) { return sc->conv->forward(x); });
      add(name + ".neuron", export_neuron(*sc->neuron, options.dt(), name));
    } else if (auto* ne = dynamic_cast<spike::NeuronImpl*>(m)) {
      add(name, export_neuron(*ne, options.dt(), name));
    } else if (dynamic_cast<torch::nn::DropoutImpl*>(m) || dynamic_cast<torch::nn::IdentityImpl*>(m)) {
      continue;  // nothing at inference
    } else {
      fail(
          "{}: this module has no NIR equivalent (supported: Linear, Conv1d, Conv2d, BatchNorm1d/2d after a layer, "
          "Flatten, AvgPool2d (divisor_override 1 = SumPool2d), SpikingLinear, SpikingConv2d, IF/LIF neurons, "
          "Dropout, Identity)",
          where);
    }
  }
  Node output;
  output.type = "Output";
  if (!sample.empty()) output.params["shape"] = ints(sample);
  g.nodes["output"] = output;
  g.edges.emplace_back(prev, "output");
  return g;
}

}  // namespace hnn::io::nir
