// hnn hu: hybrid units from the command line.
//   hnn hu list                              the presets with their shapes
//   hnn hu plot --preset NAME --out F.png    what a preset does, as spike rasters and traces
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "cli_util.h"
#include "commands.h"
#include "hnn/core/error.h"
#include "hnn/hu/presets.h"
#include "hnn/viz/plot.h"

namespace hnn::cli {
namespace {

struct HuPlotOptions {
  std::string preset;
  std::string out;
  int64_t steps = 32;
};

bool is_encoder(const hu::HybridUnit& h) {
  return h->options.direction() == hu::Direction::AnnToSnn;
}

std::vector<std::vector<float>> to_rows(const torch::Tensor& t2) {  // [T, N] -> rows per step
  auto c = t2.to(torch::kFloat).contiguous();
  std::vector<std::vector<float>> r(c.size(0), std::vector<float>(c.size(1)));
  for (int64_t t = 0; t < c.size(0); ++t)
    for (int64_t n = 0; n < c.size(1); ++n) r[t][n] = c[t][n].item<float>();
  return r;
}

viz::Panel heat_panel(const torch::Tensor& tn, const std::string& title, const std::string& ylabel) {
  viz::Panel p;
  p.title = title;
  p.xlabel = "time step";
  p.ylabel = ylabel;
  p.heat_rows_up = true;
  auto c = tn.to(torch::kDouble).t().contiguous();  // rows = neurons
  for (int64_t r = 0; r < c.size(0); ++r) {
    std::vector<double> row(c.size(1));
    for (int64_t t = 0; t < c.size(1); ++t) row[t] = c[r][t].item<double>();
    p.heat.push_back(row);
  }
  return p;
}

viz::Figure plot_encoder(hu::HybridUnit& h, const std::string& name, int64_t T) {
  viz::Figure f;
  f.columns = 2;
  f.width = 1100;
  f.height = 450;
  if (name == "delta") {
    auto t = torch::arange(T * 4, torch::kDouble);
    auto x = (torch::sin(t / 10.0) + 0.3 * torch::sin(t / 3.1)).view({-1, 1, 1});
    auto s = h(x).view({-1});
    viz::Panel in;
    in.title = "input signal";
    in.xlabel = "time step";
    in.series = {{std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel()),
                  std::vector<double>(x.data_ptr<double>(), x.data_ptr<double>() + x.numel()), "x", viz::Style::Line}};
    auto on = (s > 0).to(torch::kFloat), off = (s < 0).to(torch::kFloat);
    f.panels = {in, viz::raster_panel(to_rows(torch::stack({on, off}, 1)), "send-on-delta events (threshold 0.1)",
                                      {"ON", "OFF"})};
    return f;
  }
  const int64_t n = name == "population" ? 4 : 10;
  auto x = torch::linspace(0.05, 0.95, n).view({1, n});
  torch::NoGradGuard ng;
  auto y = h(x);  // [T, 1, n] or [T, 1, n, P]
  viz::Panel in;
  in.title = "input intensities";
  in.xlabel = "input";
  in.ylabel = "value";
  std::vector<double> xs, ys;
  for (int64_t i = 0; i < n; ++i) xs.push_back(i), ys.push_back(x[0][i].item<float>());
  in.series = {{xs, ys, "", viz::Style::Bars}};
  std::vector<std::string> labels;
  auto flat = y.reshape({y.size(0), -1});
  for (int64_t i = 0; i < flat.size(1); ++i) {
    if (name == "population") {
      int64_t P = y.size(-1);
      labels.push_back(fmt::format("x{:.2f} n{}", x[0][i / P].item<float>(), i % P));
    } else {
      labels.push_back(fmt::format("x={:.2f}", x[0][i].item<float>()));
    }
  }
  bool binary = torch::all((flat == 0) | (flat == 1)).item<bool>();
  auto out = binary ? viz::raster_panel(to_rows(flat), fmt::format("{} encoder: spikes over T = {}", name, T), labels)
                    : heat_panel(flat, fmt::format("{} encoder: input current per step", name), "input index");
  f.panels = {in, out};
  return f;
}

viz::Figure plot_decoder(hu::HybridUnit& h, const std::string& name, int64_t T) {
  const int64_t n = 6;
  auto rates = torch::linspace(0.05, 0.6, n);
  auto spikes = hu::poisson_encoder(T, /*normalize=*/false)(rates.view({1, n}));  // [T, 1, n]
  torch::NoGradGuard ng;
  auto y = h(spikes);  // [K, 1, n] or [1, n]
  std::vector<std::string> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(fmt::format("p={:.2f}", rates[i].item<float>()));
  viz::Figure f;
  f.columns = 2;
  f.width = 1100;
  f.height = 450;
  auto raster =
      viz::raster_panel(to_rows(spikes.view({T, n})), fmt::format("input spikes (Bernoulli, T = {})", T), labels);
  viz::Panel out;
  out.title = fmt::format("{}: output", name);
  auto v = y.reshape({-1, n});
  if (v.size(0) == 1) {
    out.xlabel = "neuron (input rate p)";
    out.ylabel = "decoded value";
    std::vector<double> xs, ys;
    for (int64_t i = 0; i < n; ++i) xs.push_back(i), ys.push_back(v[0][i].item<float>());
    out.series = {{xs, ys, "", viz::Style::Bars}};
  } else {
    out.xlabel = "window";
    out.ylabel = "decoded value";
    out.legend = "right";
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> xs, ys;
      for (int64_t k = 0; k < v.size(0); ++k) xs.push_back(k), ys.push_back(v[k][i].item<float>());
      out.series.push_back({xs, ys, labels[i], viz::Style::Line});
    }
  }
  f.panels = {raster, out};
  return f;
}

