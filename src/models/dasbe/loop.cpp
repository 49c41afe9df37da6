#include "hnn/models/dasbe/loop.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"
#include "models/dasbe/cpu/row_linear.h"

namespace hnn::models::dasbe {
namespace {

// splitmix64's finaliser: a counter-based generator, so every image owns an independent stream
// that does not depend on the batch it runs in (and pixels can be skipped without shifting it).
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline uint64_t bits_of(uint64_t key, uint64_t counter) {
  return mix64(key + counter * 0x9e3779b97f4a7c15ULL);
}

at::Tensor default_ids(const at::Tensor& ids, int64_t B) {
  if (!ids.defined()) return torch::arange(B, torch::kLong);
  HNN_CHECK(ids.dim() == 1 && ids.size(0) == B, "dasbe: ids must be int64 [{}], got {}", B, shape_str(ids.sizes()));
  return ids.to(torch::kLong).contiguous();
}

at::Tensor flat_images(const at::Tensor& images, int64_t inputs) {
  HNN_CHECK(images.dim() == 2 || images.dim() == 3, "dasbe: images must be [B, H, W] or [B, N], got {}",
            shape_str(images.sizes()));
  auto x = images.reshape({images.size(0), -1}).to(torch::kFloat).contiguous();
  HNN_CHECK(inputs <= 0 || x.size(1) == inputs, "dasbe: the images have {} pixels but the network takes {}", x.size(1),
            inputs);
  return x;
}

// The autoencoder run layer by layer into buffers allocated once per loop (no per-step memory),
// with the row-stable layer: an image's numbers do not depend on the batch it runs in.
class Runner {
 public:
  Runner(const Autoencoder& ae, int64_t B) : cfg_(ae->config()) {
    auto add = [&](const torch::nn::ModuleList& list) {
      for (const auto& m : *list) {
        auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(m);
        w_.push_back(lin->weight.detach().to(torch::kFloat).contiguous());
        wt_.push_back(w_.back().t().contiguous());
        b_.push_back(lin->bias.detach().to(torch::kFloat).contiguous());
        buf_.push_back(torch::empty({B, lin->weight.size(0)}, torch::kFloat));
      }
    };
    add(ae->encoder_layers());
    n_enc_ = (int64_t)wt_.size();
    add(ae->decoder_layers());
    z_ = torch::empty({B, cfg_.code()}, torch::kFloat);
    if (cfg_.recurrent) {
      w_h_ = ae->recurrent_weight().detach().to(torch::kFloat).contiguous();  // [in, out]: pre W_h
      b_h_ = ae->recurrent_bias().detach().to(torch::kFloat).contiguous();
    }
  }
  // RBAE: z = sigmoid(pre W_h + h + b_h) into z(), pre [B, code] (a phase slot's memory).
  const at::Tensor& recur(const at::Tensor& h, const at::Tensor& pre) {
    cpu::RowLinearArgs a;
    a.in = pre.data_ptr<float>(), a.wt = w_h_.data_ptr<float>(), a.bias = b_h_.data_ptr<float>();
    a.out = z_.data_ptr<float>();
    a.B = pre.size(0), a.I = pre.size(1), a.O = z_.size(1), a.act = cpu::Activation::None;
    at::parallel_for(0, a.B, 4, [&](int64_t b0, int64_t b1) { cpu::row_linear(a, b0, b1); });
    // Plain scalar sigmoid: the same bits wherever the element sits (ATen's vectorised one may not).
    float* zp = z_.data_ptr<float>();
    const float* hp = h.data_ptr<float>();
    for (int64_t i = 0; i < z_.numel(); ++i) zp[i] = 1.0f / (1.0f + std::exp(-(zp[i] + hp[i])));
    return z_;
  }
  const at::Tensor& encode(const at::Tensor& x) {
    for (int64_t l = 0; l < n_enc_; ++l) {
      const bool code = l + 1 == n_enc_;
      layer(l, l == 0 ? x : buf_[l - 1],
            code && cfg_.code_activation == "sigmoid" ? cpu::Activation::Sigmoid : cpu::Activation::Relu);
    }
    return buf_[n_enc_ - 1];
  }
  // mask [B, inputs] (or undefined): the output is computed only where mask != 0, else 0.
  const at::Tensor& decode(const at::Tensor& z, const at::Tensor& mask = {}) {
    const int64_t L = (int64_t)wt_.size();
    for (int64_t l = n_enc_; l < L; ++l) {
      const at::Tensor& in = l == n_enc_ ? z : buf_[l - 1];
      if (l + 1 < L || !mask.defined()) {
        layer(l, in, l + 1 == L ? cpu::Activation::Sigmoid : cpu::Activation::Relu);
        continue;
      }
      cpu::MaskedLinearArgs a;
      a.in = in.data_ptr<float>(), a.w = w_[l].data_ptr<float>(), a.bias = b_[l].data_ptr<float>();
      a.mask = mask.data_ptr<float>(), a.out = buf_[l].data_ptr<float>();
      a.B = in.size(0), a.I = in.size(1), a.O = buf_[l].size(1), a.act = cpu::Activation::Sigmoid;
      at::parallel_for(0, a.B, 4, [&](int64_t b0, int64_t b1) { cpu::masked_linear(a, b0, b1); });
    }
    return buf_[L - 1];
  }
  at::Tensor& z() { return z_; }

