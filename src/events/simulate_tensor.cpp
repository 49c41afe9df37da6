#include "hnn/events/simulate_tensor.h"

#include <ATen/ATen.h>

#include "hnn/core/error.h"
#include "hnn/core/shape.h"

namespace hnn::events {

EventStream simulate(const at::Tensor& frames, const std::vector<int64_t>& timestamps_us,
                     const SimulatorOptions& options) {
  HNN_CHECK(frames.dim() == 3, "simulate: frames must be [N, H, W], got {}", shape_str(frames.sizes()));
  HNN_CHECK((int64_t)timestamps_us.size() == frames.size(0), "simulate: {} frames but {} timestamps", frames.size(0),
            timestamps_us.size());
  const int H = (int)frames.size(1), W = (int)frames.size(2);
  EventSimulator sim(W, H, options);
  EventStream out(W, H);
  if (frames.scalar_type() == at::kByte) {
    auto f = frames.contiguous();
    for (int64_t i = 0; i < f.size(0); ++i) sim.add_frame(f[i].data_ptr<uint8_t>(), timestamps_us[(size_t)i], out);
  } else {
    auto f = frames.to(at::kFloat).contiguous();
    for (int64_t i = 0; i < f.size(0); ++i) sim.add_frame(f[i].data_ptr<float>(), timestamps_us[(size_t)i], out);
  }
  return out;
}

}  // namespace hnn::events
