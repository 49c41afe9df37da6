#include "hnn/core/log.h"

#include "hnn/core/error.h"

namespace hnn {

void set_log_level(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  HNN_CHECK(lvl != spdlog::level::off || level == "off",
            "unknown log level '{}' (expected trace, debug, info, warn, error or off)", level);
  spdlog::set_level(lvl);
}

}  // namespace hnn
