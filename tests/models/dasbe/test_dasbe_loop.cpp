// The DASBE loop, its baselines, the read-out and the autoencoder training: each fused/batched
// path against a plain per-step reference written from the spec.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/models/dasbe/evaluate.h"
#include "hnn/models/dasbe/loop.h"
#include "hnn/models/dasbe/model.h"
#include "hnn/models/dasbe/train.h"
#include "models/dasbe/cpu/row_linear.h"
#include "test_util.h"

using namespace hnn::models::dasbe;

namespace {

// Two bars on an 8x8 image, labelled 1 and 2 (crossing 0).
std::pair<torch::Tensor, torch::Tensor> two_bars(int64_t row, int64_t col) {
  auto x = torch::zeros({8, 8}), g = torch::zeros({8, 8});
  x[row] = 1, g[row] = 1;
  x.select(1, col).fill_(1), g.select(1, col).fill_(2);
  g[row][col] = 0;
  return {x, g};
}

Autoencoder small_ae(bool spiking) {
  AutoencoderConfig c;
  c.inputs = 64, c.encoder = {24}, c.spiking = spiking;
  torch::manual_seed(3);
  Autoencoder ae(c);
  ae->eval();
  return ae;
}

Autoencoder small_rbae() {
  AutoencoderConfig c;
  c.kind = "rbae", c.inputs = 64, c.encoder = {20, 12}, c.decoder = {20}, c.recurrent = true;
  torch::manual_seed(4);
  Autoencoder ae(c);
  ae->eval();
  return ae;
}

// A bar moving one row down per frame: [F, 8, 8].
torch::Tensor moving_bar(int64_t frames, int64_t col) {
  auto v = torch::zeros({frames, 8, 8});
  for (int64_t f = 0; f < frames; ++f) v[f][f % 8] = 1, v[f].select(1, col).fill_(1);
  return v;
}

// §3.2 step by step for one image [H, W] (or §3.5 for frames [F, H, W]: cycle k reads frame
// min(k, F - 1), a recurrent net keeps one memory per phase slot), straight from the spec (uint8
// spikes [cycles, D, N]).
torch::Tensor plain_loop(const Autoencoder& ae, const torch::Tensor& image, const LoopOptions& o, int64_t id) {
  torch::NoGradGuard ng;
  const auto frames = image.dim() == 3 ? image.reshape({image.size(0), -1}) : image.reshape({1, -1});
  const int64_t N = frames.size(1), D = o.delay, H = ae->config().code();
  auto x = frames[0].to(torch::kFloat);
  auto M = torch::zeros({D, 1, H});
  const uint64_t kinit = stream_key(o.seed, id, kInit), kstep = stream_key(o.seed, id, kStep),
                 kh = stream_key(o.seed, id, kHidden);
  auto A = torch::zeros({D, N});
  for (int64_t t = 0; t < D; ++t)
    for (int64_t i = 0; i < N; ++i) {
      A[t][i] = bits_abs_normal(stream_bits(kinit, t * N + i));
    }
  A = A / A.sum(0, true);
  std::vector<int> r(N, 0), p1(N, 0), p2(N, 0), rho(H, 0);
  auto out = torch::zeros({o.cycles, D, N}, torch::kByte);
  for (int64_t k = 0; k < o.cycles; ++k)
    for (int64_t t = 0; t < D; ++t) {
      x = frames[std::min(k, frames.size(0) - 1)].to(torch::kFloat);
      const uint64_t tau = k * D + t;
      auto c = torch::zeros({1, N});
      for (int64_t i = 0; i < N; ++i) {
        const float u = x[i].item<float>() * A[t][i].item<float>();
        const uint64_t bits = stream_bits(kstep, tau * N + i);
        r[i] = std::max(r[i] - 1, -1);
        const bool s = x[i].item<float>() != 0 && r[i] < 0 && u + bits_noise(bits) > (float)o.threshold;
        if (s) r[i] = (int)o.refractory;
        out[k][t][i] = (int)s;
        c[0][i] = (s || p1[i] || p2[i]) ? 1.0 : 0.0;
        p2[i] = p1[i] && bits_thin2(bits) < (float)o.thinning;
        p1[i] = s && bits_thin1(bits) < (float)o.thinning;
      }
      auto h = ae->encode(c);
      auto z = h.clone();
      if (ae->config().spiking)
        for (int64_t j = 0; j < H; ++j) {
          bool s = h[0][j].item<float>() + bits_noise(stream_bits(kh, tau * H + j)) > 1.0f;
          rho[j] = std::max(rho[j] - 1, -1);
          s = s && rho[j] < 0;
          if (s) rho[j] = (int)o.refractory;
          z[0][j] = s ? 1.0 : 0.0;
        }
      if (ae->config().recurrent) {
        z = ae->recur(h, M[t]);
        M[t] = h;
      }
      A[t] = ae->decode(z)[0];
    }
  return out;
}

}  // namespace

