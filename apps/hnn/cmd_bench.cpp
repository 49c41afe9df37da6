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
  int repeats = 5;
  bool skip_loop = false;
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
  fmt::print("LIF benchmark: {} neuron, {} reset, {} surrogate, float32, {} threads, median of {} runs\n",
             to_string(spec.charge), to_string(spec.reset), spec.surrogate.name(), at::get_num_threads(),
             o.repeats);
  fmt::print("{:<14} {:<18} {:>11} {:>10} {:>10} {:>9}\n", "shape TxBxN", "variant", "median ms", "GB/s", "%memcpy",
             "speedup");
  for (auto& cs : o.configs) {
    auto [T, B, N] = parse_config(cs);
    auto x = torch::rand({T, B, N}) * 1.5;
    auto grad = torch::rand({T, B, N});
    const double S = double(T) * B * N * sizeof(float);
    // The yardstick: a parallel memcpy moving as many bytes as the fused kernel must (reads plus
    // writes), so it cannot run from cache when the kernel's data does not fit there.
    auto memcpy_bandwidth = [&](double bytes) {
      auto src = torch::empty({(int64_t)(bytes / 2 / sizeof(float))}), dst = torch::empty_like(src);
      src.fill_(1);
      auto mc = time_median([&] { parallel_copy(dst.data_ptr(), src.data_ptr(), (int64_t)(bytes / 2)); }, 2,
                            o.repeats);
      fmt::print("{:<14} {:<18} {:>11.2f} {:>10.2f} {:>10} {:>9}\n", cs,
                 fmt::format("memcpy {:.0f} MB", bytes / 2 / 1e6), mc.median_s * 1e3, bytes / mc.median_s / 1e9,
                 "100", "");
      return bytes / mc.median_s;
    };
    auto run = [&](bool fused, bool backward) {
      auto xin = backward ? x.detach().requires_grad_() : x;
      return time_median(
          [&] {
            if (!backward) {
              torch::NoGradGuard ng;
              auto r = fused ? spike::multistep(xin, {}, p, spec) : spike::multistep_loop(xin, {}, p, spec);
            } else {
              auto r = fused ? spike::multistep(xin, {}, p, spec) : spike::multistep_loop(xin, {}, p, spec);
              r.spikes.backward(grad);
              xin.mutable_grad() = torch::Tensor();
            }
          },
          1, o.repeats);
    };
    for (bool backward : {false, true}) {
      // Bytes the fused kernel must move: forward reads x, writes spikes and the saved membrane;
      // backward reads the spike gradient and the membrane, writes the input gradient.
      double bytes = (backward ? 6 : 3) * S;
      double memcpy_bw = memcpy_bandwidth(bytes);
      double loop_ms = 0;
      if (!o.skip_loop) {
        auto l = run(false, backward);
        loop_ms = l.median_s * 1e3;
        fmt::print("{:<14} {:<18} {:>11.2f} {:>10.2f} {:>10.1f} {:>9}\n", cs, backward ? "loop fwd+bwd" : "loop fwd",
                   loop_ms, bytes / l.median_s / 1e9, 100 * bytes / l.median_s / memcpy_bw, "1.0x");
      }
      auto f = run(true, backward);
      fmt::print("{:<14} {:<18} {:>11.2f} {:>10.2f} {:>10.1f} {:>9}\n", cs, backward ? "fused fwd+bwd" : "fused fwd",
                 f.median_s * 1e3, bytes / f.median_s / 1e9, 100 * bytes / f.median_s / memcpy_bw,
                 o.skip_loop ? "" : fmt::format("{:.1f}x", loop_ms / (f.median_s * 1e3)));
    }
  }
  fmt::print("GB/s counts the bytes the fused kernel must move (forward 3, forward+backward 6 tensors of TxBxN);\n"
             "the loop moves many more, so its GB/s is the fused-equivalent rate. %memcpy compares with a memcpy\n"
             "moving the same number of bytes, measured just before.\n");
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
  lif->callback([&g] {
    apply_globals(g);
    bench_lif(o);
  });
}

}  // namespace hnn::cli
