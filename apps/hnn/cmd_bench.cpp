// hnn bench lif: the per-step LibTorch loop against the fused kernel, forward and
// forward+backward, with a memcpy of the same bytes in the same run as the bandwidth yardstick.
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <cstring>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "hnn/core/error.h"
#include "hnn/core/timer.h"
#include "hnn/spike/neuron.h"

namespace hnn::cli {
namespace {

struct BenchLifOptions {
  std::vector<std::string> configs = {"64x32x4096", "500x16x16384"};
  int repeats = 11;
  bool skip_loop = false;
  bool learn_params = false;
  std::string neuron = "lif_ode";
  std::string reset = "hard";
  std::string surrogate = "rect";
};

std::array<int64_t, 3> parse_config(const std::string& s) {
  std::array<int64_t, 3> v{};
  char x1 = 0, x2 = 0;
  std::istringstream in(s);
  in >> v[0] >> x1 >> v[1] >> x2 >> v[2];
  HNN_CHECK(in && in.peek() == EOF && x1 == 'x' && x2 == 'x' && v[0] > 0 && v[1] > 0 && v[2] > 0,
            "bad benchmark shape '{}' (expected TxBxN, e.g. 64x32x4096)", s);
  return v;
}

// Parallel memcpy: the bandwidth the fused kernel is compared against.
void parallel_copy(void* dst, const void* src, int64_t bytes) {
  const int64_t block = 1 << 20;
  at::parallel_for(0, (bytes + block - 1) / block, 1, [&](int64_t b, int64_t e) {
    int64_t lo = b * block, hi = std::min(bytes, e * block);
    std::memcpy(static_cast<char*>(dst) + lo, static_cast<const char*>(src) + lo, hi - lo);
  });
}

void bench_lif(const BenchLifOptions& o) {
  spike::NeuronSpec spec;
  spec.charge = spike::parse_charge(o.neuron);
  spec.reset = spike::parse_reset(o.reset);
  spec.surrogate = spike::Surrogate::parse(o.surrogate);
  spike::NeuronParams p;  // threshold 1, tau 2 (k = 0.5)
  fmt::print("LIF benchmark: {} neuron, {} reset, {} surrogate, {}, float32, {} threads, median of {} runs\n",
             to_string(spec.charge), to_string(spec.reset), spec.surrogate.name(),
             o.learn_params ? "learnable per-neuron threshold and decay" : "fixed threshold and decay",
             at::get_num_threads(), o.repeats);
  fmt::print("{:<14} {:<18} {:>11} {:>10} {:>10} {:>9}\n", "shape TxBxN", "variant", "median ms", "GB/s", "%memcpy",
             "speedup");
  for (auto& cs : o.configs) {
    auto [T, B, N] = parse_config(cs);
    if (o.learn_params) {
      // Per-neuron threshold and decay with gradients: the kernel's general backward path.
      p.threshold = torch::ones({N}).requires_grad_();
      p.decay = torch::full({N}, 0.5).requires_grad_();
    }
    auto x = torch::rand({T, B, N}) * 1.5;
    auto grad = torch::rand({T, B, N});
    const double S = double(T) * B * N * sizeof(float);
    // The yardstick: a parallel memcpy moving as many bytes as the fused kernel must (reads plus
    // writes), so it cannot run from cache when the kernel's data does not fit there. It runs
    // interleaved with the fused kernel (memcpy, kernel, memcpy, ...) so both see the same machine.
    auto copy_fn = [](double bytes) -> std::function<void()> {
      auto src = torch::empty({(int64_t)(bytes / 2 / sizeof(float))}), dst = torch::empty_like(src);
      src.fill_(1);
      return [=] { parallel_copy(dst.data_ptr(), src.data_ptr(), (int64_t)(bytes / 2)); };
    };
    auto variant = [&](bool fused, bool backward) -> std::function<void()> {
      auto xin = backward ? x.detach().requires_grad_() : x;
      return [=, &p, &spec, &grad]() mutable {
        if (!backward) {
          torch::NoGradGuard ng;
          auto r = fused ? spike::multistep(xin, {}, p, spec) : spike::multistep_loop(xin, {}, p, spec);
        } else {
          auto r = fused ? spike::multistep(xin, {}, p, spec) : spike::multistep_loop(xin, {}, p, spec);
          r.spikes.backward(grad);
          xin.mutable_grad() = torch::Tensor();
        }
      };
    };
    auto row = [&](const std::string& name, double ms, double gbs, const std::string& pct, const std::string& sp) {
      fmt::print("{:<14} {:<18} {:>11.2f} {:>10.2f} {:>10} {:>9}\n", cs, name, ms, gbs, pct, sp);
    };
    for (bool backward : {false, true}) {
      // Bytes the fused kernel must move: forward reads x, writes spikes and the saved membrane;
      // backward reads the spike gradient and the membrane, writes the input gradient.
      double bytes = (backward ? 6 : 3) * S;
      auto t = time_interleaved({copy_fn(bytes), variant(true, backward)}, 2, o.repeats);
      double memcpy_bw = bytes / t[0].median_s, fused_ms = t[1].median_s * 1e3;
      row(fmt::format("memcpy {:.0f} MB", bytes / 2 / 1e6), t[0].median_s * 1e3, memcpy_bw / 1e9, "100", "");
      std::string speedup;
      if (!o.skip_loop) {
        // The loop is slow (seconds per run at the large shape): fewer repeats.
        auto l = time_median(variant(false, backward), 1, std::min(o.repeats, 5));
        row(backward ? "loop fwd+bwd" : "loop fwd", l.median_s * 1e3, bytes / l.median_s / 1e9,
            fmt::format("{:.1f}", 100 * bytes / l.median_s / memcpy_bw), "1.0x");
        speedup = fmt::format("{:.1f}x", l.median_s * 1e3 / fused_ms);
      }
      row(backward ? "fused fwd+bwd" : "fused fwd", fused_ms, bytes / t[1].median_s / 1e9,
          fmt::format("{:.1f}", 100 * bytes / t[1].median_s / memcpy_bw), speedup);
    }
  }
  fmt::print(
      "GB/s counts the bytes the fused kernel must move (forward 3, forward+backward 6 tensors of TxBxN);\n"
      "the loop moves many more, so its GB/s is the fused-equivalent rate. %memcpy compares with a memcpy\n"
      "moving the same number of bytes, run alternately with the fused kernel.\n");
}

}  // namespace

void register_bench(CLI::App& app, Globals& g) {
  static BenchLifOptions o;
  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  auto* lif = bench->add_subcommand("lif", "Per-step LibTorch loop vs fused LIF kernel (forward, forward+backward)");
  lif->add_option("--shapes", o.configs, "Shapes TxBxN")->capture_default_str();
  lif->add_option("--repeats", o.repeats, "Timed runs per variant (median reported)")
      ->check(positive())
      ->capture_default_str();
  lif->add_option("--neuron", o.neuron, "Charge: if, lif_ode, lif_decay")->capture_default_str();
  lif->add_option("--reset", o.reset, "Reset: hard, soft, none")->capture_default_str();
  lif->add_option("--surrogate", o.surrogate, "Surrogate, e.g. rect, sigmoid:4")->capture_default_str();
  lif->add_flag("--skip-loop", o.skip_loop, "Only time the fused kernel");
  lif->add_flag("--learn-params", o.learn_params,
                "Per-neuron threshold and decay with gradients (the backward's general path)");
  lif->callback([&g] {
    apply_globals(g);
    bench_lif(o);
  });
}

}  // namespace hnn::cli
