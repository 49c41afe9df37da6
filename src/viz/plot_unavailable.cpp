// save_png for builds without PLplot (HNN_WITH_PLOTS=OFF or PLplot not found): a clear error.
#include "hnn/core/error.h"
#include "hnn/viz/plot.h"

namespace hnn::viz {

void save_png(const Figure&, const std::string& path) {
  fail(
      "cannot write the plot '{}': hnn was built without PLplot (install libplplot-dev and "
      "plplot-driver-cairo, then reconfigure with -DHNN_WITH_PLOTS=ON)",
      path);
}

}  // namespace hnn::viz
