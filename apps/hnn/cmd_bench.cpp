// hnn bench lif: the fused kernel against a minimal LibTorch loop and hnn's own per-step loop,
// forward and forward+backward, with a memcpy of the same bytes in the same run as the bandwidth
// yardstick. (bench/peers/bench_peers.py times the Python peers beside them.)
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
  std::string saved_state = "full";
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

// The shortest correct LibTorch loop for the neuron (default parameters as numbers): the yardstick
// for the per-step fallback, as the minimal PyTorch loop is in bench/peers.
spike::SequenceResult minimal_loop(const torch::Tensor& x, const spike::NeuronSpec& spec) {
  torch::Tensor v = torch::zeros_like(x[0]);
  std::vector<torch::Tensor> out;
  out.reserve(x.size(0));
  for (const auto& xt : x.unbind(0)) {
    torch::Tensor h = spec.charge == spike::Charge::If       ? v + xt
                      : spec.charge == spike::Charge::LifOde ? v + (xt - v) * 0.5
                                                             : v * 0.5 + xt;
    torch::Tensor s = spike::spike(h - 1.0, spec.surrogate, spec.inclusive);
    torch::Tensor sr = spec.detach_reset ? s.detach() : s;
    v = spec.reset == spike::Reset::Hard ? h * (1 - sr) : spec.reset == spike::Reset::Soft ? h - sr : h;
    out.push_back(s);
  }
  spike::SequenceResult r;
  r.spikes = torch::stack(out);
  return r;
}