TEST(DasbeLoop, MatchesThePlainStepLoop) {
  for (bool spiking : {false, true}) {
    auto ae = small_ae(spiking);
    auto [x, g] = two_bars(2, 5);
    LoopOptions o;
    o.delay = 7, o.refractory = 2, o.cycles = 4, o.record_cycles = 0, o.seed = 9;
    auto fused = run_dasbe(ae, x.unsqueeze(0), o, torch::tensor({int64_t{4}}));
    auto plain = plain_loop(ae, x, o, 4);
    EXPECT_TRUE(torch::equal(fused.spikes[0], plain)) << "spiking " << spiking;
    EXPECT_GT(plain.sum().item<int64_t>(), 10);
  }
}

TEST(DasbeLoop, AnImageGivesTheSameSpikesAloneOrInABatch) {
  for (bool spiking : {false, true}) {
    auto ae = small_ae(spiking);
    auto a = two_bars(1, 1), b = two_bars(4, 6), c = two_bars(7, 3);
    auto batch = torch::stack({a.first, b.first, c.first});
    LoopOptions o;
    o.delay = 9, o.refractory = 3, o.cycles = 6, o.record_cycles = 3, o.seed = 5, o.record_code = true;
    auto all = run_dasbe(ae, batch, o, torch::tensor({10, 11, 12}));
    auto one = run_dasbe(ae, b.first.unsqueeze(0), o, torch::tensor({int64_t{11}}));
    EXPECT_EQ(all.spikes.sizes(), (std::vector<int64_t>{3, 3, 9, 64}));
    EXPECT_EQ(all.first_cycle, 3);
    EXPECT_TRUE(torch::equal(all.spikes[1], one.spikes[0])) << "spiking " << spiking;
    EXPECT_TRUE(torch::equal(all.code[1], one.code[0]));
    // Another id is another stream.
    auto other = run_dasbe(ae, b.first.unsqueeze(0), o, torch::tensor({int64_t{99}}));
    EXPECT_FALSE(torch::equal(other.spikes[0], one.spikes[0]));
  }
}

TEST(DasbeLoop, MovingVariantMatchesThePlainStepLoopAndBatches) {
  auto ae = small_rbae();
  LoopOptions o;
  o.delay = 6, o.refractory = 2, o.cycles = 5, o.record_cycles = 0, o.seed = 3;
  // 4 frames for 5 cycles: the last cycle stays on the last frame.
  auto a = moving_bar(4, 2), b = moving_bar(4, 6);
  auto fused = run_dasbe_moving(ae, torch::stack({a, b}), o, torch::tensor({7, 8}));
  EXPECT_EQ(fused.spikes.sizes(), (std::vector<int64_t>{2, 5, 6, 64}));
  EXPECT_TRUE(torch::equal(fused.spikes[1], plain_loop(ae, b, o, 8)));
  auto alone = run_dasbe_moving(ae, a.unsqueeze(0), o, torch::tensor({int64_t{7}}));
  EXPECT_TRUE(torch::equal(fused.spikes[0], alone.spikes[0]));
  // Spikes follow the frames: nothing fires on a pixel that is background in that cycle's frame.
  for (int64_t k = 0; k < 5; ++k) {
    auto bg = a[std::min<int64_t>(k, 3)].reshape({64}).eq(0);
    EXPECT_EQ(fused.spikes[0][k].sum(0).masked_select(bg).sum().item<int64_t>(), 0) << "cycle " << k;
  }
  // A still video is the still image (a feed-forward net).
  auto ff = small_ae(false);
  auto [x, g] = two_bars(2, 5);
  auto still = run_dasbe_moving(ff, x.expand({3, 8, 8}).unsqueeze(0), o);
  EXPECT_TRUE(torch::equal(still.spikes, run_dasbe(ff, x.unsqueeze(0), o).spikes));
  EXPECT_THROW(run_dasbe_moving(ae, torch::zeros({1, 2, 5, 5}), o), hnn::Error);
  EXPECT_THROW(run_pure_ann(ae, x.unsqueeze(0), o), hnn::Error);
}

