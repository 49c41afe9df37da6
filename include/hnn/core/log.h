// Logging through spdlog to stderr. Levels: trace, debug, info, warn, error, off.
#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace hnn {

// Sets the global level by name; throws hnn::Error on an unknown name.
void set_log_level(const std::string& level);

}  // namespace hnn