void bench_lif(const BenchLifOptions& o) {
  spike::NeuronSpec spec;
  spec.charge = spike::parse_charge(o.neuron);
  spec.reset = spike::parse_reset(o.reset);
  spec.surrogate = spike::Surrogate::parse(o.surrogate);
  spec.saved_state = spike::parse_saved_state(o.saved_state);
  spike::NeuronParams p;  // threshold 1, tau 2 (k = 0.5)
  fmt::print(
      "LIF benchmark: {} neuron, {} reset, {} surrogate, {}, float32, saved membrane {}, {} threads, median of {} "
      "runs\n",
      to_string(spec.charge), to_string(spec.reset), spec.surrogate.name(),
      o.learn_params ? "learnable per-neuron threshold and decay" : "fixed threshold and decay",
      to_string(spec.saved_state), at::get_num_threads(), o.repeats);
  fmt::print("{:<14} {:<18} {:>11} {:>10} {:>10} {:>12} {:>12}\n", "shape TxBxN", "variant", "median ms", "GB/s",
             "%memcpy", "vs minimal", "vs hnn loop");
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
    enum Kind { kFused, kLoop, kMinimal };
    auto run = [&](Kind k, const torch::Tensor& xin) {
      return k == kFused  ? spike::multistep(xin, {}, p, spec)
             : k == kLoop ? spike::multistep_loop(xin, {}, p, spec)
                          : minimal_loop(xin, spec);
    };
    auto variant = [&](Kind k, bool backward) -> std::function<void()> {
      auto xin = backward ? x.detach().requires_grad_() : x;
      return [=, &grad, &run]() mutable {
        if (!backward) {
          torch::NoGradGuard ng;
          run(k, xin);
        } else {
          run(k, xin).spikes.backward(grad);
          xin.mutable_grad() = torch::Tensor();
        }
      };
    };
    auto row = [&](const std::string& name, double ms, double gbs, const std::string& pct, const std::string& vs_min,
                   const std::string& vs_loop) {
      fmt::print("{:<14} {:<18} {:>11.2f} {:>10.2f} {:>10} {:>12} {:>12}\n", cs, name, ms, gbs, pct, vs_min, vs_loop);
    };
    for (bool backward : {false, true}) {
      // Bytes the fused kernel must move. The forward alone is inference (no gradient): it reads x
      // and writes the spikes. Forward+backward: the forward also writes the saved membrane, the
      // backward reads it and the spike gradient and writes the input gradient. A bfloat16 saved
      // membrane is half a tensor.
      const double h = spec.saved_state == spike::SavedState::BFloat16 ? 0.5 : 1.0;
      double bytes = (backward ? 4 + 2 * h : 2) * S;
      auto t = time_interleaved({copy_fn(bytes), variant(kFused, backward)}, 2, o.repeats);
      double memcpy_bw = bytes / t[0].median_s, fused_ms = t[1].median_s * 1e3;
      const char* pass = backward ? "fwd+bwd" : "fwd";
      row(fmt::format("memcpy {:.0f} MB", bytes / 2 / 1e6), t[0].median_s * 1e3, memcpy_bw / 1e9, "100", "", "");
      double minimal_ms = 0, loop_ms = 0;
      auto ratio = [](double base, double ms) { return base > 0 ? fmt::format("{:.2f}x", base / ms) : std::string(); };
      auto pct = [&](double ms) { return fmt::format("{:.1f}", 100 * bytes / (ms / 1e3) / memcpy_bw); };
      if (!o.skip_loop) {
        // The loops are slow (seconds per run at the large shape): fewer repeats, timed alternately.
        auto l = time_interleaved({variant(kMinimal, backward), variant(kLoop, backward)}, 1, std::min(o.repeats, 5));
        minimal_ms = l[0].median_s * 1e3, loop_ms = l[1].median_s * 1e3;
        if (!o.learn_params)
          row(fmt::format("minimal loop {}", pass), minimal_ms, bytes / l[0].median_s / 1e9, pct(minimal_ms), "1.00x",
              ratio(loop_ms, minimal_ms));
        else
          minimal_ms = 0;  // the minimal loop has no learnable parameters
        row(fmt::format("hnn loop {}", pass), loop_ms, bytes / l[1].median_s / 1e9, pct(loop_ms),
            ratio(minimal_ms, loop_ms), "1.00x");
      }
      row(fmt::format("fused {}", pass), fused_ms, bytes / t[1].median_s / 1e9, pct(fused_ms),
          ratio(minimal_ms, fused_ms), ratio(loop_ms, fused_ms));
    }
  }
  fmt::print(
      "GB/s counts the bytes the fused kernel must move: forward (inference, no gradient) 2 tensors of\n"
      "TxBxN, forward+backward 6 (5 with a bfloat16 saved membrane);\n"
      "the loops move many more, so theirs is the fused-equivalent rate. %memcpy compares with a memcpy\n"
      "moving the same number of bytes, run alternately with the fused kernel. 'vs minimal' is the time of\n"
      "the shortest LibTorch loop for this neuron over the row's time (> 1: faster), 'vs hnn loop' the same\n"
      "for hnn's per-step loop (multistep_loop), the fallback of devices and custom neurons.\n");
}

}  // namespace

void register_bench(CLI::App& app, Globals& g) {
  static BenchLifOptions o;
  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  auto* lif = bench->add_subcommand(
      "lif", "Fused LIF kernel vs a minimal LibTorch loop and hnn's per-step loop (forward, forward+backward)");
  lif->add_option("--shapes", o.configs, "Shapes TxBxN")->capture_default_str();
  lif->add_option("--repeats", o.repeats, "Timed runs per variant (median reported)")
      ->check(positive())
      ->capture_default_str();
  lif->add_option("--neuron", o.neuron, "Charge: if, lif_ode, lif_decay")->capture_default_str();
  lif->add_option("--reset", o.reset, "Reset: hard, soft, none")->capture_default_str();
  lif->add_option("--surrogate", o.surrogate, "Surrogate, e.g. rect, sigmoid:4")->capture_default_str();
  lif->add_flag("--skip-loop", o.skip_loop, "Only time the fused kernel (no loops)");
  lif->add_option("--saved-state", o.saved_state,
                  "What the fused kernel saves for the backward: full, or bfloat16 (half the bytes)")
      ->check(CLI::IsMember({"full", "bfloat16"}))
      ->capture_default_str();
  lif->add_flag("--learn-params", o.learn_params,
                "Per-neuron threshold and decay with gradients (the backward's general path)");
  lif->callback([&g] {
    apply_globals(g);
    bench_lif(o);
  });
}

}  // namespace hnn::cli
