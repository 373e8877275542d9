// The plot of `cellfit generate --plot FILE.svg`: recorded (target) and
// fitted traces, one panel per input trace, stacked vertically, with time and
// value axes in the traces' units. SVG so that it needs no plotting library
// and opens in any browser.
#ifndef CELLFIT_CLIENT_CLI_SVG_PLOT_H_
#define CELLFIT_CLIENT_CLI_SVG_PLOT_H_

#include <string>
#include <vector>

namespace cellfit::client::cli {

// One line in a panel. Values are already in the panel's display unit;
// sample k is at time k * dt.
struct PlotSeries {
  std::string label;  // legend text, e.g. "target", "fitted"
  std::vector<double> values;
  bool dashed = false;
};

struct PlotPanel {
  std::string title;  // e.g. "trace 0"
  std::vector<PlotSeries> series;
};

struct PlotOptions {
  double dt = 1;                   // time between samples, in x_unit
  std::string x_label = "t (ms)";  // the time axis label
  std::string y_label;             // e.g. "v (mV)"
  std::string title;               // above all panels; empty: none
  int width = 900;                 // pixels
  int panel_height = 220;          // pixels per panel
};

// The whole SVG document. Non-finite values break a line (no point drawn).
// Series longer than the panel's pixel width are reduced to each pixel
// column's minimum and maximum, so spikes stay visible and files stay small.
std::string RenderSvgPlot(const std::vector<PlotPanel>& panels,
                          const PlotOptions& options);

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_SVG_PLOT_H_