TEST(DasbeTrain, RbaeForwardSequenceAndNextFramePrediction) {
  auto ae = small_rbae();
  auto v = torch::stack({moving_bar(9, 1), moving_bar(9, 4)}).reshape({2, 9, 64}).transpose(0, 1);  // [T, B, N]
  auto pre = torch::rand({2, 12});
  auto out = ae->forward_sequence(v, pre);
  EXPECT_EQ(out.y.sizes(), (std::vector<int64_t>{9, 2, 64}));
  // Frame by frame, as §2.5 writes it.
  auto p = pre;
  for (int64_t t = 0; t < 9; ++t) {
    auto h = ae->encode(v[t]);
    EXPECT_TENSOR_NEAR(out.y[t], ae->decode(ae->recur(h, p)), 1e-5);
    p = h;
  }
  EXPECT_TENSOR_NEAR(ae->forward(v[0]).y, ae->forward_sequence(v.narrow(0, 0, 1)).y[0], 1e-6);
  EXPECT_THROW(small_ae(false)->forward_sequence(v), hnn::Error);

  // Training on 12 videos of bars moving down (corrupted as the recipe says) predicts the next
  // clean frame much better than a blank frame does, and better than the untrained net.
  std::vector<torch::Tensor> vids;
  for (int64_t i = 0; i < 12; ++i) vids.push_back(moving_bar(41, i % 8));
  auto videos = torch::stack(vids);
  auto opt = train_recipe("rbae");
  opt.epochs = 40, opt.batch = 8, opt.chunk = 5, opt.lr = 1e-2, opt.milestones = {}, opt.gammas = {};
  torch::manual_seed(2);
  auto net = small_rbae();
  std::vector<double> val;
  auto log = std::make_shared<hnn::train::OnEpochEnd>(
      [&](const hnn::train::EpochLog& l) { val.push_back(hnn::train::metric(l.val, "loss")); });
  auto fit = train_rbae(net, videos, opt, {log});
  ASSERT_EQ(val.size(), 40u);
  const double blank = videos[11].narrow(0, 1, 40).pow(2).mean().item<double>();  // the validation video
  EXPECT_LT(fit.best_value, 0.6 * blank);
  EXPECT_LT(fit.best_value, 0.8 * val.front());
}

TEST(DasbeLoop, RefractorinessAndSilentBackground) {
  auto ae = small_ae(false);
  auto [x, g] = two_bars(3, 3);
  LoopOptions o;
  o.delay = 10, o.refractory = 4, o.cycles = 8, o.record_cycles = 0;
  auto s = run_dasbe(ae, x.unsqueeze(0), o).spikes[0].reshape({-1, 64});  // [T, N]
  auto bg = x.reshape({64}).eq(0);
  EXPECT_EQ(s.index({torch::indexing::Slice(), bg}).sum().item<int64_t>(), 0);
  for (int64_t i = 0; i < 64; ++i) {
    auto times = s.select(1, i).nonzero().reshape({-1});
    for (int64_t k = 1; k < times.size(0); ++k)
      EXPECT_GE(times[k].item<int64_t>() - times[k - 1].item<int64_t>(), o.refractory + 1);
  }
  EXPECT_THROW(run_dasbe(ae, torch::zeros({1, 5, 5}), o), hnn::Error);  // 25 pixels, network takes 64
  o.delay = 0;
  EXPECT_THROW(run_dasbe(ae, x.unsqueeze(0), o), hnn::Error);
}

