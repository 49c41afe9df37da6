// The parts of plotting that need no PLplot: building panels from data, and the one-panel
// shorthand of save_png.
#include <algorithm>

#include "hnn/viz/plot.h"

namespace hnn::viz {

void save_png(const Panel& panel, const std::string& path, int width, int height) {
  Figure f;
  f.panels = {panel};
  f.width = width;
  f.height = height;
  save_png(f, path);
}

Panel raster_panel(const std::vector<std::vector<float>>& spikes_tn, const std::string& title,
                   const std::vector<std::string>& row_labels, double dt) {
  Panel p;
  p.title = title;
  p.xlabel = dt == 1.0 ? "time step" : "time";
  p.ylabel = row_labels.empty() ? "neuron" : "";
  Series s;
  s.style = Style::Points;
  s.color = 8;
  size_t n = 0;
  for (size_t t = 0; t < spikes_tn.size(); ++t) {
    n = std::max(n, spikes_tn[t].size());
    for (size_t i = 0; i < spikes_tn[t].size(); ++i)
      if (spikes_tn[t][i] != 0) s.x.push_back(t * dt), s.y.push_back((double)i);
  }
  p.series = {s};
  p.xmin = -0.5 * dt;
  p.xmax = (spikes_tn.size() - 0.5) * dt;
  if (!row_labels.empty()) {
    p.row_labels = row_labels;
  } else {
    p.ymin = -0.5;
    p.ymax = n - 0.5;
  }
  return p;
}

}  // namespace hnn::viz
