#include "hnn/viz/plot.h"

#include <plplot.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::viz {
namespace {

std::mutex g_mu;  // PLplot keeps global state

// A colour-blind-friendly palette (Okabe-Ito) plus greys.
const int kPalette[][3] = {{0, 114, 178},  {213, 94, 0},   {0, 158, 115},   {204, 121, 167}, {230, 159, 0},
                           {86, 180, 233}, {240, 228, 66}, {100, 100, 100}, {0, 0, 0}};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

int palette_index(int i) {
  return 16 + ((i % kPaletteSize) + kPaletteSize) % kPaletteSize;
}
void set_colour(int i) {
  plcol0(palette_index(i));
}

void bounds(const Panel& p, double& x0, double& x1, double& y0, double& y1) {
  double lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
  for (auto& s : p.series) {
    for (double v : s.x)
      if (std::isfinite(v) && (!p.log_x || v > 0)) lo_x = std::min(lo_x, v), hi_x = std::max(hi_x, v);
    for (double v : s.y)
      if (std::isfinite(v) && (!p.log_y || v > 0)) lo_y = std::min(lo_y, v), hi_y = std::max(hi_y, v);
    if (s.style == Style::Bars) {
      lo_y = std::min(lo_y, 0.0);
      double w = s.x.size() > 1 ? std::abs(s.x[1] - s.x[0]) : 1.0;  // room for the outer bars
      if (!s.x.empty()) lo_x = std::min(lo_x, s.x.front() - w / 2), hi_x = std::max(hi_x, s.x.back() + w / 2);
    }
  }
  if (!std::isfinite(lo_x)) lo_x = 0, hi_x = 1;
  if (!std::isfinite(lo_y)) lo_y = 0, hi_y = 1;
  if (hi_x <= lo_x) hi_x = lo_x + 1;
  if (hi_y <= lo_y) hi_y = lo_y + 1;
  double pad_y = p.log_y ? 0 : 0.05 * (hi_y - lo_y);
  x0 = std::isnan(p.xmin) ? lo_x : p.xmin;
  x1 = std::isnan(p.xmax) ? hi_x : p.xmax;
  y0 = std::isnan(p.ymin) ? lo_y - pad_y : p.ymin;
  y1 = std::isnan(p.ymax) ? hi_y + pad_y : p.ymax;
  if (p.log_x) x0 = std::log10(std::max(x0, 1e-300)), x1 = std::log10(std::max(x1, 1e-300));
  if (p.log_y) y0 = std::log10(std::max(y0, 1e-300)), y1 = std::log10(std::max(y1, 1e-300));
}

// Starts a panel: next sub-page, a viewport leaving room for labels (and an outside legend).
void axes(const Panel& p, double x0, double x1, double y0, double y1, bool log_x, bool log_y) {
  pladv(0);
  if (p.legend == "right") {
    // The standard viewport, narrowed for the legend (plgvpd works in page coordinates,
    // plvpor in sub-page coordinates: convert through the sub-page's own extent).
    PLFLT sx0, sx1, sy0, sy1, vx0, vx1, vy0, vy1;
    plvpor(0, 1, 0, 1);
    plgvpd(&sx0, &sx1, &sy0, &sy1);
    plvsta();
    plgvpd(&vx0, &vx1, &vy0, &vy1);
    double u0 = (vx0 - sx0) / (sx1 - sx0), u1 = (vx1 - sx0) / (sx1 - sx0);
    plvpor(u0, u0 + 0.75 * (u1 - u0), (vy0 - sy0) / (sy1 - sy0), (vy1 - sy0) / (sy1 - sy0));
  } else {
    plvsta();  // PLplot's standard viewport leaves room for the labels
  }
  plwind(x0, x1, y0, y1);
  plbox(log_x ? "bcnstl" : "bcnst", 0, 0, log_y ? "bcnstvl" : "bcnstv", 0, 0);
}

void draw_heat(const Panel& p, std::string& title) {
  int rows = (int)p.heat.size(), cols = 0;
  for (auto& r : p.heat) cols = std::max(cols, (int)r.size());
  if (!rows || !cols) return;
  double lo = INFINITY, hi = -INFINITY;
  for (auto& r : p.heat)
    for (double v : r)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(hi > lo)) hi = lo + 1;
  if (p.heat_rows_up) {
    axes(p, 0, cols, 0, rows, false, false);
  } else {
    axes(p, 0, cols, rows, 0, false, false);
  }
  // One filled cell per value (plimage renders flat on the cairo driver).
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < (int)p.heat[r].size(); ++c) {
      double v = p.heat[r][c];
      if (!std::isfinite(v)) continue;
      plcol1((v - lo) / (hi - lo));
      PLFLT bx[4] = {(PLFLT)c, (PLFLT)c, (PLFLT)c + 1, (PLFLT)c + 1},
            by[4] = {(PLFLT)r, (PLFLT)r + 1, (PLFLT)r + 1, (PLFLT)r};
      plfill(4, bx, by);
    }
  plcol0(1);
  plbox("bc", 0, 0, "bc", 0, 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, " [%.3g, %.3g]", lo, hi);
  title += buf;
}

