// The reports, read from the read models in one repeatable-read transaction
// each (every figure of a report sees the same events).
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/core/money.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "services/reporting/app/reporting_app.h"
#include "services/reporting/store/report_store.h"

namespace store::reporting {
namespace {

constexpr int kDefaultTopN = 20;
constexpr int kMaxTopN = 1000;
constexpr int kDefaultDrillDownPage = 100;

absl::StatusOr<int> TopN(int requested) {
  if (requested == 0) return kDefaultTopN;
  if (requested < 1 || requested > kMaxTopN) {
    return InvalidField("top_n", absl::StrCat("must be 1..", kMaxTopN));
  }
  return requested;
}

Window WindowOf(const std::string& currency, const DayRange& range,
                const std::vector<Span>& buckets, const Span& whole) {
  Window w{currency, whole.start, whole.end, {}, FormatDay(range.first), FormatDay(range.last), {}};
  for (const Span& b : buckets) {
    w.bucket_starts.push_back(b.start);
    w.bucket_days.push_back(FormatDay(b.first_day));
  }
  return w;
}

// A validated request: its range, currency and window.
struct Query {
  DayRange range;
  std::string currency;
  std::vector<Span> buckets;
  Window window;
};

absl::StatusOr<Query> MakeQuery(const ReportingOptions& options, const v1::ReportRange& range,
                                const std::string& currency,
                                std::optional<v1::Granularity> granularity = std::nullopt) {
  Query q;
  absl::StatusOr<DayRange> parsed = ParseRange("range", range);
  if (!parsed.ok()) return parsed.status();
  q.range = *parsed;
  if (granularity) q.range.granularity = *granularity;
  q.currency = currency.empty() ? options.store_currency : currency;
  STORE_RETURN_IF_ERROR(ValidateCurrency("currency_code", q.currency));
  q.buckets = Buckets(q.range, options.zone);
  const Span whole = RangeSpan(q.range, options.zone);
  q.window = WindowOf(q.currency, q.range, q.buckets, whole);
  return q;
}

Query ComparedQuery(const ReportingOptions& options, const Query& q, v1::Comparison comparison) {
  Query c = q;
  c.range = ComparisonRange(q.range, comparison);
  c.buckets = Buckets(c.range, options.zone);
  const Span whole = RangeSpan(c.range, options.zone);
  c.window = WindowOf(q.currency, c.range, c.buckets, whole);
  return c;
}

}  // namespace

absl::Status ReportingApp::Init() {
  return pool_.InTransaction([&](pqxx::work& tx) {
    ReportStore::AllowLongStatements(tx);
    const bool recount = ReportStore::CountedFrom(tx) != CountFromName(options_.count_from);
    if (recount) ReportStore::Recount(tx, options_.count_from);
    if (recount || ReportStore::DaysZone(tx) != options_.time_zone) {
      ReportStore::RecomputeDays(tx, options_.time_zone);
    }
    return absl::OkStatus();
  });
}

namespace {

void AddBuckets(const Query& q, const std::vector<Figures>& figures,
                google::protobuf::RepeatedPtrField<v1::SalesBucket>* out, Figures* totals) {
  for (size_t i = 0; i < q.buckets.size(); ++i) {
    v1::SalesBucket* b = out->Add();
    *b->mutable_bucket() = ToProto(q.buckets[i]);
    *b->mutable_figures() = ToProto(figures[i], q.currency);
    *totals += figures[i];
  }
}

// The sales figures of a query per bucket and per dimension, in one scan
// of report_days (buckets are whole days of the store's zone).
struct SalesSums {
  std::vector<Figures> buckets;
  std::map<std::string, Figures> by_status, by_payment_method, by_delivery_method;
};

SalesSums SumSales(pqxx::transaction_base& tx, const Query& q) {
  SalesSums out;
  out.buckets.resize(q.buckets.size());
  for (const ReportStore::SlotSum& s : ReportStore::DaySums(tx, q.window)) {
    out.buckets[s.bucket] += s.figures;
    out.by_status[s.status] += s.figures;
    out.by_payment_method[s.payment_method] += s.figures;
    out.by_delivery_method[s.delivery_method] += s.figures;
  }
  // Values whose rows sum to nothing (every order moved on) are no rows.
  for (auto* dim : {&out.by_status, &out.by_payment_method, &out.by_delivery_method}) {
    for (auto it = dim->begin(); it != dim->end();) {
      it = it->second.IsZero() ? dim->erase(it) : std::next(it);
    }
  }
  return out;
}

void AddBreakdown(const std::map<std::string, Figures>& rows, const std::string& currency,
                  google::protobuf::RepeatedPtrField<v1::SalesBreakdownRow>* out) {
  for (const auto& [key, figures] : rows) {
    v1::SalesBreakdownRow* row = out->Add();
    row->set_key(key);
    *row->mutable_figures() = ToProto(figures, currency);
  }
}

}  // namespace

absl::StatusOr<v1::SalesReport> ReportingApp::Sales(const v1::GetSalesReportRequest& req) {
  absl::StatusOr<Query> q = MakeQuery(options_, req.range(), req.currency_code());
  if (!q.ok()) return q.status();
  if (!v1::Comparison_IsValid(req.comparison())) {
    return InvalidField("comparison",
                        "must be COMPARISON_PREVIOUS_PERIOD, COMPARISON_PREVIOUS_YEAR or unset");
  }
  v1::SalesReport out;
  out.set_currency_code(q->currency);
  out.set_time_zone(options_.time_zone);
  out.set_counted_from(std::string(CountFromName(options_.count_from)));
  *out.mutable_range() = ToProto(q->range);
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        const SalesSums sums = SumSales(tx, *q);
        Figures totals;
        AddBuckets(*q, sums.buckets, out.mutable_buckets(), &totals);
        *out.mutable_totals() = ToProto(totals, q->currency);
        AddBreakdown(sums.by_status, q->currency, out.mutable_by_status());
        AddBreakdown(sums.by_payment_method, q->currency, out.mutable_by_payment_method());
        AddBreakdown(sums.by_delivery_method, q->currency, out.mutable_by_delivery_method());
        if (req.comparison() != v1::COMPARISON_UNSPECIFIED) {
          const Query c = ComparedQuery(options_, *q, req.comparison());
          *out.mutable_comparison_range() = ToProto(c.range);
          Figures compared;
          AddBuckets(c, SumSales(tx, c).buckets, out.mutable_comparison_buckets(), &compared);
          *out.mutable_comparison_totals() = ToProto(compared, q->currency);
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::ProductsReport> ReportingApp::Products(const v1::GetProductsReportRequest& req,
                                                          bool all) {
  absl::StatusOr<Query> q = MakeQuery(options_, req.range(), req.currency_code());
  if (!q.ok()) return q.status();
  absl::StatusOr<int> top_n = TopN(req.top_n());
  if (!top_n.ok()) return top_n.status();
  if (!v1::ProductSort_IsValid(req.sort_by())) {
    return InvalidField("sort_by", "must be PRODUCT_SORT_NET_SALES or PRODUCT_SORT_UNITS_SOLD");
  }
  std::vector<v1::ProductRow> rows;
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        rows = ReportStore::Products(tx, q->window);
        return absl::OkStatus();
      }));
  const bool by_units = req.sort_by() == v1::PRODUCT_SORT_UNITS_SOLD;
  std::sort(rows.begin(), rows.end(), [by_units](const v1::ProductRow& a, const v1::ProductRow& b) {
    const int64_t ka = by_units ? a.units_sold() : a.net_sales().amount_minor();
    const int64_t kb = by_units ? b.units_sold() : b.net_sales().amount_minor();
    return ka != kb ? ka > kb : a.sku() < b.sku();
  });
  v1::ProductsReport out;
  out.set_currency_code(q->currency);
  out.set_time_zone(options_.time_zone);
  out.set_counted_from(std::string(CountFromName(options_.count_from)));
  *out.mutable_range() = ToProto(q->range);
  out.set_total_products(static_cast<int64_t>(rows.size()));
  int64_t sold = 0, refunded = 0, gross = 0, discounts = 0, returns = 0, orders = 0;
  for (const v1::ProductRow& row : rows) {
    sold += row.units_sold();
    refunded += row.units_refunded();
    gross += row.gross_sales().amount_minor();
    discounts += row.discounts().amount_minor();
    returns += row.returns().amount_minor();
    orders += row.orders();
  }
  v1::ProductRow* totals = out.mutable_totals();
  totals->set_units_sold(sold);
  totals->set_units_refunded(refunded);
  *totals->mutable_gross_sales() = MoneyOf(gross, q->currency);
  *totals->mutable_discounts() = MoneyOf(discounts, q->currency);
  *totals->mutable_returns() = MoneyOf(returns, q->currency);
  *totals->mutable_net_sales() = MoneyOf(gross - discounts - returns, q->currency);
  // An order with two skus is counted once per sku here.
  totals->set_orders(orders);
  if (!all && rows.size() > static_cast<size_t>(*top_n)) rows.resize(*top_n);
  for (v1::ProductRow& row : rows) *out.add_products() = std::move(row);
  return out;
}