 private:
  void layer(int64_t l, const at::Tensor& in, cpu::Activation act) {
    cpu::RowLinearArgs a;
    a.in = in.data_ptr<float>(), a.wt = wt_[l].data_ptr<float>(), a.bias = b_[l].data_ptr<float>();
    a.out = buf_[l].data_ptr<float>();
    a.B = in.size(0), a.I = in.size(1), a.O = buf_[l].size(1), a.act = act;
    at::parallel_for(0, a.B, 4, [&](int64_t b0, int64_t b1) { cpu::row_linear(a, b0, b1); });
  }
  AutoencoderConfig cfg_;
  std::vector<at::Tensor> w_, wt_, b_, buf_;
  at::Tensor z_, w_h_, b_h_;
  int64_t n_enc_ = 0;
};

// The stochastic spiking bottleneck at inference (§2.1, §3.3) with per-image noise and the hidden
// refractory counters rho (per image: the reference shared one counter across all images).
void spike_code(const at::Tensor& h, at::Tensor& z, at::Tensor& rho, const std::vector<uint64_t>& keys, uint64_t tau,
                int64_t refractory, bool use_refractory) {
  const int64_t B = h.size(0), H = h.size(1);
  const float* hp = h.data_ptr<float>();
  float* zp = z.data_ptr<float>();
  int32_t* rp = rho.data_ptr<int32_t>();
  at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        const int64_t o = b * H + j;
        bool s = hp[o] + bits_noise(bits_of(keys[b], tau * (uint64_t)H + j)) > 1.0f;
        if (use_refractory) {
          rp[o] = std::max(rp[o] - 1, -1);
          s = s && rp[o] < 0;
          if (s) rp[o] = (int32_t)refractory;
        }
        zp[o] = s ? 1.0f : 0.0f;
      }
    }
  });
}

struct Keys {
  std::vector<uint64_t> init, step, hidden, drop;
  Keys(uint64_t seed, const at::Tensor& ids) {
    auto id = ids.accessor<int64_t, 1>();
    for (int64_t b = 0; b < ids.size(0); ++b) {
      init.push_back(stream_key(seed, id[b], kInit));
      step.push_back(stream_key(seed, id[b], kStep));
      hidden.push_back(stream_key(seed, id[b], kHidden));
      drop.push_back(stream_key(seed, id[b], kDrop));
    }
  }
};

// |g| with g ~ N(0, 1) per (slot, pixel) from the image's init stream (Box-Muller).
at::Tensor abs_normal(const std::vector<uint64_t>& keys, int64_t B, int64_t D, int64_t N) {
  auto A = torch::empty({B, D, N}, torch::kFloat);
  float* ap = A.data_ptr<float>();
  at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t k = 0; k < D * N; ++k) ap[b * D * N + k] = bits_abs_normal(bits_of(keys[b], (uint64_t)k));
  });
  return A;
}

// What both delay loops set up: the flattened images, sizes, the images' streams, A's |N(0, 1)|,
// the autoencoder's buffers and the result with its recorded cycles.
struct LoopStart {
  at::Tensor x, A;  // x: the frames [B, F, N] (F = 1 for still images)
  int64_t B, N, D, H;
  Keys keys;
  Runner net;
  LoopResult out;
  LoopStart(const Autoencoder& ae, const at::Tensor& frames, const LoopOptions& opt, const at::Tensor& ids,
            at::ScalarType record)
      : x(frames),
        B(x.size(0)),
        N(x.size(2)),
        D(opt.delay),
        H(ae->config().code()),
        keys(opt.seed, default_ids(ids, x.size(0))),
        net(ae, x.size(0)) {
    A = abs_normal(keys.init, B, D, N);
    const int64_t C = opt.record_cycles == 0 ? opt.cycles : std::min(opt.record_cycles, opt.cycles);
    out.first_cycle = opt.cycles - C;
    out.spikes = torch::zeros({B, C, D, N}, record);
  }
};