// Black axes and text, palette entries 16.. for series, a dark-blue-to-yellow map for heatmaps.
void setup_colours() {
  plscmap0n(32);
  plscol0(0, 255, 255, 255);
  plscol0(1, 0, 0, 0);
  for (int i = 0; i < kPaletteSize; ++i) plscol0(16 + i, kPalette[i][0], kPalette[i][1], kPalette[i][2]);
  PLFLT pos[3] = {0, 0.5, 1}, r[3] = {0.07, 0.13, 0.99}, g[3] = {0.03, 0.57, 0.91}, b[3] = {0.45, 0.55, 0.14};
  plscmap1n(256);
  plscmap1l(1, 3, pos, r, g, b, nullptr);
}

void draw_panel(const Panel& p) {
  plcol0(1);
  std::string title = p.title;
  if (!p.heat.empty()) {
    draw_heat(p, title);
  } else {
    double x0, x1, y0, y1;
    bounds(p, x0, x1, y0, y1);
    bool raster = !p.row_labels.empty();
    if (raster) {
      // Room on the left for the neuron names.
      size_t longest = 1;
      for (auto& l : p.row_labels) longest = std::max(longest, l.size());
      double rows = (double)p.row_labels.size();
      double fs = std::max(0.3, std::min(0.8, 30.0 / std::max(rows, 1.0)));
      pladv(0);
      plvpor(std::min(0.45, 0.05 + 0.0135 * longest * fs / 0.8), 0.97, 0.16, 0.88);
      plwind(x0, x1, rows - 0.5, -0.5);
      plbox("bcnst", 0, 0, "bc", 0, 0);
      plschr(0, fs);
      for (size_t r = 0; r < p.row_labels.size(); ++r)
        plmtex("lv", 0.5, 1.0 - (r + 0.5) / rows, 1.0, p.row_labels[r].c_str());
      plschr(0, 1.0);
    } else {
      axes(p, x0, x1, y0, y1, p.log_x, p.log_y);
    }
    int next = 0;
    std::vector<std::string> labels;
    std::vector<int> colours, styles;
    for (auto& s : p.series) {
      int ci = s.color >= 0 ? s.color : next++;
      set_colour(ci);
      std::vector<PLFLT> xs, ys;
      for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
        double xv = p.log_x ? std::log10(s.x[i]) : s.x[i], yv = p.log_y ? std::log10(s.y[i]) : s.y[i];
        if (std::isfinite(xv) && std::isfinite(yv)) xs.push_back(xv), ys.push_back(yv);
      }
      if (xs.empty()) continue;
      switch (s.style) {
        case Style::Line:
          plwidth(2);
          plline((PLINT)xs.size(), xs.data(), ys.data());
          break;
        case Style::Points:
          if (raster) {  // spikes as short vertical ticks
            plwidth(2);
            for (size_t i = 0; i < xs.size(); ++i) pljoin(xs[i], ys[i] - 0.35, xs[i], ys[i] + 0.35);
            plwidth(1);
            break;
          }
          plssym(0, 0.8);
          plpoin((PLINT)xs.size(), xs.data(), ys.data(), 17);
          plssym(0, 1.0);
          break;
        case Style::LinePoints:
          plwidth(2);
          plline((PLINT)xs.size(), xs.data(), ys.data());
          plpoin((PLINT)xs.size(), xs.data(), ys.data(), 17);
          break;
        case Style::Steps: {
          std::vector<PLFLT> sx, sy;
          for (size_t i = 0; i < xs.size(); ++i) {
            if (i) sx.push_back(xs[i]), sy.push_back(ys[i - 1]);
            sx.push_back(xs[i]), sy.push_back(ys[i]);
          }
          plwidth(2);
          plline((PLINT)sx.size(), sx.data(), sy.data());
          break;
        }
        case Style::Bars: {
          double w = xs.size() > 1 ? 0.8 * (xs[1] - xs[0]) : 0.8;
          for (size_t i = 0; i < xs.size(); ++i) {
            PLFLT bx[4] = {xs[i] - w / 2, xs[i] - w / 2, xs[i] + w / 2, xs[i] + w / 2};
            PLFLT by[4] = {0, ys[i], ys[i], 0};
            plfill(4, bx, by);
          }
          break;
        }
      }
      plwidth(1);
      if (!s.label.empty()) {
        labels.push_back(s.label);
        colours.push_back(ci);
        styles.push_back(s.style == Style::Points ? 1 : 0);
      }
    }
    if (!labels.empty() && p.legend != "none") {
      int n = (int)labels.size();
      std::vector<PLINT> opt(n), lcol(n), lsty(n, 1), scol(n), snum(n, 1);
      std::vector<PLFLT> lw(n, 2), ss(n, 1.0);
      std::vector<const char*> text(n), sym(n, "#(728)");
      for (int i = 0; i < n; ++i) {
        opt[i] = styles[i] ? PL_LEGEND_SYMBOL : PL_LEGEND_LINE;
        lcol[i] = scol[i] = palette_index(colours[i]);
        text[i] = labels[i].c_str();
      }
      PLFLT lw_out, lh_out;
      plcol0(1);
      PLINT pos = PL_POSITION_INSIDE | PL_POSITION_TOP | PL_POSITION_RIGHT;
      if (p.legend == "tl") pos = PL_POSITION_INSIDE | PL_POSITION_TOP | PL_POSITION_LEFT;
      if (p.legend == "br") pos = PL_POSITION_INSIDE | PL_POSITION_BOTTOM | PL_POSITION_RIGHT;
      if (p.legend == "bl") pos = PL_POSITION_INSIDE | PL_POSITION_BOTTOM | PL_POSITION_LEFT;
      if (p.legend == "right") pos = PL_POSITION_OUTSIDE | PL_POSITION_RIGHT;
      pllegend(&lw_out, &lh_out, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, pos, 0.02, 0.02, 0.1, 0, 1, 1, 0, 0, n,
               opt.data(), 1.0, 0.8, 2.0, 1.0, lcol.data(), text.data(), nullptr, nullptr, nullptr, nullptr,
               lcol.data(), lsty.data(), lw.data(), scol.data(), ss.data(), snum.data(), sym.data());
    }
  }
  plcol0(1);
  pllab(p.xlabel.c_str(), p.ylabel.c_str(), title.c_str());
  for (size_t i = 0; i < p.notes.size(); ++i) plmtex("t", -1.5 - 1.2 * i, 0.02, 0.0, p.notes[i].c_str());
}

}  // namespace

void save_png(const Figure& fig, const std::string& path) {
  HNN_CHECK(!fig.panels.empty(), "plot '{}': no panels", path);
  std::lock_guard<std::mutex> lock(g_mu);
  write_atomically(path, [&](const std::string& tmp) {
    // PLplot exits the process when it cannot open its output: find out first.
    std::FILE* probe = std::fopen(tmp.c_str(), "wb");
    HNN_CHECK(probe, "cannot write plot '{}': {}", path, std::strerror(errno));
    std::fclose(probe);
    plsstrm(0);
    plsdev("pngcairo");
    plsfnam(tmp.c_str());
    std::string geom = std::to_string(fig.width) + "x" + std::to_string(fig.height);
    plsetopt("geometry", geom.c_str());
    plscolbg(255, 255, 255);
    int cols = std::max(1, fig.columns), rows = ((int)fig.panels.size() + cols - 1) / cols;
    plstar(cols, rows);
    setup_colours();
    plfontld(1);
    for (auto& p : fig.panels) draw_panel(p);
    plend();
    HNN_CHECK(file_exists(tmp),
              "plot: PLplot did not write '{}' (is the cairo driver installed? Debian package "
              "plplot-driver-cairo)",
              path);
  });
}

}  // namespace hnn::viz
