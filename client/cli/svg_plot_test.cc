#include "client/cli/svg_plot.h"

#include <cmath>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::client::cli {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// The texts of all <text class="tick-label" ...>VALUE</text> elements.
std::vector<std::string> TickLabels(const std::string& svg) {
  std::vector<std::string> labels;
  std::regex tick(R"(<text class="tick-label"[^>]*>([^<]*)</text>)");
  for (std::sregex_iterator it(svg.begin(), svg.end(), tick), end; it != end;
       ++it) {
    labels.push_back((*it)[1]);
  }
  return labels;
}

// The `points` attributes of all polylines (found by hand: std::regex
// recurses per character and overflows the stack on long attributes).
std::vector<std::string> Polylines(const std::string& svg) {
  std::vector<std::string> lines;
  const std::string start = "<polyline points=\"";
  for (size_t at = svg.find(start); at != std::string::npos;
       at = svg.find(start, at + 1)) {
    size_t begin = at + start.size();
    lines.push_back(svg.substr(begin, svg.find('"', begin) - begin));
  }
  return lines;
}

// The (x, y) of each point of a `points` attribute.
std::vector<std::pair<double, double>> Points(const std::string& points) {
  std::vector<std::pair<double, double>> result;
  std::istringstream in(points);
  std::string xy;
  while (in >> xy) {
    size_t comma = xy.find(',');
    result.emplace_back(std::stod(xy.substr(0, comma)),
                        std::stod(xy.substr(comma + 1)));
  }
  return result;
}

size_t PointCount(const std::string& points) {
  return points.empty() ? 0 : Count(points, " ") + 1;
}

// Well-formed enough: one <svg> root, balanced <g>, no stray special
// characters in text.
void ExpectWellFormed(const std::string& svg) {
  ASSERT_EQ(svg.rfind("<svg ", 0), 0u) << svg.substr(0, 80);
  std::string end = svg.substr(svg.find_last_not_of(" \n") - 5, 6);
  EXPECT_EQ(end, "</svg>");
  EXPECT_EQ(Count(svg, "<svg"), 1u);
  EXPECT_EQ(Count(svg, "<g ") + Count(svg, "<g>"), Count(svg, "</g>"));
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));
  // Every '&' starts an entity.
  std::regex bare_amp(R"(&(?!(amp|lt|gt|quot|apos);))");
  EXPECT_FALSE(std::regex_search(svg, bare_amp));
  // Every '<' starts a tag; every '>' ends one.
  int depth = 0;
  for (char c : svg) {
    if (c == '<') ++depth;
    if (c == '>') --depth;
    ASSERT_GE(depth, 0);
    ASSERT_LE(depth, 1);
  }
  EXPECT_EQ(depth, 0);
}

std::vector<double> Ramp(double from, double to, size_t n) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = from + (to - from) * static_cast<double>(i) / (n - 1);
  }
  return v;
}

TEST(SvgPlotTest, OneGroupPerPanelWithTitlesLabelsAndLegend) {
  PlotOptions options;
  options.dt = 0.1;
  options.y_label = "v (mV)";
  options.title = "fit 3";
  std::vector<PlotPanel> panels(3);
  for (int p = 0; p < 3; ++p) {
    panels[p].title = "trace " + std::to_string(p);
    panels[p].series = {{"target", Ramp(-80, 40, 500), false},
                        {"fitted", Ramp(-70, 30, 500), true}};
  }
  std::string svg = RenderSvgPlot(panels, options);
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "<g class=\"panel\""), 3u);
  EXPECT_THAT(svg, HasSubstr(">trace 0</text>"));
  EXPECT_THAT(svg, HasSubstr(">trace 2</text>"));
  EXPECT_THAT(svg, HasSubstr(">fit 3</text>"));
  EXPECT_EQ(Count(svg, ">t (ms)</text>"), 3u);
  EXPECT_EQ(Count(svg, ">v (mV)</text>"), 3u);
  EXPECT_EQ(Count(svg, ">target</text>"), 3u);  // legends
  EXPECT_EQ(Count(svg, ">fitted</text>"), 3u);
  EXPECT_EQ(Count(svg, "<polyline"), 6u);
  // Dashed fitted line (and its legend sample), dark target.
  EXPECT_EQ(Count(svg, "stroke-dasharray"), 6u);
  EXPECT_THAT(svg, HasSubstr("stroke=\"#222222\""));
  // Panels are stacked: increasing offsets.
  EXPECT_THAT(svg, HasSubstr("translate(0,30)"));
  EXPECT_THAT(svg, HasSubstr("translate(0,250)"));
  EXPECT_THAT(svg, HasSubstr("translate(0,470)"));
  EXPECT_THAT(svg, HasSubstr("height=\"690\""));
}