void check_loop(const LoopOptions& o) {
  HNN_CHECK(o.delay > 0 && o.cycles > 0 && o.refractory >= 0 && o.record_cycles >= 0,
            "dasbe: the loop needs delay > 0, cycles > 0, refractory >= 0 and record_cycles >= 0 (got D {}, "
            "cycles {}, R {}, record {})",
            o.delay, o.cycles, o.refractory, o.record_cycles);
  HNN_CHECK(o.thinning >= 0 && o.thinning <= 1, "dasbe: thinning must be in [0, 1], got {}", o.thinning);
}

}  // namespace

uint64_t stream_key(uint64_t seed, int64_t id, uint64_t stream) {
  return mix64(mix64(seed * 0x2545f4914f6cdd1dULL + 0x6a09e667f3bcc909ULL) ^ mix64((uint64_t)id) ^
               (stream * 0xd1b54a32d192ed03ULL));
}

uint64_t stream_bits(uint64_t key, uint64_t counter) {
  return bits_of(key, counter);
}

float bits_abs_normal(uint64_t bits) {
  const float u1 = ((float)(bits >> 40) + 0.5f) * (1.0f / 16777216.0f);  // (0, 1): log is finite
  const float u2 = (float)(bits & 0xffffff) * (1.0f / 16777216.0f);
  return std::abs(std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2));
}

LoopOptions loop_preset(const std::string& dataset) {
  LoopOptions o;
  if (dataset == "bars") {
    o.delay = 54, o.refractory = 6;
  } else if (dataset == "corners") {
    o.delay = 28, o.refractory = 8;
  } else if (dataset == "shapes" || dataset == "clrnet") {
    o.delay = 32, o.refractory = 9;
  } else if (dataset == "multi_mnist") {
    o.delay = 29, o.refractory = 12;
  } else if (dataset == "mnist_shape") {
    o.delay = 29, o.refractory = 9;
  } else if (dataset == "moving") {
    o.delay = 32, o.refractory = 9, o.cycles = 60, o.record_cycles = 0;
  } else {
    fail("dasbe: no loop settings for '{}' (expected bars, corners, shapes, multi_mnist, mnist_shape or moving)",
         dataset);
  }
  return o;
}

