// `storectl reporting ...`: the reports (store.reporting.v1).
#include "tools/storectl/reporting_commands.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "libs/grpcx/server.h"
#include "store/reporting/v1/reporting_service.grpc.pb.h"

namespace store::cli {
namespace {

namespace v1 = store::reporting::v1;

constexpr char kReportingHelp[] =
    R"(storectl reporting: reports (store.reporting.v1.ReportingService)

usage: storectl [--json] reporting COMMAND [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                [--granularity day|week|month] [--currency CODE] [--addr HOST:PORT]

commands:
  sales       [--compare previous_period|previous_year]
              orders, gross, discounts, returns, net, shipping, taxes, total per bucket,
              then the totals and the breakdowns by status, payment and delivery method
  products    [--top N] [--sort net_sales|units_sold]
  customers   [--top N]       new and returning customers, top customers, by country/group
  payments                    payments by method and outcome, refunds
  newsletter                  the funnel of each campaign sent in the range
  cohorts                     customers by month of first order and what they bought after
  orders      [--figure counted|refunded] [--status S] [--payment-method M]
              [--delivery-method D] [--sku S] [--customer-id ID] [--page-size N] [--all]
              the orders behind a figure (drill-down)
  export      sales|products|customers|payments|newsletter|cohorts [--output FILE]
              the report as CSV (stdout without --output)
  chart       [--metric net_sales] [--format svg|png] [--compare ...] --output FILE
  rebuild     [--dry-run] [--no-wait]
              replay every topic from offset 0 into shadow tables, compare them with the
              live ones and swap them in (--dry-run: compare only); shows progress until done
  rebuild status [ID]         a rebuild's progress (default: the latest)

The range defaults to the last 30 days (the last 12 months with --granularity month),
in the store's time zone. Definitions of every figure: services/reporting/README.md.
The address comes from --addr, else REPORTING_SERVICE_ADDR (environment or .dev/env).
)";

const std::vector<std::string> kKnownFlags = {"addr",
                                              "from",
                                              "to",
                                              "granularity",
                                              "currency",
                                              "compare",
                                              "top",
                                              "sort",
                                              "figure",
                                              "status",
                                              "payment-method",
                                              "delivery-method",
                                              "sku",
                                              "customer-id",
                                              "page-size",
                                              "page-token",
                                              "all",
                                              "output",
                                              "metric",
                                              "format",
                                              "width",
                                              "height",
                                              "help",
                                              "dry-run",
                                              "no-wait"};

std::unique_ptr<v1::ReportingService::Stub> Stub(const Args& args) {
  std::string addr = args.Get("addr", Setting("REPORTING_SERVICE_ADDR"));
  if (addr.empty()) addr = "127.0.0.1:50055";
  return v1::ReportingService::NewStub(grpcx::MakeChannel(addr));
}

std::string Day(absl::CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

absl::StatusOr<v1::ReportRange> RangeOf(const Args& args) {
  v1::ReportRange r;
  const std::string granularity = args.Get("granularity", "day");
  r.set_granularity(FromLabel<v1::Granularity>(granularity));
  if (r.granularity() == v1::GRANULARITY_UNSPECIFIED) {
    return absl::InvalidArgumentError("--granularity must be day, week or month");
  }
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  const absl::CivilDay first = r.granularity() == v1::GRANULARITY_MONTH
                                   ? absl::CivilDay(absl::CivilMonth(today) - 11)
                                   : today - 29;
  r.set_start_date(args.Get("from", Day(first)));
  r.set_end_date(args.Get("to", Day(today)));
  return r;
}

absl::StatusOr<v1::Comparison> ComparisonOf(const Args& args) {
  if (!args.Has("compare")) return v1::COMPARISON_UNSPECIFIED;
  const auto c = FromLabel<v1::Comparison>(args.Get("compare"));
  if (c == v1::COMPARISON_UNSPECIFIED) {
    return absl::InvalidArgumentError("--compare must be previous_period or previous_year");
  }
  return c;
}

absl::StatusOr<int> IntFlag(const Args& args, const std::string& name) {
  int n = 0;
  if (args.Has(name) && !absl::SimpleAtoi(args.Get(name), &n)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be a number"));
  }
  return n;
}

void PrintFigures(const std::string& label, const v1::SalesFigures& f) {
  std::printf("%-22s %6lld %16s %14s %14s %16s %14s %14s %16s\n", label.c_str(),
              static_cast<long long>(f.orders()), Money(f.gross_sales()).c_str(),
              Money(f.discounts()).c_str(), Money(f.returns()).c_str(),
              Money(f.net_sales()).c_str(), Money(f.shipping()).c_str(), Money(f.taxes()).c_str(),
              Money(f.total_sales()).c_str());
}

void PrintSales(const v1::SalesReport& r) {
  std::printf("sales %s .. %s (%s, counted from %s)\n", r.range().start_date().c_str(),
              r.range().end_date().c_str(), r.time_zone().c_str(), r.counted_from().c_str());
  std::printf("%-22s %6s %16s %14s %14s %16s %14s %14s %16s\n", "bucket", "orders", "gross",
              "discounts", "returns", "net", "shipping", "taxes", "total");
  for (const auto& b : r.buckets()) PrintFigures(b.bucket().start_date(), b.figures());
  PrintFigures("total", r.totals());
  std::printf("average order value %s\n", Money(r.totals().average_order_value()).c_str());
  if (r.has_comparison_totals()) {
    std::printf("compared with %s .. %s\n", r.comparison_range().start_date().c_str(),
                r.comparison_range().end_date().c_str());
    PrintFigures("total", r.comparison_totals());
  }
  for (const auto& [title, rows] : {std::pair{"by status", &r.by_status()},
                                    std::pair{"by payment method", &r.by_payment_method()},
                                    std::pair{"by delivery method", &r.by_delivery_method()}}) {
    std::printf("%s:\n", title);
    for (const auto& row : *rows) PrintFigures(row.key(), row.figures());
  }
}

int Sales(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::GetSalesReportRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  auto comparison = ComparisonOf(args);
  if (!comparison.ok()) return Fail(comparison.status());
  *req.mutable_range() = *range;
  req.set_comparison(*comparison);
  req.set_currency_code(args.Get("currency"));
  v1::SalesReport r;
  grpc::Status s = stub.GetSalesReport(Context(g).get(), req, &r);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
  } else {
    PrintSales(r);
  }
  return 0;
}

int Products(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::GetProductsReportRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  auto top = IntFlag(args, "top");
  if (!top.ok()) return Fail(top.status());
  *req.mutable_range() = *range;
  req.set_top_n(*top);
  if (args.Has("sort")) {
    req.set_sort_by(FromLabel<v1::ProductSort>(args.Get("sort")));
    if (req.sort_by() == v1::PRODUCT_SORT_UNSPECIFIED) {
      return Fail(absl::InvalidArgumentError("--sort must be net_sales or units_sold"));
    }
  }
  req.set_currency_code(args.Get("currency"));
  v1::ProductsReport r;
  grpc::Status s = stub.GetProductsReport(Context(g).get(), req, &r);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
    return 0;
  }
  std::printf("%-20s %-28s %8s %8s %16s %16s %7s\n", "sku", "name", "sold", "refunded", "returns",
              "net", "orders");
  auto line = [](const v1::ProductRow& p) {
    std::printf("%-20s %-28.28s %8lld %8lld %16s %16s %7lld\n", p.sku().c_str(), p.name().c_str(),
                static_cast<long long>(p.units_sold()), static_cast<long long>(p.units_refunded()),
                Money(p.returns()).c_str(), Money(p.net_sales()).c_str(),
                static_cast<long long>(p.orders()));
  };
  for (const auto& p : r.products()) line(p);
  v1::ProductRow totals = r.totals();
  totals.set_sku(absl::StrCat("all ", r.total_products(), " skus"));
  line(totals);
  return 0;
}

int Customers(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::GetCustomersReportRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  auto top = IntFlag(args, "top");
  if (!top.ok()) return Fail(top.status());
  *req.mutable_range() = *range;
  req.set_top_n(*top);
  req.set_currency_code(args.Get("currency"));
  v1::CustomersReport r;
  grpc::Status s = stub.GetCustomersReport(Context(g).get(), req, &r);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
    return 0;
  }
  std::printf("%-12s %8s %10s %16s %16s\n", "bucket", "new", "returning", "new sales",
              "returning sales");
  for (const auto& p : r.periods()) {
    std::printf("%-12s %8lld %10lld %16s %16s\n", p.bucket().start_date().c_str(),
                static_cast<long long>(p.new_customers()),
                static_cast<long long>(p.returning_customers()),
                Money(p.new_customer_sales()).c_str(), Money(p.returning_customer_sales()).c_str());
  }
  std::printf("top customers:\n");
  for (const auto& t : r.top_customers()) {
    std::printf("  %-36s %6lld orders %16s  last #%lld\n",
                t.guest() ? "(guest)" : t.customer_id().c_str(), static_cast<long long>(t.orders()),
                Money(t.total_sales()).c_str(), static_cast<long long>(t.last_order_number()));
  }
  for (const auto& [title, rows] :
       {std::pair{"by country", &r.by_country()}, std::pair{"by group", &r.by_group()}}) {
    std::printf("%s:\n", title);
    for (const auto& row : *rows) {
      std::printf("  %-36s %6lld customers %6lld orders %16s\n",
                  row.key().empty() ? "-" : row.key().c_str(),
                  static_cast<long long>(row.customers()), static_cast<long long>(row.orders()),
                  Money(row.total_sales()).c_str());
    }
  }
  return 0;
}