TEST(SvgPlotTest, NiceTicks) {
  PlotOptions options;
  options.dt = 0.1;  // 500 samples: t in [0, 49.9]
  std::vector<PlotPanel> panels(1);
  panels[0].series = {{"target", Ramp(-80, 40, 500), false}};
  std::vector<std::string> labels = TickLabels(RenderSvgPlot(panels, options));
  for (const char* value : {"-80", "-40", "0", "40", "10", "20", "30"}) {
    EXPECT_THAT(labels, Contains(value));
  }
  for (const std::string& label : labels) {
    // Multiples of a step of 1, 2 or 5 times a power of ten: here 20 for v
    // and 5 for t.
    EXPECT_THAT(label, Not(HasSubstr("."))) << label;
    double value = std::stod(label);
    EXPECT_EQ(std::fmod(value, 5), 0) << label;
  }

  panels[0].series = {{"target", Ramp(0.001, 0.0042, 100), false}};
  labels = TickLabels(RenderSvgPlot(panels, options));
  EXPECT_THAT(labels, Contains("0.0020"));
  EXPECT_THAT(labels, Contains("0.0040"));
}

TEST(SvgPlotTest, LongSeriesAreReducedPerPixelColumn) {
  PlotOptions options;
  options.width = 900;
  std::vector<double> values(1000000);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = std::sin(static_cast<double>(i) * 0.01);
  }
  values[123457] = 50;  // a spike must survive
  std::vector<PlotPanel> panels(1);
  panels[0].series = {{"target", values, false}};
  std::string svg = RenderSvgPlot(panels, options);
  ExpectWellFormed(svg);
  std::vector<std::string> lines = Polylines(svg);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LE(PointCount(lines[0]), 2u * options.width);
  EXPECT_GE(PointCount(lines[0]), 100u);
  EXPECT_LT(svg.size(), 100000u);
  // The spike is the top of the data: its y is the smallest, near the top
  // of the frame (y = 26).
  double min_y = 1e9;
  for (const auto& [x, y] : Points(lines[0])) min_y = std::min(min_y, y);
  EXPECT_LT(min_y, 40);
}

TEST(SvgPlotTest, CoordinatesAreRoundedToATenthOfAPixel) {
  std::vector<PlotPanel> panels(1);
  panels[0].series = {{"target", Ramp(0, 1.2345678, 77), false}};
  std::string svg = RenderSvgPlot(panels, PlotOptions());
  std::vector<std::string> lines = Polylines(svg);
  ASSERT_EQ(lines.size(), 1u);
  for (const auto& [x, y] : Points(lines[0])) {
    EXPECT_DOUBLE_EQ(x, std::round(x * 10) / 10);
    EXPECT_DOUBLE_EQ(y, std::round(y * 10) / 10);
  }
  EXPECT_THAT(lines[0], Not(testing::ContainsRegex("\\.[0-9][0-9]")));
  EXPECT_EQ(PointCount(lines[0]), 77u);
}

