// Every report as CSV (REP-06): RFC 4180 (libs/core/csv.h), money as a
// decimal string in the currency's digits with a currency column, streamed
// in chunks of about 64 KiB. The rows are the report's own, so a CSV
// always agrees with the JSON of the same request.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/csv.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "services/reporting/app/reporting_app.h"

namespace store::reporting {
namespace {

constexpr char kCsvType[] = "text/csv; charset=utf-8";

std::string Amount(const common::v1::Money& m) {
  return FormatDecimal(m.amount_minor(), m.currency_code());
}

std::string Time(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

std::string FileName(absl::string_view report, const v1::ReportRange& range) {
  return absl::StrCat(report, "-", range.start_date(), "-", range.end_date(), ".csv");
}

std::vector<std::string> SalesFields(const std::string& series, const std::string& bucket,
                                     const v1::SalesFigures& f, const std::string& currency) {
  return {series,
          bucket,
          absl::StrCat(f.orders()),
          absl::StrCat(f.units()),
          Amount(f.gross_sales()),
          Amount(f.discounts()),
          Amount(f.returns()),
          Amount(f.net_sales()),
          Amount(f.shipping()),
          Amount(f.taxes()),
          Amount(f.total_sales()),
          Amount(f.average_order_value()),
          currency};
}

}  // namespace

absl::Status ReportingApp::ExportSales(const v1::GetSalesReportRequest& req, Download* download,
                                       const Sink& sink) {
  absl::StatusOr<v1::SalesReport> report = Sales(req);
  if (!report.ok()) return report.status();
  *download = {kCsvType, FileName("sales", report->range())};
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row({"series", "bucket_start", "orders", "units", "gross_sales",
                                 "discounts", "returns", "net_sales", "shipping", "taxes",
                                 "total_sales", "average_order_value", "currency"}));
  const std::string& cur = report->currency_code();
  for (const v1::SalesBucket& b : report->buckets()) {
    STORE_RETURN_IF_ERROR(csv.Row(SalesFields("range", b.bucket().start_date(), b.figures(), cur)));
  }
  STORE_RETURN_IF_ERROR(csv.Row(SalesFields("range", "total", report->totals(), cur)));
  for (const v1::SalesBucket& b : report->comparison_buckets()) {
    STORE_RETURN_IF_ERROR(
        csv.Row(SalesFields("comparison", b.bucket().start_date(), b.figures(), cur)));
  }
  if (report->has_comparison_totals()) {
    STORE_RETURN_IF_ERROR(
        csv.Row(SalesFields("comparison", "total", report->comparison_totals(), cur)));
  }
  return csv.Flush();
}

absl::Status ReportingApp::ExportProducts(const v1::GetProductsReportRequest& req,
                                          Download* download, const Sink& sink) {
  absl::StatusOr<v1::ProductsReport> report = Products(req, /*all=*/true);
  if (!report.ok()) return report.status();
  *download = {kCsvType, FileName("products", report->range())};
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row({"sku", "name", "units_sold", "units_refunded", "gross_sales",
                                 "discounts", "returns", "net_sales", "orders", "currency"}));
  for (const v1::ProductRow& p : report->products()) {
    STORE_RETURN_IF_ERROR(
        csv.Row({p.sku(), p.name(), absl::StrCat(p.units_sold()), absl::StrCat(p.units_refunded()),
                 Amount(p.gross_sales()), Amount(p.discounts()), Amount(p.returns()),
                 Amount(p.net_sales()), absl::StrCat(p.orders()), report->currency_code()}));
  }
  return csv.Flush();
}

