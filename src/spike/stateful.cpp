#include "hnn/spike/stateful.h"

#include <torch/torch.h>

namespace hnn::spike {
namespace {
template <typename F>
void for_each_stateful(torch::nn::Module& m, F f) {
  if (auto* s = dynamic_cast<Stateful*>(&m)) f(*s);
  for (auto& child : m.modules(/*include_self=*/false))
    if (auto* s = dynamic_cast<Stateful*>(child.get())) f(*s);
}
}  // namespace

void reset_states(torch::nn::Module& m) {
  for_each_stateful(m, [](Stateful& s) { s.reset_state(); });
}

void detach_states(torch::nn::Module& m) {
  for_each_stateful(m, [](Stateful& s) { s.detach_state(); });
}

}  // namespace hnn::spike