int Payments(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::GetPaymentsReportRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  *req.mutable_range() = *range;
  req.set_currency_code(args.Get("currency"));
  v1::PaymentsReport r;
  grpc::Status s = stub.GetPaymentsReport(Context(g).get(), req, &r);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
    return 0;
  }
  std::printf("%-12s %-18s %-22s %8s %16s\n", "bucket", "method", "outcome", "count", "amount");
  for (const auto& p : r.payments()) {
    std::printf("%-12s %-18s %-22s %8lld %16s\n", p.bucket().start_date().c_str(),
                p.payment_method().c_str(), p.outcome().c_str(),
                static_cast<long long>(p.payments()), Money(p.amount()).c_str());
  }
  for (const auto& refund : r.refunds()) {
    if (refund.refunds() == 0) continue;
    std::printf("%-12s %-18s %-22s %8lld %16s\n", refund.bucket().start_date().c_str(), "refund",
                "", static_cast<long long>(refund.refunds()), Money(refund.amount()).c_str());
  }
  return 0;
}

int Newsletter(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::GetNewsletterReportRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  *req.mutable_range() = *range;
  v1::NewsletterReport r;
  grpc::Status s = stub.GetNewsletterReport(Context(g).get(), req, &r);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
    return 0;
  }
  std::printf("%-28s %-20s %7s %9s %7s %7s %7s %6s %9s %14s\n", "campaign", "sent", "mails",
              "delivered", "opened", "clicked", "unsub", "bounce", "converted", "revenue");
  for (const auto& c : r.campaigns()) {
    std::printf("%-28.28s %-20s %7lld %9lld %7lld %7lld %7lld %6lld %9lld %14s\n", c.name().c_str(),
                Time(c.sent_time()).c_str(), static_cast<long long>(c.sent()),
                static_cast<long long>(c.delivered()), static_cast<long long>(c.opened()),
                static_cast<long long>(c.clicked()), static_cast<long long>(c.unsubscribed()),
                static_cast<long long>(c.bounced()), static_cast<long long>(c.converted()),
                Money(c.conversion_revenue()).c_str());
  }
  return 0;
}

