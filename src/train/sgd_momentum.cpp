#include "hnn/train/sgd_momentum.h"

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

}  // namespace hnn::train
