#include "hnn/train/sgd_momentum.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::train {

namespace {

// The state map's key of p: LibTorch 1.x formats the TensorImpl pointer as a string
// (c10::guts::to_string, an ostream), 2.x uses the pointer.
template <class Key>
Key key_of(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

template <class Map>
auto key_in(const Map&, const at::Tensor& p) {
  return key_of<typename Map::key_type>(p);
}

// penalty_only_sgd_steps on the CPU: blocks of kBlock elements, each stepped kLane elements at a
// time held in registers. The penalty is summed per lane (vectorisable), the lanes at the end of
// the block, and the blocks in order: the result does not depend on the thread count.
constexpr int64_t kBlock = int64_t{1} << 14;
constexpr int64_t kLane = 64;

template <class T>
void penalty_steps_block(T* w, T* v, const T* a, const T* m, const bool* skip, int64_t n, double lambda,
                         double momentum, const std::vector<double>& lrs, double* pen) {
  const auto S = static_cast<int64_t>(lrs.size());
  const T mom = static_cast<T>(momentum);
  std::vector<double> lanes(static_cast<size_t>(S * kLane), 0.0);  // [step][lane]
  T ww[kLane], vv[kLane], mm[kLane], la[kLane], half[kLane];
  for (int64_t i0 = 0; i0 < n; i0 += kLane) {
    const int64_t len = std::min(kLane, n - i0);
    for (int64_t k = 0; k < kLane; ++k) {
      const bool off = k >= len || (skip != nullptr && skip[i0 + k]);
      ww[k] = k < len ? w[i0 + k] : T(0), vv[k] = k < len ? v[i0 + k] : T(0), mm[k] = k < len ? m[i0 + k] : T(0);
      la[k] = k < len ? static_cast<T>(lambda) * a[i0 + k] : T(0);
      half[k] = off ? T(0) : static_cast<T>(0.5 * lambda) * a[i0 + k];
    }
    for (int64_t j = 0; j < S; ++j) {
      const T lr = static_cast<T>(lrs[static_cast<size_t>(j)]);
      double* acc = lanes.data() + j * kLane;
      for (int64_t k = 0; k < kLane; ++k) {
        const T d = ww[k] - mm[k];
        acc[k] += static_cast<double>(half[k] * d * d);
        vv[k] = mom * vv[k] + la[k] * d;
        ww[k] -= lr * vv[k];
      }
    }
    for (int64_t k = 0; k < len; ++k)
      if (skip == nullptr || !skip[i0 + k]) w[i0 + k] = ww[k], v[i0 + k] = vv[k];
  }
  for (int64_t j = 0; j < S; ++j) {
    double s = 0;
    for (int64_t k = 0; k < kLane; ++k) s += lanes[static_cast<size_t>(j * kLane + k)];
    pen[j] = s;
  }
}

}  // namespace

at::Tensor sgd_momentum(const torch::optim::SGD& opt, const at::Tensor& p) {
  const auto& state = opt.state();
  const auto it = state.find(key_in(state, p));
  if (it == state.end()) return {};
  return static_cast<const torch::optim::SGDParamState&>(*it->second).momentum_buffer();
}

void set_sgd_momentum(torch::optim::SGD& opt, const at::Tensor& p, const at::Tensor& buffer) {
  HNN_CHECK(buffer.sizes() == p.sizes(), "sgd momentum: a buffer of {} for a parameter of {}",
            shape_str(buffer.sizes()), shape_str(p.sizes()));
  auto& state = opt.state();
  auto s = std::make_unique<torch::optim::SGDParamState>();
  s->momentum_buffer(buffer);
  state[key_in(state, p)] = std::move(s);
}

std::vector<double> penalty_only_sgd_steps(at::Tensor& w, at::Tensor& v, const at::Tensor& precision,
                                           const at::Tensor& anchor, const at::Tensor& skip, double lambda,
                                           double momentum, const std::vector<double>& lrs) {
  HNN_CHECK(v.sizes() == w.sizes() && precision.sizes() == w.sizes() && anchor.sizes() == w.sizes() &&
                (!skip.defined() || skip.sizes() == w.sizes()),
            "penalty_only_sgd_steps: weights {}, momentum {}, precision {}, anchor {}: the shapes differ",
            shape_str(w.sizes()), shape_str(v.sizes()), shape_str(precision.sizes()), shape_str(anchor.sizes()));
  HNN_CHECK(v.scalar_type() == w.scalar_type() && precision.scalar_type() == w.scalar_type() &&
                anchor.scalar_type() == w.scalar_type() && (!skip.defined() || skip.scalar_type() == at::kBool),
            "penalty_only_sgd_steps: the tensors must share w's dtype (skip: bool)");
  const auto S = static_cast<int64_t>(lrs.size());
  std::vector<double> out(lrs.size(), 0.0);
  if (S == 0) return out;
  torch::NoGradGuard no_grad;
  if (w.device().is_cpu() && w.is_contiguous() && v.is_contiguous()) {
    const at::Tensor a = precision.contiguous(), m = anchor.contiguous();
    const at::Tensor sk = skip.defined() ? skip.contiguous() : at::Tensor();
    const int64_t n = w.numel(), blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> pen(static_cast<size_t>(blocks * S), 0.0);
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "penalty_only_sgd_steps", [&] {
      scalar_t* pw = w.data_ptr<scalar_t>();
      scalar_t* pv = v.data_ptr<scalar_t>();
      const scalar_t* pa = a.data_ptr<scalar_t>();
      const scalar_t* pm = m.data_ptr<scalar_t>();
      const bool* ps = sk.defined() ? sk.data_ptr<bool>() : nullptr;
      at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t i = b * kBlock, len = std::min(kBlock, n - i);
          penalty_steps_block<scalar_t>(pw + i, pv + i, pa + i, pm + i, ps ? ps + i : nullptr, len, lambda, momentum,
                                        lrs, pen.data() + b * S);
        }
      });
    });
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t j = 0; j < S; ++j) out[static_cast<size_t>(j)] += pen[static_cast<size_t>(b * S + j)];
    return out;
  }
  // Elsewhere (CUDA): the same steps as tensor operations.
  const at::Tensor drop = skip.defined() ? skip : torch::zeros_like(w, torch::kBool);
  at::Tensor ww = w.clone(), vv = v.clone();
  for (int64_t j = 0; j < S; ++j) {
    const at::Tensor d = ww - anchor;
    out[static_cast<size_t>(j)] = (0.5 * lambda * (precision * d * d).masked_fill(drop, 0).sum()).item<double>();
    vv = momentum * vv + lambda * precision * d;
    ww = ww - lrs[static_cast<size_t>(j)] * vv;
  }
  w.copy_(torch::where(drop, w, ww));
  v.copy_(torch::where(drop, v, vv));
  return out;
}

}  // namespace hnn::train