namespace {
// The loop of §3.2 on frames [B, F, N]: cycle k reads frame min(k, F - 1) (§3.5: one frame per
// cycle; F = 1 for still images). A recurrent net keeps a memory per phase slot, M[t] [B, code]:
// z = sigmoid(M[t] W_h + h + b_h), then M[t] = h.
LoopResult dasbe_loop(const Autoencoder& ae, const at::Tensor& frames, const LoopOptions& opt, const at::Tensor& ids_in,
                      const CycleFn& on_cycle) {
  check_loop(opt);
  torch::NoGradGuard no_grad;
  const auto& cfg = ae->config();
  LoopStart st(ae, frames, opt, ids_in, torch::kByte);
  const int64_t B = st.B, N = st.N, D = st.D, H = st.H, F = frames.size(1);
  auto& A = st.A;
  auto frame = [&](int64_t k) { return F == 1 ? st.x.select(1, 0) : st.x.select(1, std::min(k, F - 1)).contiguous(); };
  at::Tensor x = frame(0), x_next = frame(1);
  auto& keys = st.keys;
  auto& net = st.net;
  auto& out = st.out;
  // A[t, i] = |g| / sum_t |g|: in the first cycle every pixel fires about once, at a random phase.
  A.div_(A.sum(1, true));
  auto r = torch::zeros({B, N}, torch::kInt);
  auto p1 = torch::zeros({B, N}, torch::kByte), p2 = torch::zeros({B, N}, torch::kByte);
  auto c = torch::zeros({B, N}, torch::kFloat);
  auto s = torch::zeros({B, N}, torch::kByte);
  auto rho = torch::zeros({B, H}, torch::kInt);
  at::Tensor M = cfg.recurrent ? torch::zeros({D, B, H}, torch::kFloat) : at::Tensor();
  const int64_t C = out.spikes.size(1);
  if (opt.record_code) out.code = torch::zeros({B, C, D, H}, torch::kFloat);
  if (opt.record_attention) out.attention = torch::zeros({B, C, D, N}, torch::kFloat);

  float* ap = A.data_ptr<float>();
  int32_t* rp = r.data_ptr<int32_t>();
  uint8_t *p1p = p1.data_ptr<uint8_t>(), *p2p = p2.data_ptr<uint8_t>(), *sp = s.data_ptr<uint8_t>();
  float* cp = c.data_ptr<float>();
  const float theta = (float)opt.threshold, keep = (float)opt.thinning;
  const int32_t R = (int32_t)opt.refractory;

  for (int64_t k = 0; k < opt.cycles; ++k) {
    if (k > 0 && F > 1) x = x_next, x_next = frame(k + 1);
    const float* xp = x.data_ptr<float>();
    for (int64_t t = 0; t < D; ++t) {
      const uint64_t tau = (uint64_t)(k * D + t);
      at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const float* xb = xp + b * N;
          const float* ab = ap + (b * D + t) * N;
          for (int64_t i = 0; i < N; ++i) {
            const int64_t o = b * N + i;
            rp[o] = std::max(rp[o] - 1, -1);
            // Background pixels never fire (and so never enter the window): no draw for them.
            if (xb[i] == 0.0f) {
              sp[o] = 0, cp[o] = 0.0f;
              continue;
            }
            const uint64_t bits = bits_of(keys.step[b], tau * N + i);
            const bool fire = rp[o] < 0 && xb[i] * ab[i] + bits_noise(bits) > theta;
            if (fire) rp[o] = R;
            sp[o] = fire;
            cp[o] = (fire || p1p[o] || p2p[o]) ? 1.0f : 0.0f;
            p2p[o] = p1p[o] && bits_thin2(bits) < keep;
            p1p[o] = fire && bits_thin1(bits) < keep;
          }
        }
      });
      const at::Tensor& h = net.encode(c);
      const at::Tensor* z = &h;
      if (cfg.spiking) {
        spike_code(h, net.z(), rho, keys.hidden, tau, opt.refractory, true);
        z = &net.z();
      } else if (cfg.recurrent) {
        z = &net.recur(h, M[t]);
        M[t].copy_(h);
      }
      // Only where the next cycle's frame is 1: A is read as x * A.
      const at::Tensor& y = net.decode(*z, x_next);
      A.select(1, t).copy_(y);
      if (k >= out.first_cycle) {
        const int64_t kc = k - out.first_cycle;
        out.spikes.select(1, kc).select(1, t).copy_(s);
        if (opt.record_code) out.code.select(1, kc).select(1, t).copy_(*z);
        if (opt.record_attention) out.attention.select(1, kc).select(1, t).copy_(y);
      }
    }
    if (on_cycle) on_cycle(k + 1, opt.cycles);
  }
  return out;
}
}  // namespace

LoopResult run_dasbe(const Autoencoder& ae, const at::Tensor& images, const LoopOptions& opt, const at::Tensor& ids,
                     const CycleFn& on_cycle) {
  return dasbe_loop(ae, flat_images(images, ae->config().inputs).unsqueeze(1), opt, ids, on_cycle);
}

LoopResult run_dasbe_moving(const Autoencoder& ae, const at::Tensor& videos, const LoopOptions& opt,
                            const at::Tensor& ids, const CycleFn& on_cycle) {
  HNN_CHECK(videos.dim() == 4 || videos.dim() == 3, "dasbe: videos must be [B, F, H, W] or [B, F, N], got {}",
            shape_str(videos.sizes()));
  HNN_CHECK(videos.size(1) > 0, "dasbe: videos without frames ({})", shape_str(videos.sizes()));
  auto x = videos.reshape({videos.size(0), videos.size(1), -1}).to(torch::kFloat).contiguous();
  HNN_CHECK(x.size(2) == ae->config().inputs, "dasbe: the frames have {} pixels but the network takes {}", x.size(2),
            ae->config().inputs);
  return dasbe_loop(ae, x, opt, ids, on_cycle);
}