absl::StatusOr<v1::CustomersReport> ReportingApp::Customers(
    const v1::GetCustomersReportRequest& req) {
  absl::StatusOr<Query> q = MakeQuery(options_, req.range(), req.currency_code());
  if (!q.ok()) return q.status();
  absl::StatusOr<int> top_n = TopN(req.top_n());
  if (!top_n.ok()) return top_n.status();
  std::vector<NewReturningRow> periods;
  std::vector<CustomerRow> customers;
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        periods = ReportStore::NewAndReturning(tx, q->window);
        customers = ReportStore::Customers(tx, q->window);
        return absl::OkStatus();
      }));
  v1::CustomersReport out;
  out.set_currency_code(q->currency);
  out.set_time_zone(options_.time_zone);
  out.set_counted_from(std::string(CountFromName(options_.count_from)));
  *out.mutable_range() = ToProto(q->range);
  for (const Span& span : q->buckets) {
    v1::CustomerPeriod* p = out.add_periods();
    *p->mutable_bucket() = ToProto(span);
    *p->mutable_new_customer_sales() = MoneyOf(0, q->currency);
    *p->mutable_returning_customer_sales() = MoneyOf(0, q->currency);
  }
  for (const NewReturningRow& row : periods) {
    v1::CustomerPeriod* p = out.mutable_periods(row.bucket);
    if (row.is_new) {
      p->set_new_customers(row.customers);
      p->set_new_customer_orders(row.orders);
      p->mutable_new_customer_sales()->set_amount_minor(row.sales);
    } else {
      p->set_returning_customers(row.customers);
      p->set_returning_customer_orders(row.orders);
      p->mutable_returning_customer_sales()->set_amount_minor(row.sales);
    }
  }
  std::map<std::string, v1::CustomerGroupRow> by_country, by_group;
  auto add = [&](std::map<std::string, v1::CustomerGroupRow>& rows, const std::string& key,
                 const CustomerRow& c) {
    v1::CustomerGroupRow& row = rows[key];
    row.set_key(key);
    row.set_customers(row.customers() + 1);
    row.set_orders(row.orders() + c.orders);
    *row.mutable_total_sales() =
        MoneyOf(row.total_sales().amount_minor() + c.total_sales, q->currency);
  };
  for (const CustomerRow& c : customers) {
    add(by_country, c.country, c);
    add(by_group, c.customer_id.empty() ? "guest" : c.group_id, c);
  }
  for (auto& [key, row] : by_country) *out.add_by_country() = std::move(row);
  for (auto& [key, row] : by_group) *out.add_by_group() = std::move(row);
  std::sort(customers.begin(), customers.end(), [](const CustomerRow& a, const CustomerRow& b) {
    return a.total_sales != b.total_sales ? a.total_sales > b.total_sales
                                          : a.customer_key < b.customer_key;
  });
  if (customers.size() > static_cast<size_t>(*top_n)) customers.resize(*top_n);
  for (const CustomerRow& c : customers) {
    v1::TopCustomer* t = out.add_top_customers();
    t->set_customer_id(c.customer_id);
    t->set_guest(c.customer_id.empty());
    t->set_orders(c.orders);
    *t->mutable_total_sales() = MoneyOf(c.total_sales, q->currency);
    t->set_last_order_id(c.last_order_id);
    t->set_last_order_number(c.last_order_number);
  }
  return out;
}