absl::Status ReportingApp::ExportCustomers(const v1::GetCustomersReportRequest& req,
                                           Download* download, const Sink& sink) {
  absl::StatusOr<v1::CustomersReport> report = Customers(req);
  if (!report.ok()) return report.status();
  *download = {kCsvType, FileName("customers", report->range())};
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row({"bucket_start", "new_customers", "returning_customers",
                                 "new_customer_orders", "returning_customer_orders",
                                 "new_customer_sales", "returning_customer_sales", "currency"}));
  for (const v1::CustomerPeriod& p : report->periods()) {
    STORE_RETURN_IF_ERROR(
        csv.Row({p.bucket().start_date(), absl::StrCat(p.new_customers()),
                 absl::StrCat(p.returning_customers()), absl::StrCat(p.new_customer_orders()),
                 absl::StrCat(p.returning_customer_orders()), Amount(p.new_customer_sales()),
                 Amount(p.returning_customer_sales()), report->currency_code()}));
  }
  return csv.Flush();
}

absl::Status ReportingApp::ExportPayments(const v1::GetPaymentsReportRequest& req,
                                          Download* download, const Sink& sink) {
  absl::StatusOr<v1::PaymentsReport> report = Payments(req);
  if (!report.ok()) return report.status();
  *download = {kCsvType, FileName("payments", report->range())};
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row(
      {"bucket_start", "kind", "payment_method", "outcome", "count", "amount", "currency"}));
  for (const v1::PaymentRow& p : report->payments()) {
    STORE_RETURN_IF_ERROR(
        csv.Row({p.bucket().start_date(), "payment", p.payment_method(), p.outcome(),
                 absl::StrCat(p.payments()), Amount(p.amount()), report->currency_code()}));
  }
  for (const v1::RefundBucket& r : report->refunds()) {
    if (r.refunds() == 0) continue;
    STORE_RETURN_IF_ERROR(
        csv.Row({r.bucket().start_date(), "refund", "", "", absl::StrCat(r.refunds()),
                 Amount(r.amount()), report->currency_code()}));
  }
  return csv.Flush();
}

absl::Status ReportingApp::ExportNewsletter(const v1::GetNewsletterReportRequest& req,
                                            Download* download, const Sink& sink) {
  absl::StatusOr<v1::NewsletterReport> report = Newsletter(req);
  if (!report.ok()) return report.status();
  *download = {kCsvType, FileName("newsletter", report->range())};
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row({"campaign_id", "name", "sent_time", "recipients", "sent",
                                 "delivered", "bounced", "opened", "clicked", "unsubscribed",
                                 "converted", "conversion_revenue", "currency"}));
  for (const v1::CampaignRow& c : report->campaigns()) {
    STORE_RETURN_IF_ERROR(
        csv.Row({c.campaign_id(), c.name(), Time(c.sent_time()), absl::StrCat(c.recipients()),
                 absl::StrCat(c.sent()), absl::StrCat(c.delivered()), absl::StrCat(c.bounced()),
                 absl::StrCat(c.opened()), absl::StrCat(c.clicked()),
                 absl::StrCat(c.unsubscribed()), absl::StrCat(c.converted()),
                 Amount(c.conversion_revenue()), c.conversion_revenue().currency_code()}));
  }
  return csv.Flush();
}

absl::Status ReportingApp::ExportCohorts(const v1::GetCohortsReportRequest& req, Download* download,
                                         const Sink& sink) {
  absl::StatusOr<v1::CohortsReport> report = Cohorts(req);
  if (!report.ok()) return report.status();
  *download = {kCsvType, FileName("cohorts", report->range())};
  CsvStream csv(sink);
  STORE_RETURN_IF_ERROR(csv.Row({"cohort_month", "customers", "month_offset", "active_customers",
                                 "orders", "net_sales", "lifetime_value", "currency"}));
  for (const v1::Cohort& c : report->cohorts()) {
    for (const v1::CohortMonth& m : c.months()) {
      STORE_RETURN_IF_ERROR(
          csv.Row({c.cohort_month(), absl::StrCat(c.customers()), absl::StrCat(m.month_offset()),
                   absl::StrCat(m.active_customers()), absl::StrCat(m.orders()),
                   Amount(m.net_sales()), Amount(c.lifetime_value()), report->currency_code()}));
    }
  }
  return csv.Flush();
}

}  // namespace store::reporting