LoopResult run_pure_ann(const Autoencoder& ae, const at::Tensor& images, const LoopOptions& opt,
                        const at::Tensor& ids_in, const CycleFn& on_cycle) {
  check_loop(opt);
  torch::NoGradGuard no_grad;
  const auto& cfg = ae->config();
  HNN_CHECK(!cfg.recurrent, "dasbe: the pure-ANN baseline takes a feed-forward autoencoder, got {}", cfg.describe());
  LoopStart st(ae, flat_images(images, cfg.inputs).unsqueeze(1), opt, ids_in, torch::kFloat);  // A not normalised
  const int64_t B = st.B, N = st.N, D = st.D, H = st.H;
  auto x = st.x.select(1, 0);
  auto& A = st.A;
  auto& keys = st.keys;
  auto& net = st.net;
  auto& out = st.out;
  auto rho = torch::zeros({B, H}, torch::kInt);
  auto u = torch::empty({B, N}, torch::kFloat);
  for (int64_t k = 0; k < opt.cycles; ++k) {
    for (int64_t t = 0; t < D; ++t) {
      torch::mul_out(u, x, A.select(1, t));
      const at::Tensor& h = net.encode(u);
      const at::Tensor* z = &h;
      if (cfg.spiking) {
        spike_code(h, net.z(), rho, keys.hidden, (uint64_t)(k * D + t), 0, false);
        z = &net.z();
      }
      A.select(1, t).copy_(net.decode(*z, x));
      if (k >= out.first_cycle) out.spikes.select(1, k - out.first_cycle).select(1, t).copy_(u);
    }
    if (on_cycle) on_cycle(k + 1, opt.cycles);
  }
  return out;
}

at::Tensor pcnn_kernel() {
  auto w = torch::zeros({9, 9}, torch::kDouble);
  for (int i = -4; i <= 4; ++i)
    for (int j = -4; j <= 4; ++j)
      if (i != 0 || j != 0) w[i + 4][j + 4] = std::exp(-std::sqrt((double)(i * i + j * j)));
  return w;
}

PcnnOptions pcnn_preset(const std::string& dataset) {
  PcnnOptions o;
  if (dataset == "shapes") o.v_theta = 6, o.tau_theta = 8;
  return o;
}

at::Tensor run_pcnn(const at::Tensor& images, const PcnnOptions& o, const at::Tensor& ids_in) {
  HNN_CHECK(images.dim() == 3, "dasbe: the PCNN takes images [B, H, W], got {}", shape_str(images.sizes()));
  HNN_CHECK(o.steps > 0 && o.record_steps > 0 && o.record_steps <= o.steps,
            "dasbe: the PCNN needs 0 < record_steps <= steps (got {} of {})", o.record_steps, o.steps);
  torch::NoGradGuard no_grad;
  const int64_t B = images.size(0), Hh = images.size(1), W = images.size(2), N = Hh * W;
  auto x = images.to(torch::kFloat).contiguous();
  auto ids = default_ids(ids_in, B);
  Keys keys(o.seed, ids);
  auto w = pcnn_kernel().to(torch::kFloat).view({1, 1, 9, 9});
  auto y = torch::zeros({B, 1, Hh, W}, torch::kFloat), L = torch::zeros_like(y);
  auto theta = torch::full_like(y, o.theta0);
  auto drive = torch::empty_like(y);
  auto out = torch::zeros({B, o.record_steps, N}, torch::kByte);
  const float aL = (float)std::exp(-1.0 / o.tau_l), aT = (float)std::exp(-1.0 / o.tau_theta);
  for (int64_t step = 0; step < o.steps; ++step) {
    // F2 = x * m with a fresh 20% input dropout every step, from each image's own stream.
    const float* xp = x.data_ptr<float>();
    float* dp = drive.data_ptr<float>();
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t i = 0; i < N; ++i)
          dp[b * N + i] =
              xp[b * N + i] != 0.0f && bits_noise(bits_of(keys.drop[b], (uint64_t)step * N + i)) >= (float)o.input_drop
                  ? xp[b * N + i]
                  : 0.0f;
    });
    // Zero padding of the 9x9 convolution is the reference's truncation at the image border.
    L.mul_(aL).add_(torch::conv2d(y, w, {}, 1, 4), (float)o.v_l);
    auto fired = (y.sum({1, 2, 3}, true) > 0).to(torch::kFloat);  // min(sum y, 1) for 0/1 spikes
    auto U = drive * (1 + o.beta * L) - o.w_inhibition * fired;
    theta.mul_(aT).add_(y, (float)o.v_theta);
    y = (U - theta >= 0).to(torch::kFloat);
    const int64_t rec = step - (o.steps - o.record_steps);
    if (rec >= 0) out.select(1, rec).copy_(y.view({B, N}));
  }
  return out;
}

}  // namespace hnn::models::dasbe