TEST(DasbeLoop, PureAnnIteratesTheDelayLine) {
  auto ae = small_ae(false);
  auto [x, g] = two_bars(2, 2);
  LoopOptions o;
  o.delay = 3, o.cycles = 5, o.record_cycles = 0, o.seed = 2;
  auto u = run_pure_ann(ae, x.unsqueeze(0), o, torch::tensor({int64_t{7}})).spikes[0];  // [C, D, N]
  // u[k][t] = x * AE(u[k-1][t]): each slot iterates its own map.
  torch::NoGradGuard ng;
  auto xf = x.reshape({1, 64});
  for (int64_t k = 1; k < o.cycles; ++k)
    for (int64_t t = 0; t < o.delay; ++t) {
      auto expect = xf * ae->decode(ae->encode(u[k - 1][t].unsqueeze(0)));
      EXPECT_TENSOR_NEAR(u[k][t].unsqueeze(0), expect, 1e-6);
    }
  EXPECT_EQ(
      u.index({torch::indexing::Slice(), torch::indexing::Slice(), x.reshape({64}).eq(0)}).abs().sum().item<float>(),
      0);
}

TEST(DasbeLoop, PcnnConvolutionEqualsTheDenseCoupling) {
  auto x = (torch::rand({2, 10, 12}, torch::TensorOptions().dtype(torch::kFloat)) > 0.6).to(torch::kFloat);
  PcnnOptions o;
  o.steps = 40, o.record_steps = 40, o.seed = 4;
  auto fast = run_pcnn(x, o, torch::tensor({3, 8}));
  // The reference: the dense (H, W, H, W) coupling tensor, step by step.
  const int64_t H = 10, W = 12, N = H * W;
  auto w = torch::zeros({N, N}, torch::kDouble);
  for (int64_t i = 0; i < H; ++i)
    for (int64_t j = 0; j < W; ++j)
      for (int64_t k = 0; k < H; ++k)
        for (int64_t l = 0; l < W; ++l)
          if ((i != k || j != l) && std::abs(i - k) <= 4 && std::abs(j - l) <= 4)
            w[i * W + j][k * W + l] = std::exp(-std::sqrt((double)((i - k) * (i - k) + (j - l) * (j - l))));
  EXPECT_TENSOR_NEAR(pcnn_kernel()[4][5], torch::tensor(std::exp(-1.0), torch::kDouble), 1e-15);
  for (int64_t b = 0; b < 2; ++b) {
    const uint64_t key = stream_key(o.seed, b == 0 ? 3 : 8, kDrop);
    auto xb = x[b].reshape({N}).to(torch::kDouble);
    auto y = torch::zeros({N}, torch::kDouble), L = torch::zeros({N}, torch::kDouble);
    auto theta = torch::full({N}, o.theta0, torch::kDouble);
    int64_t mismatches = 0;
    for (int64_t s = 0; s < o.steps; ++s) {
      auto keep = torch::zeros({N}, torch::kDouble);
      for (int64_t i = 0; i < N; ++i)
        keep[i] = bits_noise(stream_bits(key, s * N + i)) >= (float)o.input_drop ? 1.0 : 0.0;
      L = std::exp(-1.0 / o.tau_l) * L + o.v_l * torch::matmul(w, y);
      auto U = xb * keep * (1 + o.beta * L) - o.w_inhibition * std::min(y.sum().item<double>(), 1.0);
      theta = std::exp(-1.0 / o.tau_theta) * theta + o.v_theta * y;
      y = (U - theta >= 0).to(torch::kDouble);
      mismatches += (fast[b][s].to(torch::kDouble) - y).abs().sum().item<int64_t>();
      y = fast[b][s].to(torch::kDouble);  // follow the fast run so one rounding flip cannot cascade
    }
    EXPECT_LE(mismatches, 2) << "image " << b;
    EXPECT_GT(fast[b].sum().item<int64_t>(), 0);
  }
}