int Cohorts(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::GetCohortsReportRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  *req.mutable_range() = *range;
  req.set_currency_code(args.Get("currency"));
  v1::CohortsReport r;
  grpc::Status s = stub.GetCohortsReport(Context(g).get(), req, &r);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
    return 0;
  }
  std::printf("%-8s %9s %16s  active customers in month 0, 1, 2, ...\n", "cohort", "customers",
              "lifetime value");
  for (const auto& c : r.cohorts()) {
    std::string months;
    for (const auto& m : c.months()) absl::StrAppend(&months, " ", m.active_customers());
    std::printf("%-8s %9lld %16s %s\n", c.cohort_month().c_str(),
                static_cast<long long>(c.customers()), Money(c.lifetime_value()).c_str(),
                months.c_str());
  }
  return 0;
}

int Orders(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::ListReportOrdersRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  auto page_size = IntFlag(args, "page-size");
  if (!page_size.ok()) return Fail(page_size.status());
  *req.mutable_range() = *range;
  if (args.Has("figure")) {
    req.set_figure(FromLabel<v1::DrillDown>(args.Get("figure")));
    if (req.figure() == v1::DRILL_DOWN_UNSPECIFIED) {
      return Fail(absl::InvalidArgumentError("--figure must be counted or refunded"));
    }
  }
  req.set_status(args.Get("status"));
  req.set_payment_method(args.Get("payment-method"));
  req.set_delivery_method(args.Get("delivery-method"));
  req.set_sku(args.Get("sku"));
  req.set_customer_id(args.Get("customer-id"));
  req.set_currency_code(args.Get("currency"));
  req.set_page_size(*page_size);
  req.set_page_token(args.Get("page-token"));
  v1::ListReportOrdersResponse r;
  grpc::Status s = FetchPages(g, args.Has("all"), req, &r,
                              [&](grpc::ClientContext* ctx, const auto& rq, auto* out) {
                                return stub.ListReportOrders(ctx, rq, out);
                              });
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJson(r);
    return 0;
  }
  for (const auto& o : r.orders()) {
    std::printf("#%-8lld %-20s %-20s %14s %14s  %s\n", static_cast<long long>(o.number()),
                o.status().c_str(), Time(o.counted_time()).c_str(), Money(o.gross_sales()).c_str(),
                Money(o.returns()).c_str(), o.order_id().c_str());
  }
  std::printf("%d of %lld orders%s\n", r.orders_size(), static_cast<long long>(r.total_size()),
              r.next_page_token().empty() ? "" : " (more: --page-token or --all)");
  if (!r.next_page_token().empty())
    std::printf("next page token: %s\n", r.next_page_token().c_str());
  return 0;
}

