// Charts of the sales report (REP-10): one figure over the range's buckets,
// optionally with the comparison range as a second, dashed line; drawn by
// libs/render.
#include "absl/strings/str_cat.h"
#include "libs/core/download.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "libs/render/chart.h"
#include "services/reporting/app/reporting_app.h"

namespace store::reporting {
namespace {

struct Metric {
  const char* name;
  const char* title;
  bool money;
  int64_t (*value)(const v1::SalesFigures&);
};

constexpr Metric kMetrics[] = {
    {"net_sales", "Net sales", true,
     [](const v1::SalesFigures& f) { return f.net_sales().amount_minor(); }},
    {"gross_sales", "Gross sales", true,
     [](const v1::SalesFigures& f) { return f.gross_sales().amount_minor(); }},
    {"total_sales", "Total sales", true,
     [](const v1::SalesFigures& f) { return f.total_sales().amount_minor(); }},
    {"discounts", "Discounts", true,
     [](const v1::SalesFigures& f) { return f.discounts().amount_minor(); }},
    {"returns", "Returns", true,
     [](const v1::SalesFigures& f) { return f.returns().amount_minor(); }},
    {"shipping", "Shipping", true,
     [](const v1::SalesFigures& f) { return f.shipping().amount_minor(); }},
    {"taxes", "Taxes", true, [](const v1::SalesFigures& f) { return f.taxes().amount_minor(); }},
    {"average_order_value", "Average order value", true,
     [](const v1::SalesFigures& f) { return f.average_order_value().amount_minor(); }},
    {"orders", "Orders", false, [](const v1::SalesFigures& f) { return f.orders(); }},
    {"units", "Units sold", false, [](const v1::SalesFigures& f) { return f.units(); }},
};

}  // namespace

absl::Status ReportingApp::RenderChart(const v1::RenderReportChartRequest& req, Download* download,
                                       const Sink& sink) {
  const std::string name = req.metric().empty() ? "net_sales" : req.metric();
  const Metric* metric = nullptr;
  std::string allowed;
  for (const Metric& m : kMetrics) {
    if (name == m.name) metric = &m;
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", m.name);
  }
  if (metric == nullptr) return InvalidField("metric", absl::StrCat("must be one of ", allowed));
  if (req.format() != v1::CHART_FORMAT_UNSPECIFIED && req.format() != v1::CHART_FORMAT_SVG &&
      req.format() != v1::CHART_FORMAT_PNG) {
    return InvalidField("format", "must be CHART_FORMAT_SVG or CHART_FORMAT_PNG");
  }
  v1::GetSalesReportRequest sales;
  *sales.mutable_range() = req.range();
  sales.set_comparison(req.comparison());
  sales.set_currency_code(req.currency_code());
  absl::StatusOr<v1::SalesReport> report = Sales(sales);
  if (!report.ok()) return report.status();

  render::LineChart chart;
  const std::string& currency = report->currency_code();
  chart.title = absl::StrCat(metric->title, metric->money ? absl::StrCat(" (", currency, ")") : "",
                             ", ", report->range().start_date(), " – ", report->range().end_date());
  render::ChartSeries current{"This period", {}, false};
  for (const v1::SalesBucket& b : report->buckets()) {
    chart.labels.push_back(b.bucket().start_date());
    current.values.push_back(metric->value(b.figures()));
  }
  chart.series.push_back(std::move(current));
  if (report->comparison_buckets_size() > 0) {
    render::ChartSeries compared{
        req.comparison() == v1::COMPARISON_PREVIOUS_YEAR ? "Last year" : "Previous period",
        {},
        true};
    for (const v1::SalesBucket& b : report->comparison_buckets()) {
      compared.values.push_back(metric->value(b.figures()));
    }
    chart.series.push_back(std::move(compared));
  }
  if (metric->money) {
    chart.format_value = [currency](int64_t v) { return FormatDecimal(v, currency); };
  }
  chart.width = req.width() == 0 ? 800 : req.width();
  chart.height = req.height() == 0 ? 400 : req.height();
  const bool png = req.format() == v1::CHART_FORMAT_PNG;
  chart.format = png ? render::ChartFormat::kPng : render::ChartFormat::kSvg;
  absl::StatusOr<std::string> bytes = render::RenderLineChart(chart);
  // A bad size is INVALID_ARGUMENT "width: must be ...", naming the field.
  if (!bytes.ok()) return bytes.status();
  *download = {png ? "image/png" : "image/svg+xml",
               absl::StrCat(name, "-", report->range().start_date(), "-",
                            report->range().end_date(), png ? ".png" : ".svg")};
  return SendInChunks(*bytes, sink);
}

}  // namespace store::reporting
