// Line charts of time series (report charts, REP-10) as SVG or PNG, drawn
// with Cairo and Pango (canvas.h). Same input, same bytes.
#ifndef STORE_LIBS_RENDER_CHART_H_
#define STORE_LIBS_RENDER_CHART_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace store::render {

struct ChartSeries {
  std::string name;
  // One value per label; a series shorter than the labels stops early.
  std::vector<int64_t> values;
  // Drawn dashed and muted (a comparison).
  bool secondary = false;
};

enum class ChartFormat { kSvg, kPng };

struct LineChart {
  std::string title;
  // The x axis: one label per point ("2026-03-01").
  std::vector<std::string> labels;
  std::vector<ChartSeries> series;
  // How a value is written on the y axis ("12.50", "3").
  std::function<std::string(int64_t)> format_value;
  int width = 800;
  int height = 400;
  ChartFormat format = ChartFormat::kSvg;
};

// The chart's file; INVALID_ARGUMENT for a size outside 200..4000 pixels.
absl::StatusOr<std::string> RenderLineChart(const LineChart& chart);

}  // namespace store::render

#endif  // STORE_LIBS_RENDER_CHART_H_