TEST(DasbeReadout, SmoothingAndGroupingSynchronousPixels) {
  auto s = torch::zeros({6, 2});
  s[1][0] = 1, s[4][1] = 1;
  auto sm = smooth_trains(s, 3);
  EXPECT_FLOAT_EQ(sm[1][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(sm[2][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(sm[3][0].item<float>(), 0.25f);
  EXPECT_FLOAT_EQ(sm[5][1].item<float>(), 0.5f);
  EXPECT_TRUE(torch::equal(smooth_trains(s, 1), s));
  // Three groups firing in three phases, background silent: perfect grouping.
  const int64_t T = 60, N = 30;
  auto trains = torch::zeros({T, N});
  auto groups = torch::zeros({N});
  for (int64_t i = 0; i < 27; ++i) {
    const int64_t grp = i % 3;
    groups[i] = grp + 1;
    for (int64_t t = grp * 4; t < T; t += 12) trains[t][i] = 1;
  }
  auto g = group_pixels(trains, groups, 4, 2, 1);
  EXPECT_NEAR(g.ami, 1.0, 1e-12);
  auto sc = syn_rate_scores(trains, groups);
  EXPECT_GT(sc.synchrony, 0.9);
  EXPECT_NEAR(sc.rate, 0.0, 1e-12);  // every pixel fires equally often: rates say nothing
  EXPECT_GT(sc.clustering, 0.9);
}

TEST(DasbeFigure2, CoactivationOfSynchronousAndAlternatingPixels) {
  // Pixels 0 and 1 fire together (t = 0, 2, 4), pixel 2 with them, pixel 3 in between (t = 1, 3, 5).
  auto s = torch::zeros({6, 4}, torch::kUInt8);
  for (int64_t t = 0; t < 6; t += 2) s[t][0] = 1, s[t][1] = 1, s[t][2] = 1, s[t + 1][3] = 1;
  auto m = coactivation_matrix(s, 0.5);
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(m.scalar_type(), torch::kDouble);
  // Together 3 times, never one step apart: (1 + alpha) * 3.
  EXPECT_DOUBLE_EQ(m[0][1].item<double>(), 4.5);
  EXPECT_DOUBLE_EQ(m[0][0].item<double>(), 4.5);
  // Never together; 3 follows 2 one step later three times and one step earlier twice (t = 2, 4;
  // the zero padding drops t = 0): alpha * (3 + 2).
  EXPECT_DOUBLE_EQ(m[2][3].item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(m[0][3].item<double>(), 2.5);
  EXPECT_TRUE(torch::allclose(m, m.t()));
  // The definition term by term on random trains.
  torch::manual_seed(3);
  auto r = torch::rand({9, 5}).lt(0.4).to(torch::kDouble);
  auto ref = torch::zeros({5, 5}, torch::kDouble);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j) {
      double v = 0;
      for (int64_t t = 0; t < 9; ++t) {
        const double si = r[t][i].item<double>();
        v += 1.5 * si * r[t][j].item<double>();
        if (t + 1 < 9) v += 0.5 * si * r[t + 1][j].item<double>();
        if (t >= 1) v += 0.5 * si * r[t - 1][j].item<double>();
      }
      ref[i][j] = v;
    }
  EXPECT_TRUE(torch::allclose(coactivation_matrix(r), ref));
  // Ordered by group (label 0 dropped), normalised by the maximum.
  auto groups = torch::tensor({2, 1, 0, 1});
  EXPECT_TRUE(torch::equal(group_order(groups), torch::tensor({1, 3, 0}, torch::kLong)));
  auto b = coactivation_by_group(m, groups);
  ASSERT_EQ(b.sizes(), (std::vector<int64_t>{3, 3}));
  EXPECT_DOUBLE_EQ(b.max().item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(b[0][1].item<double>(), 2.5 / 4.5);  // pixels 1 and 3
  EXPECT_DOUBLE_EQ(b[0][2].item<double>(), 1.0);        // pixels 1 and 0
  EXPECT_THROW(coactivation_matrix(torch::zeros({4})), hnn::Error);
}

TEST(DasbeFigure2, AutocorrelationOfAPeriodicGroup) {
  // Group 1 (pixels 0 and 2) fires every 3 steps; group 2 (pixel 1) never; the unlabelled pixel 3
  // fires every step and must not count.
  const int64_t T = 30;
  auto s = torch::zeros({T, 4});
  for (int64_t t = 0; t < T; t += 3) s[t][0] = 1, s[t][2] = 1;
  s.select(1, 3).fill_(1);
  auto groups = torch::tensor({1, 2, 1, 0});
  auto counts = group_spike_counts(s, groups);
  ASSERT_EQ(counts.sizes(), (std::vector<int64_t>{T, 2}));
  EXPECT_DOUBLE_EQ(counts.select(1, 0).sum().item<double>(), 20.0);
  auto c = group_autocorrelation(s, groups, 5);
  ASSERT_EQ(c.sizes(), (std::vector<int64_t>{2, 9}));
  EXPECT_EQ(c.scalar_type(), torch::kDouble);
  // 10 volleys: lag 0 gives 1, lag 3 gives 9 of the 10 products, the others 0; symmetric.
  auto want = torch::tensor({0.0, 0.9, 0.0, 0.0, 1.0, 0.0, 0.0, 0.9, 0.0}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(c[0], want));
  EXPECT_TRUE(torch::equal(c[1], torch::zeros({9}, torch::kDouble)));  // silent group
  EXPECT_EQ(first_peak_lag(c[0]), 3);
  EXPECT_EQ(first_peak_lag(c[1]), 0);
  // Longer lags: the peaks repeat at 6 and 9; the first is the period.
  auto c20 = group_autocorrelation(s, groups)[0];
  EXPECT_NEAR(c20[19 + 6].item<double>(), 0.8, 1e-12);
  EXPECT_EQ(first_peak_lag(c20), 3);
  // A small ripple before the main peak is skipped.
  auto lags = torch::tensor({1.0, 0.05, 0.1, 0.0, 0.05, 0.3, 0.9, 0.4, 0.2}, torch::kDouble);  // 0..8
  EXPECT_EQ(first_peak_lag(torch::cat({lags.flip({0}).narrow(0, 0, 8), lags})), 6);
}

TEST(DasbeTrain, AutoencoderLearnsSingleBarsAndKeepsTheBestCheckpoint) {
  torch::manual_seed(1);
  std::vector<torch::Tensor> singles;
  for (int64_t k = 0; k < 8; ++k) {
    auto h = torch::zeros({8, 8}), v = torch::zeros({8, 8});
    h[k] = 1, v.select(1, k).fill_(1);
    singles.push_back(h), singles.push_back(v);
  }
  auto images = torch::stack(singles).repeat({4, 1, 1});
  AutoencoderConfig c;
  c.inputs = 64, c.encoder = {32};
  Autoencoder ae(c);
  auto dir = std::string(testing::TempDir()) + "/dasbe-train";
  hnn::make_dirs(dir);
  auto opt = train_recipe("bars");
  opt.epochs = 60, opt.batch = 16, opt.milestones = {40}, opt.gammas = {0.5};
  opt.best_checkpoint = dir + "/best.pt", opt.checkpoint = dir + "/last.pt";
  const double before = validation_loss(ae, images);
  auto fit = train_autoencoder(ae, images, opt);
  const double after = validation_loss(ae, images);
  EXPECT_LT(after, 0.5 * before);
  EXPECT_TRUE(hnn::file_exists(opt.best_checkpoint));
  auto best = load_autoencoder(opt.best_checkpoint);
  EXPECT_EQ(best->config().describe(), c.describe());
  // The file holds the best epoch, which the trainer also restored in memory.
  torch::NoGradGuard ng;
  auto flat = images.reshape({images.size(0), -1});
  EXPECT_TENSOR_NEAR(best->forward(flat).y, ae->forward(flat).y, 1e-6);
  EXPECT_GE(fit.best_epoch, 1);
  EXPECT_THROW(train_recipe("nope"), hnn::Error);
}

TEST(DasbeTrain, SpikingBottleneckAndContractivePenalty) {
  torch::manual_seed(2);
  AutoencoderConfig c = preset_config("multi_mnist");
  c.inputs = 36, c.encoder = {20, 10}, c.decoder = {20};
  Autoencoder ae(c);
  auto h = torch::full({1, 4}, 0.3, torch::requires_grad());
  auto u = torch::tensor({{0.1f, 0.69f, 0.71f, 0.99f}});
  auto s = AutoencoderImpl::bernoulli_spike(h, u);
  EXPECT_TRUE(torch::equal(s, torch::tensor({{0.f, 0.f, 1.f, 1.f}})));
  s.sum().backward();
  EXPECT_TRUE(torch::equal(h.grad(), torch::tensor({{0.f, 1.f, 1.f, 1.f}})));  // |h + u - 1| < 0.5
  auto images = (torch::rand({40, 6, 6}) > 0.5).to(torch::kFloat);
  auto opt = train_recipe("multi_mnist");
  opt.epochs = 2, opt.batch = 8;
  auto fit = train_autoencoder(ae, images, opt);
  ASSERT_EQ(fit.history.size(), 2u);
  EXPECT_GT(hnn::train::metric(fit.history[0].train, "jacobian", -1), 0.0);
  EXPECT_EQ(config_from_json(config_to_json(c)).describe(), c.describe());
  EXPECT_THROW(preset_config("nope"), hnn::Error);
  EXPECT_THROW(config_from_json("{\"model\": \"other\"}"), hnn::Error);
}

namespace hnn::models::dasbe::cpu {
namespace sse2 {
void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1);
}
namespace avx2 {
void row_linear(const RowLinearArgs& a, int64_t b0, int64_t b1);
}
}  // namespace hnn::models::dasbe::cpu

TEST(DasbeRowLinear, MatchesLinearAndIsTheSameForEveryBatchAndInstructionSet) {
  namespace cpu = hnn::models::dasbe::cpu;
  torch::manual_seed(5);
  const int64_t B = 37, I = 53, O = 29;
  auto x = torch::rand({B, I}) * (torch::rand({B, I}) > 0.6).to(torch::kFloat);
  auto w = torch::randn({O, I}), bias = torch::randn({O});
  auto wt = w.t().contiguous();
  for (auto act : {cpu::Activation::None, cpu::Activation::Relu, cpu::Activation::Sigmoid}) {
    auto out = torch::empty({B, O}), one = torch::empty({1, O}), other = torch::empty({B, O});
    cpu::RowLinearArgs a{
        x.data_ptr<float>(), wt.data_ptr<float>(), bias.data_ptr<float>(), out.data_ptr<float>(), B, I, O, act};
    cpu::row_linear(a, 0, B);
    auto ref = torch::addmm(bias, x, wt);
    if (act == cpu::Activation::Relu) ref = ref.relu();
    if (act == cpu::Activation::Sigmoid) ref = ref.sigmoid();
    EXPECT_TENSOR_NEAR(out, ref, 1e-5);
    // Row 17 alone, from a batch of one.
    auto row = x.narrow(0, 17, 1).contiguous();
    cpu::RowLinearArgs b = a;
    b.in = row.data_ptr<float>(), b.out = one.data_ptr<float>(), b.B = 1;
    cpu::row_linear(b, 0, 1);
    EXPECT_TRUE(torch::equal(one[0], out[17]));
    // Every instruction set gives the same bits.
    cpu::RowLinearArgs c = a;
    c.out = other.data_ptr<float>();
    cpu::sse2::row_linear(c, 0, B);
    EXPECT_TRUE(torch::equal(other, out));
    if (__builtin_cpu_supports("avx2")) {
      cpu::avx2::row_linear(c, 0, B);
      EXPECT_TRUE(torch::equal(other, out));
    }
  }
  EXPECT_NE(std::string(cpu::row_linear_isa()), "");
}

TEST(DasbeRowLinear, MaskedOutputsMatchTheFullLayer) {
  namespace cpu = hnn::models::dasbe::cpu;
  torch::manual_seed(6);
  const int64_t B = 5, I = 37, O = 23;
  auto x = torch::rand({B, I}), w = torch::randn({O, I}), bias = torch::randn({O});
  auto mask = (torch::rand({B, O}) > 0.5).to(torch::kFloat);
  auto out = torch::empty({B, O});
  cpu::MaskedLinearArgs a{x.data_ptr<float>(),
                          w.data_ptr<float>(),
                          bias.data_ptr<float>(),
                          mask.data_ptr<float>(),
                          out.data_ptr<float>(),
                          B,
                          I,
                          O,
                          cpu::Activation::Sigmoid};
  cpu::masked_linear(a, 0, B);
  auto ref = torch::addmm(bias, x, w.t()).sigmoid() * mask;
  EXPECT_TENSOR_NEAR(out, ref, 1e-6);
  // One row alone gives the same bits.
  auto one = torch::empty({1, O});
  auto x3 = x.narrow(0, 3, 1).contiguous(), m3 = mask.narrow(0, 3, 1).contiguous();
  cpu::MaskedLinearArgs b = a;
  b.in = x3.data_ptr<float>(), b.mask = m3.data_ptr<float>(), b.out = one.data_ptr<float>(), b.B = 1;
  cpu::masked_linear(b, 0, 1);
  EXPECT_TRUE(torch::equal(one[0], out[3]));
}

TEST(DasbeTrain, NtXentBatchAndClrnet) {
  // Two classes with orthogonal codes of the same class direction: S_aa = 1 / tau, S_ab = 0.
  auto z0 = torch::tensor({{1.f, 0.f}, {2.f, 0.f}}), z1 = torch::tensor({{0.f, 1.f}, {0.f, 3.f}});
  const double tau = 0.5;
  // (1/tau - 1)^2 per same-class entry: 2 classes x 4 entries.
  EXPECT_NEAR(nt_xent_batch({z0, z1}, tau).item<double>(), 8 * std::pow(1 / tau - 1, 2), 1e-6);
  // Silent codes give cosine 0 (eps), not NaN.
  auto silent = torch::zeros({2, 2});
  EXPECT_NEAR(nt_xent_batch({silent, z1}, tau).item<double>(), 4 * 1.0 + 4 * std::pow(1 / tau - 1, 2), 1e-6);
  EXPECT_THROW(nt_xent_batch({z0}), hnn::Error);
  // A tiny CLRNet learns on three classes of 8x8 bars.
  torch::manual_seed(4);
  AutoencoderConfig c = preset_config("clrnet");
  c.inputs = 64, c.encoder = {32, 48}, c.decoder = {32};
  Autoencoder ae(c);
  std::vector<torch::Tensor> classes;
  for (int k = 0; k < 3; ++k) {
    auto x = torch::zeros({12, 8, 8});
    for (int i = 0; i < 12; ++i) x[i][(i + k * 3) % 8] = 1;  // class k: rows k*3 ... (overlapping sets)
    classes.push_back(k == 1 ? x.transpose(1, 2).contiguous() : x);
  }
  auto opt = train_recipe("clrnet");
  opt.epochs = 3, opt.batch = 6;
  auto fit = train_clrnet(ae, classes, opt);
  ASSERT_EQ(fit.history.size(), 3u);
  EXPECT_GT(hnn::train::metric(fit.history[0].train, "nt_xent", -1), 0.0);
  AutoencoderConfig plain;
  plain.inputs = 64, plain.encoder = {16};
  Autoencoder not_spiking(plain);
  EXPECT_THROW(train_clrnet(not_spiking, classes, opt), hnn::Error);
}
