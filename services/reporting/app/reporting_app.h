// Use cases of the reporting service: the event handlers that keep the read
// models (app/event_handlers.cc), and the reports read from them
// (app/reports.cc), their CSV (app/report_csv.cc) and charts. Reports are
// computed on demand in one read-only transaction each.
#ifndef STORE_SERVICES_REPORTING_APP_REPORTING_APP_H_
#define STORE_SERVICES_REPORTING_APP_REPORTING_APP_H_

#include <functional>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/reporting/domain/report_range.h"
#include "services/reporting/domain/sales_rules.h"
#include "store/common/v1/event.pb.h"
#include "store/reporting/v1/reporting_service.pb.h"

namespace store::reporting {

inline constexpr char kOrdersConsumer[] = "reporting-orders";
inline constexpr char kCustomersConsumer[] = "reporting-customers";
inline constexpr char kCampaignsConsumer[] = "reporting-campaigns";
// The periodic job that drives a rebuild (app/rebuild.h).
inline constexpr char kRebuildJob[] = "report-rebuild";

// The settings (README "Configuration").
struct ReportingOptions {
  // STORE_CURRENCY: the currency reports are in unless a request names
  // another.
  std::string store_currency = "USD";
  // STORE_TIME_ZONE: IANA name; buckets are cut in it.
  std::string time_zone = "UTC";
  absl::TimeZone zone = absl::UTCTimeZone();
  // REPORTING_COUNT_FROM.
  CountFrom count_from = CountFrom::kPlaced;
};

// A streamed download (CSV, chart).
struct Download {
  std::string content_type;
  std::string file_name;
};
// Receives a download in chunks; returns false to stop (client gone).
using Sink = std::function<bool(const std::string&)>;

class ReportingApp {
 public:
  ReportingApp(pg::Pool& pool, ReportingOptions options)
      : pool_(pool), options_(std::move(options)) {}

  // Brings counted_at in line with the configured REPORTING_COUNT_FROM
  // (one UPDATE when it changed since the last start).
  absl::Status Init();

  // Consumer handlers (event_handlers.cc).
  absl::Status HandleOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);
  // The same, keeping report_days in step or (keep_days false: a rebuild's
  // replay, which recomputes them once at the end) not.
  absl::Status ApplyOrderEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope,
                               bool keep_days);
  absl::Status HandleCustomerEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);
  absl::Status HandleCampaignEvent(pqxx::work& tx, const common::v1::EventEnvelope& envelope);

  // Reports (reports.cc).
  absl::StatusOr<v1::SalesReport> Sales(const v1::GetSalesReportRequest& request);
  absl::StatusOr<v1::ProductsReport> Products(const v1::GetProductsReportRequest& request,
                                              bool all = false);
  absl::StatusOr<v1::CustomersReport> Customers(const v1::GetCustomersReportRequest& request);
  absl::StatusOr<v1::PaymentsReport> Payments(const v1::GetPaymentsReportRequest& request);
  absl::StatusOr<v1::NewsletterReport> Newsletter(const v1::GetNewsletterReportRequest& request);
  absl::StatusOr<v1::CohortsReport> Cohorts(const v1::GetCohortsReportRequest& request);
  absl::StatusOr<v1::ListReportOrdersResponse> ListOrders(
      const v1::ListReportOrdersRequest& request);

  // CSV exports (report_csv.cc): the header goes to `download` before the
  // first chunk reaches `sink`.
  absl::Status ExportSales(const v1::GetSalesReportRequest& request, Download* download,
                           const Sink& sink);
  absl::Status ExportProducts(const v1::GetProductsReportRequest& request, Download* download,
                              const Sink& sink);
  absl::Status ExportCustomers(const v1::GetCustomersReportRequest& request, Download* download,
                               const Sink& sink);
  absl::Status ExportPayments(const v1::GetPaymentsReportRequest& request, Download* download,
                              const Sink& sink);
  absl::Status ExportNewsletter(const v1::GetNewsletterReportRequest& request, Download* download,
                                const Sink& sink);
  absl::Status ExportCohorts(const v1::GetCohortsReportRequest& request, Download* download,
                             const Sink& sink);

  // A chart of a sales figure over the range (report_chart.cc).
  absl::Status RenderChart(const v1::RenderReportChartRequest& request, Download* download,
                           const Sink& sink);

  const ReportingOptions& options() const { return options_; }

 private:
  pg::Pool& pool_;
  ReportingOptions options_;
};

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_APP_REPORTING_APP_H_