int Export(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  const std::string report = args.Positional(1);
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  auto ctx = Context(g, 600);
  const std::string output = args.Get("output", "-");
  const std::string currency = args.Get("currency");
  if (report == "sales") {
    v1::GetSalesReportRequest req;
    auto comparison = ComparisonOf(args);
    if (!comparison.ok()) return Fail(comparison.status());
    *req.mutable_range() = *range;
    req.set_comparison(*comparison);
    req.set_currency_code(currency);
    auto reader = stub.ExportSalesReport(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, output);
  }
  if (report == "products") {
    v1::GetProductsReportRequest req;
    *req.mutable_range() = *range;
    req.set_currency_code(currency);
    auto reader = stub.ExportProductsReport(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, output);
  }
  if (report == "customers") {
    v1::GetCustomersReportRequest req;
    *req.mutable_range() = *range;
    req.set_currency_code(currency);
    auto reader = stub.ExportCustomersReport(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, output);
  }
  if (report == "payments") {
    v1::GetPaymentsReportRequest req;
    *req.mutable_range() = *range;
    req.set_currency_code(currency);
    auto reader = stub.ExportPaymentsReport(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, output);
  }
  if (report == "newsletter") {
    v1::GetNewsletterReportRequest req;
    *req.mutable_range() = *range;
    auto reader = stub.ExportNewsletterReport(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, output);
  }
  if (report == "cohorts") {
    v1::GetCohortsReportRequest req;
    *req.mutable_range() = *range;
    req.set_currency_code(currency);
    auto reader = stub.ExportCohortsReport(ctx.get(), req);
    return Download<v1::DocumentChunk>(reader, output);
  }
  return Fail(absl::InvalidArgumentError(
      "export needs the report: sales, products, customers, payments, newsletter or cohorts"));
}

int Chart(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::RenderReportChartRequest req;
  auto range = RangeOf(args);
  if (!range.ok()) return Fail(range.status());
  auto comparison = ComparisonOf(args);
  if (!comparison.ok()) return Fail(comparison.status());
  auto width = IntFlag(args, "width");
  auto height = IntFlag(args, "height");
  if (!width.ok()) return Fail(width.status());
  if (!height.ok()) return Fail(height.status());
  if (!args.Has("output")) return Fail(absl::InvalidArgumentError("chart needs --output FILE"));
  *req.mutable_range() = *range;
  req.set_comparison(*comparison);
  req.set_metric(args.Get("metric"));
  req.set_format(args.Get("format", "svg") == "png" ? v1::CHART_FORMAT_PNG : v1::CHART_FORMAT_SVG);
  req.set_currency_code(args.Get("currency"));
  req.set_width(*width);
  req.set_height(*height);
  auto ctx = Context(g, 120);
  auto reader = stub.RenderReportChart(ctx.get(), req);
  return Download<v1::DocumentChunk>(reader, args.Get("output"));
}

