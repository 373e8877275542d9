#include "client/cli/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cellfit::client::cli {
namespace {

// Layout, in pixels.
constexpr double kTitleHeight = 30;  // the document title, when there is one
constexpr double kMarginLeft = 72;   // y tick labels and the y axis label
constexpr double kMarginRight = 16;
constexpr double kMarginTop = 26;     // panel title and legend
constexpr double kMarginBottom = 40;  // x tick labels and the x axis label
constexpr double kFontSize = 12;
constexpr double kCharWidth = 6.6;  // rough width of a 12 px sans-serif char

constexpr char kTargetColour[] = "#222222";
// Matplotlib's tab10 without its grey, which is too close to the target's.
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c",
                                    "#ff7f0e", "#9467bd", "#8c564b",
                                    "#e377c2", "#17becf", "#bcbd22"};

// Text for XML content and attribute values: the five special characters
// escaped, control characters (not allowed in XML 1.0) replaced by spaces.
std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// A coordinate rounded to 0.1 px, without a trailing ".0" or a "-0".
std::string Px(double v) {
  double rounded = std::round(v * 10) / 10;
  if (rounded == 0) rounded = 0;
  std::string s = absl::StrFormat("%.1f", rounded);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) {
    s.resize(s.size() - 2);
  }
  return s;
}

// A "nice" step (1, 2 or 5 times a power of ten) near range / intervals.
double NiceStep(double range, int intervals) {
  double raw = range / std::max(intervals, 1);
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  double fraction = raw / power;
  double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * power;
}

struct Axis {
  double lo = 0;
  double hi = 1;
  std::vector<double> ticks;
  double step = 1;
};

// Ticks at multiples of a nice step inside [lo, hi].
Axis MakeAxis(double lo, double hi, int intervals) {
  Axis axis;
  axis.lo = lo;
  axis.hi = hi;
  double range = hi - lo;
  if (!(range > 0) || !std::isfinite(range)) return axis;
  axis.step = NiceStep(range, intervals);
  if (!(axis.step > 0) || !std::isfinite(axis.step)) return axis;
  double first = std::ceil(lo / axis.step - 1e-9);
  for (int k = 0; k < 100; ++k) {
    double tick = (first + k) * axis.step;
    if (tick > hi + axis.step * 1e-9) break;
    axis.ticks.push_back(tick);
  }
  return axis;
}

// A tick value with as many decimals as its step needs ("-80", "0.25",
// "1e-05").
std::string TickLabel(double value, double step) {
  if (std::abs(value) < step * 1e-9) value = 0;
  double biggest = std::max(std::abs(value), step);
  if (biggest >= 1e6 || step < 1e-4) return absl::StrFormat("%g", value);
  int decimals =
      std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return absl::StrFormat("%.*f", decimals, value);
}

bool IsTarget(const PlotSeries& series) {
  return absl::StartsWithIgnoreCase(series.label, "target") ||
         absl::StartsWithIgnoreCase(series.label, "recorded");
}

struct Point {
  double t;  // sample index
  double v;
};

// The series' lines: runs of finite values, each run a list of points. Long
// series keep each pixel column's minimum and maximum (in sample order).
std::vector<std::vector<Point>> Decimate(const std::vector<double>& values,
                                         int columns) {
  std::vector<std::vector<Point>> lines;
  std::vector<Point> line;
  size_t n = values.size();
  bool decimate = n > 2 * static_cast<size_t>(columns);
  // The minimum and maximum seen in the current column's current run.
  bool any = false;
  size_t i_min = 0, i_max = 0;
  auto flush = [&]() {
    if (!any) return;
    size_t a = std::min(i_min, i_max), b = std::max(i_min, i_max);
    line.push_back({static_cast<double>(a), values[a]});
    if (b != a) line.push_back({static_cast<double>(b), values[b]});
    any = false;
  };
  auto end_line = [&]() {
    flush();
    if (!line.empty()) lines.push_back(std::move(line));
    line.clear();
  };
  uint64_t column = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t c =
        decimate ? static_cast<uint64_t>(i) * static_cast<uint64_t>(columns) / n
                 : i;
    if (c != column) {
      flush();
      column = c;
    }
    double v = values[i];
    if (!std::isfinite(v)) {
      end_line();
      continue;
    }
    if (!any) {
      any = true;
      i_min = i_max = i;
    } else {
      if (v < values[i_min]) i_min = i;
      if (v > values[i_max]) i_max = i;
    }
  }
  end_line();
  return lines;
}