viz::Figure plot_modulator(hu::HybridUnit& h, const std::string& name) {
  const int64_t F = 4;
  auto s = torch::linspace(-3, 3, 121);
  torch::NoGradGuard ng;
  auto y = h(s.view({-1, 1}).expand({-1, F}).contiguous());  // [121, F]
  viz::Panel p;
  p.title = fmt::format("{}: output per unit for input s (1, 1, 1, 1), random weights", name);
  p.xlabel = "input s";
  p.ylabel = name == "threshold_modulator" ? "threshold" : name == "spike_gate" ? "gate" : "weight factor";
  p.legend = "right";
  for (int64_t u = 0; u < y.size(1); ++u) {
    std::vector<double> xs, ys;
    for (int64_t i = 0; i < s.size(0); ++i) xs.push_back(s[i].item<float>()), ys.push_back(y[i][u].item<float>());
    p.series.push_back({xs, ys, fmt::format("unit {}", u), viz::Style::Line});
  }
  viz::Figure f;
  f.panels = {p};
  f.width = 800;
  f.height = 450;
  return f;
}

void hu_plot(const HuPlotOptions& o) {
  auto h = hu::make_preset(o.preset, o.steps);
  viz::Figure f;
  if (h->options.direction() == hu::Direction::Modulation) {
    f = plot_modulator(h, o.preset);
  } else if (is_encoder(h)) {
    f = plot_encoder(h, o.preset, o.steps);
  } else {
    f = plot_decoder(h, o.preset, o.steps);
  }
  viz::save_png(f, o.out);
  fmt::print("wrote {} ({} preset, {})\n", o.out, o.preset, to_string(h->options.direction()));
}

}  // namespace

void register_hu(CLI::App& app, Globals& g) {
  static HuPlotOptions o;
  auto* hu = app.add_subcommand("hu", "Hybrid units: list the presets, plot what one does");
  hu->require_subcommand(1);
  auto* list = hu->add_subcommand("list", "List the preset hybrid units");
  list->callback([&g] {
    apply_globals(g);
    for (auto& n : hu::preset_names()) {
      auto h = hu::make_preset(n);
      std::ostringstream parts;
      h->window->pretty_print(parts);
      parts << " ";
      h->kernel->pretty_print(parts);
      parts << " ";
      h->nonlinearity->pretty_print(parts);
      parts << " ";
      h->quantizer->pretty_print(parts);
      std::string text = parts.str();
      for (size_t pos; (pos = text.find("hnn::hu::")) != std::string::npos;) text.erase(pos, 9);
      fmt::print("{:<25} {:<10} {}\n", n, to_string(h->options.direction()), text);
    }
  });
  auto* plot = hu->add_subcommand("plot", "Render what a preset does (spike rasters, traces) to a PNG file");
  plot->add_option("--preset", o.preset, "Preset name (see 'hnn hu list')")->required();
  plot->add_option("--out", o.out, "Output PNG file")->required();
  plot->add_option("--steps", o.steps, "Time steps T")->check(positive())->capture_default_str();
  plot->callback([&g] {
    apply_globals(g);
    hu_plot(o);
  });
}

}  // namespace hnn::cli