void PrintRebuild(const v1::Rebuild& r) {
  const int64_t total = r.events_applied() + r.events_remaining();
  std::printf("rebuild %s: %s, %lld events applied, %lld remaining (%lld%%)%s\n", r.id().c_str(),
              Label(r.state()).c_str(), static_cast<long long>(r.events_applied()),
              static_cast<long long>(r.events_remaining()),
              static_cast<long long>(total == 0 ? 100 : r.events_applied() * 100 / total),
              r.dry_run() ? " [dry run]" : "");
  for (const auto& t : r.comparison()) {
    std::printf("  %-22s live %9lld  shadow %9lld  %s\n", t.table().c_str(),
                static_cast<long long>(t.live_rows()), static_cast<long long>(t.shadow_rows()),
                t.equal() ? "equal" : "DIFFERENT");
  }
  if (!r.error().empty()) std::printf("  error: %s\n", r.error().c_str());
}

int RebuildCommand(const Global& g, const Args& args, v1::ReportingService::Stub& stub) {
  v1::Rebuild r;
  if (args.Positional(1) == "status") {
    v1::GetRebuildRequest req;
    req.set_id(args.Positional(2).empty() ? "latest" : args.Positional(2));
    grpc::Status s = stub.GetRebuild(Context(g).get(), req, &r);
    if (!s.ok()) return Fail(s);
  } else {
    v1::StartRebuildRequest req;
    req.set_dry_run(args.Has("dry-run"));
    grpc::Status s = stub.StartRebuild(Context(g).get(), req, &r);
    if (!s.ok()) return Fail(s);
    while (!args.Has("no-wait") && (r.state() == v1::REBUILD_STATE_REPLAYING ||
                                    r.state() == v1::REBUILD_STATE_CATCHING_UP)) {
      if (!g.json) PrintRebuild(r);
      absl::SleepFor(absl::Seconds(2));
      v1::GetRebuildRequest get;
      get.set_id(r.id());
      s = stub.GetRebuild(Context(g).get(), get, &r);
      if (!s.ok()) return Fail(s);
    }
  }
  if (g.json) {
    PrintJson(r);
  } else {
    PrintRebuild(r);
  }
  const bool failed =
      r.state() == v1::REBUILD_STATE_FAILED || r.state() == v1::REBUILD_STATE_INTERRUPTED;
  return failed ? 1 : 0;
}

}  // namespace

int ReportingCommand(const Global& g, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> parsed = Args::Parse(argv, {"all", "help", "dry-run", "no-wait"});
  if (!parsed.ok()) return Fail(parsed.status());
  const Args& args = *parsed;
  const std::string cmd = args.Positional(0);
  if (cmd.empty() || cmd == "help" || args.Has("help")) {
    std::fputs(kReportingHelp, stdout);
    return cmd.empty() && !args.Has("help") ? 2 : 0;
  }
  if (absl::Status known = args.CheckKnown(kKnownFlags); !known.ok()) return Fail(known);
  auto stub = Stub(args);
  if (cmd == "sales") return Sales(g, args, *stub);
  if (cmd == "products") return Products(g, args, *stub);
  if (cmd == "customers") return Customers(g, args, *stub);
  if (cmd == "payments") return Payments(g, args, *stub);
  if (cmd == "newsletter") return Newsletter(g, args, *stub);
  if (cmd == "cohorts") return Cohorts(g, args, *stub);
  if (cmd == "orders") return Orders(g, args, *stub);
  if (cmd == "export") return Export(g, args, *stub);
  if (cmd == "chart") return Chart(g, args, *stub);
  if (cmd == "rebuild") return RebuildCommand(g, args, *stub);
  std::fprintf(stderr, "error: unknown reporting command '%s'\n\n%s", cmd.c_str(), kReportingHelp);
  return 2;
}

}  // namespace store::cli