void RenderPanel(const PlotPanel& panel, const PlotOptions& options,
                 double width, double height, double y_offset,
                 std::string& out) {
  const double plot_left = kMarginLeft;
  const double plot_top = kMarginTop;
  const double plot_w = width - kMarginLeft - kMarginRight;
  const double plot_h = height - kMarginTop - kMarginBottom;
  const double dt =
      std::isfinite(options.dt) && options.dt > 0 ? options.dt : 1.0;

  // Data ranges.
  size_t n_max = 0;
  double v_min = std::numeric_limits<double>::infinity();
  double v_max = -v_min;
  for (const PlotSeries& series : panel.series) {
    n_max = std::max(n_max, series.values.size());
    for (double v : series.values) {
      if (!std::isfinite(v)) continue;
      v_min = std::min(v_min, v);
      v_max = std::max(v_max, v);
    }
  }
  double t_max = n_max > 1 ? static_cast<double>(n_max - 1) * dt : dt;
  if (!std::isfinite(t_max) || !(t_max > 0)) t_max = 1;
  double y_lo, y_hi;
  if (!(v_min <= v_max)) {  // nothing finite to show
    y_lo = 0;
    y_hi = 1;
  } else if (v_max - v_min > std::abs(v_max) * 1e-12 &&
             std::isfinite(v_max - v_min)) {
    double pad = (v_max - v_min) * 0.04;
    y_lo = v_min - pad;
    y_hi = v_max + pad;
  } else {  // constant: centre it
    double half = v_min == 0 ? 1 : std::abs(v_min) * 0.1;
    y_lo = v_min - half;
    y_hi = v_max + half;
  }
  if (!std::isfinite(y_lo) || !std::isfinite(y_hi)) {
    y_lo = -1.7e308;
    y_hi = 1.7e308;
  }
  Axis x_axis =
      MakeAxis(0, t_max, std::clamp(static_cast<int>(plot_w / 90), 2, 12));
  Axis y_axis =
      MakeAxis(y_lo, y_hi, std::clamp(static_cast<int>(plot_h / 30), 2, 8));

  auto x_px = [&](double t) { return plot_left + t / t_max * plot_w; };
  auto y_px = [&](double v) {
    // Halves first, so that the full double range does not overflow.
    double span = y_hi / 2 - y_lo / 2;
    return plot_top + (y_hi / 2 - v / 2) / span * plot_h;
  };

  absl::StrAppend(&out, "<g class=\"panel\" transform=\"translate(0,",
                  Px(y_offset), ")\">\n");
  // Frame, grid and ticks.
  absl::StrAppend(&out, "<rect class=\"frame\" x=\"", Px(plot_left), "\" y=\"",
                  Px(plot_top), "\" width=\"", Px(plot_w), "\" height=\"",
                  Px(plot_h),
                  "\" fill=\"none\" stroke=\"#444\" stroke-width=\"1\"/>\n");
  absl::StrAppend(&out, "<g class=\"x-ticks\" text-anchor=\"middle\">\n");
  for (double tick : x_axis.ticks) {
    std::string x = Px(x_px(tick));
    std::string bottom = Px(plot_top + plot_h);
    absl::StrAppend(&out, "<line x1=\"", x, "\" y1=\"", Px(plot_top),
                    "\" x2=\"", x, "\" y2=\"", bottom,
                    "\" stroke=\"#e6e6e6\"/>\n");
    absl::StrAppend(&out, "<line x1=\"", x, "\" y1=\"", bottom, "\" x2=\"", x,
                    "\" y2=\"", Px(plot_top + plot_h + 5),
                    "\" stroke=\"#444\"/>\n");
    absl::StrAppend(&out, "<text class=\"tick-label\" x=\"", x, "\" y=\"",
                    Px(plot_top + plot_h + 18), "\">",
                    Escape(TickLabel(tick, x_axis.step)), "</text>\n");
  }
  absl::StrAppend(&out, "</g>\n");
  absl::StrAppend(&out, "<g class=\"y-ticks\" text-anchor=\"end\">\n");
  for (double tick : y_axis.ticks) {
    std::string y = Px(y_px(tick));
    absl::StrAppend(&out, "<line x1=\"", Px(plot_left), "\" y1=\"", y,
                    "\" x2=\"", Px(plot_left + plot_w), "\" y2=\"", y,
                    "\" stroke=\"#e6e6e6\"/>\n");
    absl::StrAppend(&out, "<line x1=\"", Px(plot_left - 5), "\" y1=\"", y,
                    "\" x2=\"", Px(plot_left), "\" y2=\"", y,
                    "\" stroke=\"#444\"/>\n");
    absl::StrAppend(&out, "<text class=\"tick-label\" x=\"", Px(plot_left - 8),
                    "\" y=\"", Px(y_px(tick) + 4), "\">",
                    Escape(TickLabel(tick, y_axis.step)), "</text>\n");
  }
  absl::StrAppend(&out, "</g>\n");
  // Axis labels and the panel title.
  if (!options.x_label.empty()) {
    absl::StrAppend(&out, "<text class=\"x-label\" x=\"",
                    Px(plot_left + plot_w / 2), "\" y=\"",
                    Px(plot_top + plot_h + 34), "\" text-anchor=\"middle\">",
                    Escape(options.x_label), "</text>\n");
  }
  if (!options.y_label.empty()) {
    double cx = 16, cy = plot_top + plot_h / 2;
    absl::StrAppend(&out, "<text class=\"y-label\" x=\"", Px(cx), "\" y=\"",
                    Px(cy), "\" text-anchor=\"middle\" transform=\"rotate(-90 ",
                    Px(cx), " ", Px(cy), ")\">", Escape(options.y_label),
                    "</text>\n");
  }
  if (!panel.title.empty()) {
    absl::StrAppend(&out, "<text class=\"panel-title\" x=\"", Px(plot_left),
                    "\" y=\"", Px(plot_top - 8), "\" font-weight=\"bold\">",
                    Escape(panel.title), "</text>\n");
  }

  // Series colours: the target dark, the others from the palette in order.
  std::vector<std::string> colours;
  size_t next_colour = 0;
  for (const PlotSeries& series : panel.series) {
    if (IsTarget(series)) {
      colours.push_back(kTargetColour);
    } else {
      colours.push_back(kColours[next_colour++ % std::size(kColours)]);
    }
  }

  // The lines, clipped to the frame.
  int columns = std::max(1, static_cast<int>(std::ceil(plot_w)));
  for (size_t s = 0; s < panel.series.size(); ++s) {
    const PlotSeries& series = panel.series[s];
    absl::StrAppend(&out, "<g class=\"series\" fill=\"none\" stroke=\"",
                    colours[s], "\" stroke-width=\"1.2\"",
                    " stroke-linejoin=\"round\" stroke-linecap=\"round\"",
                    series.dashed ? " stroke-dasharray=\"6 4\"" : "", ">\n");
    for (const std::vector<Point>& line : Decimate(series.values, columns)) {
      std::string points;
      std::string last;
      for (const Point& p : line) {
        std::string xy = absl::StrCat(Px(x_px(p.t * dt)), ",", Px(y_px(p.v)));
        if (xy == last) continue;
        if (!points.empty()) points += ' ';
        points += xy;
        last = std::move(xy);
      }
      // A lone point: a zero-length line, which the round cap shows as a dot.
      if (points.find(' ') == std::string::npos) {
        points = absl::StrCat(points, " ", points);
      }
      absl::StrAppend(&out, "<polyline points=\"", points, "\"/>\n");
    }
    absl::StrAppend(&out, "</g>\n");
  }

  // Legend, right-aligned in the title row.
  double legend_width = 0;
  for (const PlotSeries& series : panel.series) {
    legend_width += 24 + kCharWidth * series.label.size() + 14;
  }
  if (!panel.series.empty()) {
    double x = std::max(plot_left + plot_w - legend_width + 14,
                        plot_left + kCharWidth * panel.title.size() + 20);
    double y = plot_top - 12;
    absl::StrAppend(&out, "<g class=\"legend\">\n");
    for (size_t s = 0; s < panel.series.size(); ++s) {
      const PlotSeries& series = panel.series[s];
      absl::StrAppend(&out, "<line x1=\"", Px(x), "\" y1=\"", Px(y), "\" x2=\"",
                      Px(x + 20), "\" y2=\"", Px(y), "\" stroke=\"", colours[s],
                      "\" stroke-width=\"1.6\"",
                      series.dashed ? " stroke-dasharray=\"6 4\"" : "", "/>\n");
      absl::StrAppend(&out, "<text x=\"", Px(x + 24), "\" y=\"", Px(y + 4),
                      "\">", Escape(series.label), "</text>\n");
      x += 24 + kCharWidth * series.label.size() + 14;
    }
    absl::StrAppend(&out, "</g>\n");
  }
  absl::StrAppend(&out, "</g>\n");
}

}  // namespace

std::string RenderSvgPlot(const std::vector<PlotPanel>& panels,
                          const PlotOptions& options) {
  const double width = std::max(options.width, 200);
  const double panel_height = std::max(options.panel_height, 100);
  const double top = options.title.empty() ? 0 : kTitleHeight;
  const double height =
      std::max(40.0, top + panel_height * static_cast<double>(panels.size()));
  std::string out;
  absl::StrAppend(&out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"",
                  Px(width), "\" height=\"", Px(height), "\" viewBox=\"0 0 ",
                  Px(width), " ", Px(height),
                  "\" font-family=\"sans-serif\" font-size=\"", Px(kFontSize),
                  "\">\n");
  absl::StrAppend(&out,
                  "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
  if (!options.title.empty()) {
    absl::StrAppend(&out, "<text class=\"title\" x=\"", Px(width / 2),
                    "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" "
                    "font-weight=\"bold\">",
                    Escape(options.title), "</text>\n");
  }
  for (size_t p = 0; p < panels.size(); ++p) {
    RenderPanel(panels[p], options, width, panel_height,
                top + panel_height * static_cast<double>(p), out);
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace cellfit::client::cli
