// PNG plots through PLplot's cairo driver: line/point/bar charts, spike rasters and heatmaps,
// alone or as panels of one picture. Files are written atomically.
#pragma once
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace hnn::viz {

enum class Style { Line, Points, LinePoints, Bars, Steps };

struct Series {
  std::vector<double> x, y;
  std::string label;  // shown in the legend when non-empty
  Style style = Style::Line;
  int color = -1;  // index into the palette; -1: next colour
};

struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  double xmin = NAN, xmax = NAN, ymin = NAN, ymax = NAN;  // NaN: from the data
  bool log_x = false, log_y = false;
  // Raster mode: one row per neuron (y = neuron index), points at spike times; row labels
  // replace the y tick labels when given.
  std::vector<std::string> row_labels;
  // Heatmap mode (when heat is non-empty): heat[r][c], row 0 at the top (images) or, with
  // heat_rows_up, at the bottom (index axes). The value range goes into the title.
  std::vector<std::vector<double>> heat;
  bool heat_rows_up = false;
  // Text lines drawn in the top-left corner of the panel (e.g. a metrics table).
  std::vector<std::string> notes;
  // Legend corner: "tr", "tl", "br", "bl" (inside the axes), "right" (outside), or "none".
  std::string legend = "tr";
};

struct Figure {
  std::vector<Panel> panels;
  int columns = 1;
  int width = 900, height = 600;  // pixels
};

// Renders the figure to a PNG file; hnn::Error when the file cannot be written.
void save_png(const Figure& fig, const std::string& path);
void save_png(const Panel& panel, const std::string& path, int width = 900, int height = 600);

// A spike raster panel from spikes[t][n] (any nonzero entry is a spike).
Panel raster_panel(const std::vector<std::vector<float>>& spikes_tn, const std::string& title,
                   const std::vector<std::string>& row_labels = {}, double dt = 1.0);

}  // namespace hnn::viz