TEST(SvgPlotTest, EscapesText) {
  PlotOptions options;
  options.title = "a<b & \"c\"";
  options.y_label = "I > 0";
  std::vector<PlotPanel> panels(1);
  panels[0].title = "<&trace>";
  panels[0].series = {{"fit <&>", {1, 2, 3}, false}};
  std::string svg = RenderSvgPlot(panels, options);
  ExpectWellFormed(svg);
  EXPECT_THAT(svg, HasSubstr("a&lt;b &amp; &quot;c&quot;"));
  EXPECT_THAT(svg, HasSubstr("&lt;&amp;trace&gt;"));
  EXPECT_THAT(svg, HasSubstr("fit &lt;&amp;&gt;"));
  EXPECT_THAT(svg, HasSubstr("I &gt; 0"));
  EXPECT_THAT(svg, Not(HasSubstr("<&")));
}

TEST(SvgPlotTest, NonFiniteValuesSplitLines) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<PlotPanel> panels(1);
  panels[0].series = {
      {"target", {1, 2, 3, nan, 4, 5, inf, -inf, 6, 7, 8, nan}, false}};
  std::string svg = RenderSvgPlot(panels, PlotOptions());
  ExpectWellFormed(svg);
  std::vector<std::string> lines = Polylines(svg);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(PointCount(lines[0]), 3u);
  EXPECT_EQ(PointCount(lines[1]), 2u);
  EXPECT_EQ(PointCount(lines[2]), 3u);
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));

  // Also in a decimated series.
  std::vector<double> values(100000, 1.0);
  values[50000] = nan;
  values[1000] = 2;
  panels[0].series = {{"target", values, false}};
  lines = Polylines(RenderSvgPlot(panels, PlotOptions()));
  EXPECT_EQ(lines.size(), 2u);
}

TEST(SvgPlotTest, ConstantEmptyAndAllNanSeriesDoNotBreak) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<PlotPanel> panels(5);
  panels[0].series = {{"target", std::vector<double>(100, -65.0), false}};
  panels[1].series = {{"target", std::vector<double>(100, 0.0), false}};
  panels[2].series = {{"target", {}, false}};
  panels[3].series = {{"target", {nan, nan}, false}, {"fitted", {7}, false}};
  // panels[4] has no series at all.
  std::string svg = RenderSvgPlot(panels, PlotOptions());
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "<g class=\"panel\""), 5u);
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
  std::vector<std::string> lines = Polylines(svg);
  // Two constant lines and a lone point (drawn as a zero-length line).
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(PointCount(lines[2]), 2u);
  // Constant lines are centred vertically in the frame (26 + 154 / 2).
  for (int i = 0; i < 2; ++i) {
    for (const auto& [x, y] : Points(lines[i])) EXPECT_EQ(y, 103) << i;
  }

  EXPECT_EQ(RenderSvgPlot({}, PlotOptions()).rfind("<svg ", 0), 0u);
  ExpectWellFormed(RenderSvgPlot({}, PlotOptions()));
}

TEST(SvgPlotTest, DistinctColoursForNonTargetSeries) {
  std::vector<PlotPanel> panels(1);
  panels[0].series = {{"target", {1, 2}, false},
                      {"fitted 1", {1, 3}, false},
                      {"fitted 2", {1, 4}, false},
                      {"fitted 3", {1, 5}, false}};
  std::string svg = RenderSvgPlot(panels, PlotOptions());
  std::regex colour(R"re(<g class="series"[^>]*stroke="(#[0-9a-f]{6})")re");
  std::vector<std::string> colours;
  for (std::sregex_iterator it(svg.begin(), svg.end(), colour), end; it != end;
       ++it) {
    colours.push_back((*it)[1]);
  }
  ASSERT_EQ(colours.size(), 4u);
  EXPECT_EQ(colours[0], "#222222");
  EXPECT_NE(colours[1], colours[2]);
  EXPECT_NE(colours[2], colours[3]);
  EXPECT_NE(colours[1], colours[3]);
  EXPECT_NE(colours[1], colours[0]);
}

}  // namespace
}  // namespace cellfit::client::cli
