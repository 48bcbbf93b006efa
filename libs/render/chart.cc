#include "libs/render/chart.h"

#include <cairo-svg.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/render/canvas.h"

namespace store::render {
namespace {

constexpr Rgb kPrimary{0.16, 0.38, 0.71};
constexpr Rgb kSecondary{0.60, 0.60, 0.60};
constexpr Rgb kGrid{0.90, 0.90, 0.90};
constexpr int kMinSize = 200;
constexpr int kMaxSize = 4000;
constexpr int kGridLines = 4;

// A round step (1, 2 or 5 × 10^n) so that kGridLines steps cover `span`.
int64_t NiceStep(int64_t span) {
  const double raw = std::max<double>(1.0, static_cast<double>(span) / kGridLines);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return static_cast<int64_t>(m * magnitude);
  }
  return static_cast<int64_t>(10 * magnitude);
}

void Draw(cairo_t* cr, const LineChart& chart) {
  const double w = chart.width;
  const double h = chart.height;
  ContextPtr text = TextContext(cr);
  auto format = [&](int64_t v) {
    return chart.format_value ? chart.format_value(v) : absl::StrCat(v);
  };
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // Title and legend.
  LayoutPtr title = TextLayout(text.get(), chart.title, {.size = 14, .bold = true}, w - 20);
  ShowLayout(cr, title.get(), kInk, 10, 8);
  double legend_x = 10;
  const double legend_y = 12 + LayoutHeight(title.get());
  for (const ChartSeries& s : chart.series) {
    const Rgb color = s.secondary ? kSecondary : kPrimary;
    cairo_set_source_rgb(cr, color.r, color.g, color.b);
    cairo_rectangle(cr, legend_x, legend_y + 4, 10, 10);
    cairo_fill(cr);
    LayoutPtr name = TextLayout(text.get(), s.name, {.size = 11, .color = kMuted}, w / 2);
    ShowLayout(cr, name.get(), kMuted, legend_x + 14, legend_y);
    legend_x += 24 + LayoutWidth(name.get());
  }

  // The value axis: from min(0, lowest) to the highest, in round steps.
  int64_t lo = 0, hi = 0;
  for (const ChartSeries& s : chart.series) {
    for (int64_t v : s.values) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  const int64_t step = NiceStep(hi - lo);
  lo = static_cast<int64_t>(std::floor(static_cast<double>(lo) / step)) * step;
  hi = std::max(lo + step, static_cast<int64_t>(std::ceil(static_cast<double>(hi) / step)) * step);

  double axis_width = 0;
  std::vector<LayoutPtr> ticks;
  for (int64_t v = lo; v <= hi; v += step) {
    ticks.push_back(TextLayout(text.get(), format(v), {.size = 10, .color = kMuted}, w / 3));
    axis_width = std::max(axis_width, LayoutWidth(ticks.back().get()));
  }
  const double left = 16 + axis_width;
  const double right = w - 16;
  const double top = legend_y + 28;
  const double bottom = h - 28;
  auto y_of = [&](int64_t v) {
    return bottom - (bottom - top) * static_cast<double>(v - lo) / static_cast<double>(hi - lo);
  };
  const size_t points = chart.labels.size();
  auto x_of = [&](size_t i) {
    return points <= 1 ? (left + right) / 2
                       : left + (right - left) * static_cast<double>(i) / (points - 1);
  };

  cairo_set_line_width(cr, 1);
  size_t tick = 0;
  for (int64_t v = lo; v <= hi; v += step, ++tick) {
    const double y = std::round(y_of(v)) + 0.5;
    cairo_set_source_rgb(cr, kGrid.r, kGrid.g, kGrid.b);
    cairo_move_to(cr, left, y);
    cairo_line_to(cr, right, y);
    cairo_stroke(cr);
    PangoLayout* label = ticks[tick].get();
    ShowLayout(cr, label, kMuted, left - 6 - LayoutWidth(label), y - LayoutHeight(label) / 2);
  }

  // At most about eight labels under the axis, evenly spaced.
  const size_t every = std::max<size_t>(1, (points + 7) / 8);
  for (size_t i = 0; i < points; i += every) {
    LayoutPtr label = TextLayout(text.get(), chart.labels[i], {.size = 10, .color = kMuted}, 120);
    const double lw = LayoutWidth(label.get());
    const double x = std::clamp(x_of(i) - lw / 2, 0.0, w - lw);
    ShowLayout(cr, label.get(), kMuted, x, bottom + 6);
  }

  // Secondary series first, so the primary one is drawn on top.
  for (bool secondary : {true, false}) {
    for (const ChartSeries& s : chart.series) {
      if (s.secondary != secondary || s.values.empty()) continue;
      const Rgb color = secondary ? kSecondary : kPrimary;
      cairo_set_source_rgb(cr, color.r, color.g, color.b);
      cairo_set_line_width(cr, secondary ? 1.5 : 2.5);
      const double dash[] = {6, 4};
      cairo_set_dash(cr, dash, secondary ? 2 : 0, 0);
      const size_t n = std::min(points, s.values.size());
      for (size_t i = 0; i < n; ++i) {
        if (i == 0) {
          cairo_move_to(cr, x_of(i), y_of(s.values[i]));
        } else {
          cairo_line_to(cr, x_of(i), y_of(s.values[i]));
        }
      }
      if (n == 1) cairo_arc(cr, x_of(0), y_of(s.values[0]), 3, 0, 2 * M_PI);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    }
  }
}

}  // namespace

absl::StatusOr<std::string> RenderLineChart(const LineChart& chart) {
  if (chart.width < kMinSize || chart.width > kMaxSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("width: must be ", kMinSize, "..", kMaxSize, " pixels"));
  }
  if (chart.height < kMinSize || chart.height > kMaxSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("height: must be ", kMinSize, "..", kMaxSize, " pixels"));
  }
  std::string out;
  SurfacePtr surface(
      chart.format == ChartFormat::kSvg
          ? cairo_svg_surface_create_for_stream(&AppendToString, &out, chart.width, chart.height)
          : cairo_image_surface_create(CAIRO_FORMAT_RGB24, chart.width, chart.height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError("rendering a chart", cairo_surface_status(surface.get()));
  }
  if (chart.format == ChartFormat::kSvg) {
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
  }
  {
    CairoPtr cr(cairo_create(surface.get()));
    Draw(cr.get(), chart);
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      return CairoError("rendering a chart", cairo_status(cr.get()));
    }
  }
  if (chart.format == ChartFormat::kPng) {
    cairo_surface_flush(surface.get());
    const cairo_status_t s =
        cairo_surface_write_to_png_stream(surface.get(), &AppendToString, &out);
    if (s != CAIRO_STATUS_SUCCESS) return CairoError("writing a chart PNG", s);
  }
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError("rendering a chart", cairo_surface_status(surface.get()));
  }
  surface.reset();
  if (chart.format == ChartFormat::kSvg) {
    // Cairo numbers its surfaces process-wide ("surface6"): name ours the
    // same every time, so the same chart is the same file.
    const size_t at = out.find("<g id=\"surface");
    if (at != std::string::npos) {
      const size_t end = out.find('"', at + 7);
      if (end != std::string::npos) out.replace(at, end - at + 1, "<g id=\"chart\"");
    }
  }
  return out;
}

}  // namespace store::render