absl::StatusOr<v1::PaymentsReport> ReportingApp::Payments(const v1::GetPaymentsReportRequest& req) {
  absl::StatusOr<Query> q = MakeQuery(options_, req.range(), req.currency_code());
  if (!q.ok()) return q.status();
  std::vector<PaymentSum> payments;
  std::vector<std::pair<int64_t, int64_t>> refunds;
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        payments = ReportStore::Payments(tx, q->window);
        refunds = ReportStore::RefundsByBucket(tx, q->window);
        return absl::OkStatus();
      }));
  std::sort(payments.begin(), payments.end(), [](const PaymentSum& a, const PaymentSum& b) {
    return std::tie(a.bucket, a.method, a.outcome) < std::tie(b.bucket, b.method, b.outcome);
  });
  v1::PaymentsReport out;
  out.set_currency_code(q->currency);
  out.set_time_zone(options_.time_zone);
  *out.mutable_range() = ToProto(q->range);
  for (const PaymentSum& p : payments) {
    v1::PaymentRow* row = out.add_payments();
    *row->mutable_bucket() = ToProto(q->buckets[p.bucket]);
    row->set_payment_method(p.method);
    row->set_outcome(p.outcome);
    row->set_payments(p.payments);
    *row->mutable_amount() = MoneyOf(p.amount, q->currency);
  }
  for (size_t i = 0; i < q->buckets.size(); ++i) {
    v1::RefundBucket* r = out.add_refunds();
    *r->mutable_bucket() = ToProto(q->buckets[i]);
    r->set_refunds(refunds[i].first);
    *r->mutable_amount() = MoneyOf(refunds[i].second, q->currency);
  }
  return out;
}

