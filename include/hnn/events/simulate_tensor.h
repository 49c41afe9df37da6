// The event simulator (simulator.h) on a tensor of frames: uint8 [N, H, W] (0-255) or float
// [N, H, W] (intensities in [0, 1]) taken at increasing timestamps (µs) -> an EventStream on an
// W x H sensor.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "hnn/events/event_stream.h"
#include "hnn/events/simulator.h"

namespace hnn::events {

EventStream simulate(const at::Tensor& frames, const std::vector<int64_t>& timestamps_us,
                     const SimulatorOptions& options = {});

}  // namespace hnn::events