absl::StatusOr<v1::NewsletterReport> ReportingApp::Newsletter(
    const v1::GetNewsletterReportRequest& req) {
  absl::StatusOr<Query> q = MakeQuery(options_, req.range(), "");
  if (!q.ok()) return q.status();
  v1::NewsletterReport out;
  *out.mutable_range() = ToProto(q->range);
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        for (v1::CampaignRow& c : ReportStore::Campaigns(tx, q->window.start, q->window.end)) {
          *out.add_campaigns() = std::move(c);
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::CohortsReport> ReportingApp::Cohorts(const v1::GetCohortsReportRequest& req) {
  absl::StatusOr<Query> q =
      MakeQuery(options_, req.range(), req.currency_code(), v1::GRANULARITY_MONTH);
  if (!q.ok()) return q.status();
  std::map<int, int64_t> sizes;
  std::vector<ReportStore::CohortSum> sums;
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        sizes = ReportStore::CohortSizes(tx, q->window);
        sums = ReportStore::CohortActivity(tx, q->window);
        return absl::OkStatus();
      }));
  auto month_of = [&](int bucket) { return absl::CivilMonth(q->buckets[bucket].first_day); };
  std::map<absl::CivilMonth, int64_t> by_month;
  for (const auto& [bucket, customers] : sizes) by_month[month_of(bucket)] = customers;
  std::vector<CohortCell> cells;
  for (const ReportStore::CohortSum& s : sums) {
    cells.push_back(CohortCell{month_of(s.cohort), month_of(s.month), s.active_customers, s.orders,
                               s.net_sales});
  }
  v1::CohortsReport out;
  out.set_currency_code(q->currency);
  out.set_time_zone(options_.time_zone);
  out.set_counted_from(std::string(CountFromName(options_.count_from)));
  v1::ReportRange range = ToProto(q->range);
  range.clear_granularity();
  *out.mutable_range() = range;
  for (v1::Cohort& c :
       BuildCohorts(by_month, cells, absl::CivilMonth(q->range.last), q->currency)) {
    *out.add_cohorts() = std::move(c);
  }
  return out;
}

absl::StatusOr<v1::ListReportOrdersResponse> ReportingApp::ListOrders(
    const v1::ListReportOrdersRequest& req) {
  absl::StatusOr<Query> q = MakeQuery(options_, req.range(), req.currency_code());
  if (!q.ok()) return q.status();
  if (req.figure() != v1::DRILL_DOWN_UNSPECIFIED && req.figure() != v1::DRILL_DOWN_COUNTED &&
      req.figure() != v1::DRILL_DOWN_REFUNDED) {
    return InvalidField("figure", "must be DRILL_DOWN_COUNTED or DRILL_DOWN_REFUNDED");
  }
  if (req.page_size() < 0 || req.page_size() > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("must be 0..", kMaxPageSize));
  }
  const int limit = req.page_size() == 0 ? kDefaultDrillDownPage : req.page_size();
  v1::ListReportOrdersRequest binding_request = req;
  binding_request.clear_page_size();
  binding_request.clear_page_token();
  const std::string binding = Fingerprint(binding_request);
  int64_t after = 0;
  if (!req.page_token().empty()) {
    absl::StatusOr<KeysetCursor> cursor = DecodePageToken(req.page_token(), binding);
    if (!cursor.ok()) return cursor.status();
    after = cursor->sort_value;
  }
  OrderFilter filter{req.figure() == v1::DRILL_DOWN_REFUNDED,
                     req.status(),
                     req.payment_method(),
                     req.delivery_method(),
                     req.sku(),
                     req.customer_id()};
  v1::ListReportOrdersResponse out;
  STORE_RETURN_IF_ERROR(
      pool_.InTransaction(pg::Isolation::kRepeatableRead, [&](pqxx::transaction_base& tx) {
        std::vector<v1::ReportOrder> rows =
            ReportStore::Orders(tx, q->window, filter, after, limit);
        if (rows.size() > static_cast<size_t>(limit)) {
          rows.resize(limit);
          out.set_next_page_token(EncodePageToken(KeysetCursor{.sort_value = rows.back().number(),
                                                               .id = rows.back().order_id(),
                                                               .sort_text = ""},
                                                  binding));
        }
        for (v1::ReportOrder& o : rows) *out.add_orders() = std::move(o);
        out.set_total_size(ReportStore::CountOrders(tx, q->window, filter));
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace store::reporting
