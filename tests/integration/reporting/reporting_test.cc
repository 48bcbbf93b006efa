// The reporting service against real PostgreSQL and the Kafka-protocol
// broker: order, customer and campaign events in, reports out through gRPC.
// The orders are priced by the order service's own domain code, so the
// figures are the ones real events carry.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/core/money.h"
#include "libs/events/envelope.h"
#include "libs/pg/values.h"
#include "libs/testing/service_fixture.h"
#include "libs/testing/wait.h"
#include "services/order/domain/order_rules.h"
#include "services/reporting/store/report_store.h"
#include "services/reporting/wiring.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/order/v1/events.pb.h"
#include "store/reporting/v1/reporting_service.grpc.pb.h"
#include "store/topics.h"

namespace store::reporting {
namespace {

namespace ov1 = store::order::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::TimeZone& Berlin() {
  static const absl::TimeZone* zone = [] {
    auto* z = new absl::TimeZone;
    absl::LoadTimeZone("Europe/Berlin", z);
    return z;
  }();
  return *zone;
}

// 2026-03-dd hh:mm in Berlin.
absl::Time At(int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, hour, minute, 0), Berlin());
}

v1::ReportRange Range(const std::string& first, const std::string& last,
                      v1::Granularity granularity = v1::GRANULARITY_DAY) {
  v1::ReportRange r;
  r.set_start_date(first);
  r.set_end_date(last);
  r.set_granularity(granularity);
  return r;
}

class ReportingTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    StartService(Spec(&parts_), {{"STORE_CURRENCY", "EUR"}, {"STORE_TIME_ZONE", "Europe/Berlin"}});
    if (HasFatalFailure()) return;
    stub_ = v1::ReportingService::NewStub(Channel());
  }

  // An order as the order service would place it: 2 × MUG at 10.00 and
  // 1 × TEE at 30.00, `percent_off` off, 5.00 delivery, 20% tax.
  ov1::Order NewOrder(absl::Time placed, const std::string& customer_id = "", int percent_off = 10,
                      const std::string& currency = "EUR",
                      ov1::PaymentMethod method = ov1::PAYMENT_METHOD_CARD) {
    ov1::PlaceOrderRequest r;
    r.set_request_id(NewUuid());
    r.set_currency_code(currency);
    if (customer_id.empty()) {
      r.mutable_customer()->set_email("guest@example.com");
      r.mutable_customer()->set_name("Guest");
    } else {
      r.mutable_customer()->set_customer_id(CustomerId(customer_id));
    }
    auto add = [&](const char* sku, const char* name, int qty, int64_t price) {
      auto* item = r.add_items();
      item->set_sku(sku);
      item->set_name(name);
      item->set_quantity(qty);
      item->mutable_unit_price()->set_amount_minor(price);
      item->set_tax_rate_bp(2000);
    };
    add("MUG", "Mug", 2, 1000);
    add("TEE", "Tee", 1, 3000);
    if (percent_off > 0) r.add_discounts()->set_percent_bp(percent_off * 100);
    auto* address = r.mutable_shipping_address();
    address->set_name("Erika Mustermann");
    address->set_line1("Unter den Linden 1");
    address->set_city("Berlin");
    address->set_postal_code("10117");
    address->set_country_code("DE");
    r.mutable_delivery_method()->set_code("express");
    r.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
    r.set_payment_method(method);
    absl::StatusOr<ov1::Order> built = order::BuildNewOrder(r);
    EXPECT_TRUE(built.ok()) << built.status();
    if (!built.ok()) return {};
    ov1::Order o = *built;
    o.set_id(NewUuid());
    o.set_number(++next_number_);
    o.set_status(ov1::ORDER_STATUS_PENDING);
    o.set_version(1);
    *o.mutable_create_time() = pg::ToTimestamp(placed);
    return o;
  }

  // A stable UUID per customer label ("c1").
  std::string CustomerId(const std::string& label) {
    std::string& id = customer_ids_[label];
    if (id.empty()) id = NewUuid();
    return id;
  }

  common::v1::EventEnvelope Envelope(const google::protobuf::Message& event, const ov1::Order& o,
                                     absl::Time at) {
    return events::MakeEnvelope(event, o.id(), o.version(), "order-service", at);
  }
  // Applies an order event: straight through the handler, or (via_kafka_)
  // on the topic for the consumers.
  void Apply(const common::v1::EventEnvelope& env) {
    if (via_kafka_) {
      kafka_->Produce(order::v1::kOrdersTopic, env.aggregate_id(), env.SerializeAsString());
    } else {
      ASSERT_TRUE(Deliver(kOrdersConsumer, env).ok());
    }
    delivered_.push_back(env);
  }
  void Placed(const ov1::Order& o) {
    ov1::OrderPlaced e;
    *e.mutable_order() = o;
    Apply(Envelope(e, o,
                   absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                       o.create_time()))));
  }
  void Paid(ov1::Order& o, absl::Time at) {
    o.set_version(o.version() + 1);
    o.set_status(ov1::ORDER_STATUS_PROCESSING);
    *o.mutable_totals()->mutable_paid() = o.totals().total();
    ov1::OrderPaid e;
    *e.mutable_order() = o;
    e.set_fully_paid(true);
    e.mutable_payment()->set_id(NewUuid());
    e.mutable_payment()->set_provider("stripe");
    *e.mutable_payment()->mutable_amount() = o.totals().total();
    e.mutable_payment()->set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
    *e.mutable_payment()->mutable_create_time() = pg::ToTimestamp(at);
    Apply(Envelope(e, o, at));
  }
  void Status(ov1::Order& o, ov1::OrderStatus status, absl::Time at) {
    o.set_version(o.version() + 1);
    o.set_status(status);
    ov1::OrderStatusChanged e;
    *e.mutable_order() = o;
    Apply(Envelope(e, o, at));
  }
  void Refund(ov1::Order& o, int64_t amount, absl::Time at, const std::string& sku = "",
              int quantity = 0) {
    o.set_version(o.version() + 1);
    o.set_status(ov1::ORDER_STATUS_PARTIALLY_REFUNDED);
    o.mutable_totals()->mutable_refunded()->set_amount_minor(o.totals().refunded().amount_minor() +
                                                             amount);
    ov1::OrderRefunded e;
    *e.mutable_order() = o;
    e.mutable_refund()->set_id(NewUuid());
    e.mutable_refund()->mutable_amount()->set_amount_minor(amount);
    e.mutable_refund()->mutable_amount()->set_currency_code(o.currency_code());
    if (!sku.empty()) {
      auto* line = e.mutable_refund()->add_lines();
      line->set_sku(sku);
      line->set_quantity(quantity);
    }
    *e.mutable_refund()->mutable_create_time() = pg::ToTimestamp(at);
    Apply(Envelope(e, o, at));
  }

  v1::SalesReport Sales(const v1::ReportRange& range,
                        v1::Comparison comparison = v1::COMPARISON_UNSPECIFIED) {
    grpc::ClientContext ctx;
    v1::GetSalesReportRequest req;
    *req.mutable_range() = range;
    req.set_comparison(comparison);
    v1::SalesReport out;
    grpc::Status s = stub_->GetSalesReport(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::ProductsReport Products(const v1::ReportRange& range) {
    grpc::ClientContext ctx;
    v1::GetProductsReportRequest req;
    *req.mutable_range() = range;
    v1::ProductsReport out;
    grpc::Status s = stub_->GetProductsReport(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  // A streamed download's bytes and content type.
  std::pair<std::string, std::string> Export(
      std::function<std::unique_ptr<grpc::ClientReader<v1::DocumentChunk>>(grpc::ClientContext*)>
          call) {
    grpc::ClientContext ctx;
    auto reader = call(&ctx);
    v1::DocumentChunk chunk;
    std::string data, type;
    while (reader->Read(&chunk)) {
      if (type.empty()) type = chunk.content_type();
      data += chunk.data();
    }
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {data, type};
  }

  // The March scenario used by several tests (Berlin days):
  // - A: placed 10 Mar 10:00, 10% off, paid at once; one mug refunded on
  //   12 Mar (9.60: 8.00 of goods net of discount plus 1.60 tax).
  // - B: placed 11 Mar, cancelled before payment: never counts.
  // - C: placed 11 Mar in USD: not in a EUR report.
  // - D: placed 12 Mar 23:30 (22:30 UTC), no discount, unpaid: counts on 12 Mar.
  void March() {
    a_ = NewOrder(At(3, 10, 10), "c1");
    Placed(a_);
    Paid(a_, At(3, 10, 10, 5));
    ov1::Order b = NewOrder(At(3, 11, 9), "c2");
    Placed(b);
    Status(b, ov1::ORDER_STATUS_CANCELLED, At(3, 11, 9, 30));
    ov1::Order c = NewOrder(At(3, 11, 12), "c3", 0, "USD");
    Placed(c);
    Refund(a_, 960, At(3, 12, 8), "MUG", 1);
    d_ = NewOrder(At(3, 12, 23, 30), "", 0, "EUR", ov1::PAYMENT_METHOD_PAYPAL);
    Placed(d_);
  }

  Parts parts_;
  std::unique_ptr<v1::ReportingService::Stub> stub_;
  std::vector<common::v1::EventEnvelope> delivered_;
  std::map<std::string, std::string> customer_ids_;
  bool via_kafka_ = false;
  int64_t next_number_ = 1000;
  ov1::Order a_, d_;
};

TEST_F(ReportingTest, SalesFromEventsFollowTheDefinitions) {
  March();
  ASSERT_FALSE(HasFailure());
  const v1::SalesReport r = Sales(Range("2026-03-10", "2026-03-13"));
  EXPECT_EQ(r.currency_code(), "EUR");
  EXPECT_EQ(r.time_zone(), "Europe/Berlin");
  EXPECT_EQ(r.counted_from(), "placed");
  ASSERT_EQ(r.buckets_size(), 4);

  // 10 Mar: order A. Gross 50.00, discount 5.00, shipping 5.00, tax 10.00.
  const v1::SalesFigures& d10 = r.buckets(0).figures();
  EXPECT_EQ(d10.orders(), 1);
  EXPECT_EQ(d10.units(), 3);
  EXPECT_EQ(d10.gross_sales().amount_minor(), 5000);
  EXPECT_EQ(d10.discounts().amount_minor(), 500);
  EXPECT_EQ(d10.returns().amount_minor(), 0);
  EXPECT_EQ(d10.net_sales().amount_minor(), 4500);
  EXPECT_EQ(d10.shipping().amount_minor(), 500);
  EXPECT_EQ(d10.taxes().amount_minor(), a_.totals().tax().amount_minor());
  EXPECT_EQ(d10.total_sales().amount_minor(), a_.totals().total().amount_minor());
  EXPECT_EQ(d10.average_order_value().amount_minor(), 4500);
  // 11 Mar: B cancelled unpaid, C in USD: an empty bucket, as zeros.
  const v1::SalesFigures& d11 = r.buckets(1).figures();
  EXPECT_EQ(d11.orders(), 0);
  EXPECT_EQ(d11.gross_sales().amount_minor(), 0);
  EXPECT_EQ(d11.gross_sales().currency_code(), "EUR");
  // 12 Mar: A's refund (on the refund's day) and D (23:30 Berlin).
  const v1::SalesFigures& d12 = r.buckets(2).figures();
  EXPECT_EQ(d12.orders(), 1);
  EXPECT_EQ(d12.returns().amount_minor(), 960);
  EXPECT_EQ(d12.gross_sales().amount_minor(), 5000);
  EXPECT_EQ(d12.net_sales().amount_minor(), 5000 - 960);
  EXPECT_EQ(r.buckets(2).bucket().start_date(), "2026-03-12");
  EXPECT_EQ(r.buckets(3).figures().orders(), 0);

  EXPECT_EQ(r.totals().orders(), 2);
  EXPECT_EQ(r.totals().net_sales().amount_minor(), 4500 + 5000 - 960);
  EXPECT_EQ(r.totals().total_sales().amount_minor(), r.totals().net_sales().amount_minor() +
                                                         r.totals().shipping().amount_minor() +
                                                         r.totals().taxes().amount_minor());

  // Breakdowns over the whole range, by the order's current status.
  std::map<std::string, int64_t> net_by_status, orders_by_method;
  for (const auto& row : r.by_status())
    net_by_status[row.key()] = row.figures().net_sales().amount_minor();
  for (const auto& row : r.by_payment_method())
    orders_by_method[row.key()] = row.figures().orders();
  EXPECT_EQ(net_by_status["PARTIALLY_REFUNDED"], 4500 - 960);
  EXPECT_EQ(net_by_status["PENDING"], 5000);
  EXPECT_EQ(net_by_status.count("CANCELLED"), 0u);
  EXPECT_EQ(orders_by_method["CARD"], 1);
  EXPECT_EQ(orders_by_method["PAYPAL"], 1);
  ASSERT_EQ(r.by_delivery_method_size(), 1);
  EXPECT_EQ(r.by_delivery_method(0).key(), "express");
  EXPECT_EQ(r.by_delivery_method(0).figures().net_sales().amount_minor(),
            r.totals().net_sales().amount_minor());
}

TEST_F(ReportingTest, ReplayingEveryEventAgainChangesNothing) {
  March();
  ASSERT_FALSE(HasFailure());
  const v1::SalesReport before = Sales(Range("2026-03-01", "2026-03-31"));
  const v1::ProductsReport products_before = Products(Range("2026-03-01", "2026-03-31"));
  const std::vector<common::v1::EventEnvelope> all = delivered_;
  for (const auto& env : all) ASSERT_TRUE(Deliver(kOrdersConsumer, env).ok());
  // And the oldest snapshot of A once more, out of order.
  ASSERT_TRUE(Deliver(kOrdersConsumer, all.front()).ok());
  EXPECT_EQ(Sales(Range("2026-03-01", "2026-03-31")).SerializeAsString(),
            before.SerializeAsString());
  EXPECT_EQ(Products(Range("2026-03-01", "2026-03-31")).SerializeAsString(),
            products_before.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM report_refunds"), 1);
}

TEST_F(ReportingTest, ProductsSalesAndTheirCsvReconcile) {
  March();
  ov1::Order e = NewOrder(At(3, 20, 15), "c1", 25);
  Placed(e);
  Paid(e, At(3, 20, 16));
  Refund(e, 777, At(3, 25, 10));  // amount only: spread over its lines
  ASSERT_FALSE(HasFailure());
  const v1::ReportRange range = Range("2026-03-01", "2026-03-31", v1::GRANULARITY_WEEK);
  const v1::SalesReport sales = Sales(range);
  const v1::ProductsReport products = Products(range);
  int64_t product_net = 0;
  for (const auto& p : products.products()) product_net += p.net_sales().amount_minor();
  EXPECT_EQ(product_net, sales.totals().net_sales().amount_minor());
  EXPECT_EQ(products.totals().net_sales().amount_minor(),
            sales.totals().net_sales().amount_minor());
  EXPECT_EQ(products.total_products(), 2);
  ASSERT_EQ(products.products_size(), 2);
  EXPECT_EQ(products.products(0).sku(), "TEE");  // highest net sales first
  const v1::ProductRow& mug = products.products(1);
  EXPECT_EQ(mug.units_sold(), 6);
  EXPECT_EQ(mug.units_refunded(), 1);
  EXPECT_EQ(mug.orders(), 3);

  // The CSVs say the same.
  v1::GetSalesReportRequest sreq;
  *sreq.mutable_range() = range;
  auto [sales_csv, sales_type] =
      Export([&](grpc::ClientContext* ctx) { return stub_->ExportSalesReport(ctx, sreq); });
  EXPECT_EQ(sales_type, "text/csv; charset=utf-8");
  std::vector<std::string> lines = absl::StrSplit(sales_csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + sales.buckets_size() + 1u);
  EXPECT_EQ(lines[0],
            "series,bucket_start,orders,units,gross_sales,discounts,returns,net_sales,shipping,"
            "taxes,total_sales,average_order_value,currency");
  std::vector<std::string> total = absl::StrSplit(lines.back(), ',');
  EXPECT_EQ(total[1], "total");
  EXPECT_EQ(total[7], FormatDecimal(sales.totals().net_sales().amount_minor(), "EUR"));
  EXPECT_EQ(total[12], "EUR");

  v1::GetProductsReportRequest preq;
  *preq.mutable_range() = range;
  preq.set_top_n(1);  // ignored by the export: every sku
  auto [products_csv, products_type] =
      Export([&](grpc::ClientContext* ctx) { return stub_->ExportProductsReport(ctx, preq); });
  std::vector<std::string> rows = absl::StrSplit(products_csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 3u);
  int64_t csv_net = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(rows[i], ',');
    csv_net += *ParseMoney(f[7].front() == '-' ? f[7].substr(1) : f[7], "EUR") *
               (f[7].front() == '-' ? -1 : 1);
  }
  EXPECT_EQ(csv_net, sales.totals().net_sales().amount_minor());
}

// ORD-06: an edit before shipping replaces the order's figures and lines on
// the day it counts on.
TEST_F(ReportingTest, AnEditedOrderCountsItsNewLinesAndTotals) {
  ov1::Order o = NewOrder(At(3, 20, 15), "c1", 0);
  Placed(o);
  Paid(o, At(3, 20, 16));
  const v1::ReportRange range = Range("2026-03-01", "2026-03-31", v1::GRANULARITY_MONTH);
  const int64_t before = Sales(range).totals().gross_sales().amount_minor();
  o.mutable_items(0)->set_quantity(5);  // MUG 2 -> 5
  ASSERT_TRUE(order::PriceOrder(&o).ok());
  o.set_version(o.version() + 1);
  ov1::OrderEdited e;
  *e.mutable_order() = o;
  Apply(Envelope(e, o, At(3, 21, 9)));
  ASSERT_FALSE(HasFailure());
  const v1::SalesReport sales = Sales(range);
  EXPECT_EQ(sales.totals().gross_sales().amount_minor(), before + 3 * 1000);
  EXPECT_EQ(sales.totals().orders(), 1);
  const v1::ProductsReport products = Products(range);
  bool mug = false;
  for (const auto& p : products.products()) {
    if (p.sku() != "MUG") continue;
    mug = true;
    EXPECT_EQ(p.units_sold(), 5);
  }
  EXPECT_TRUE(mug);
}

TEST_F(ReportingTest, DrillDownListsExactlyTheOrdersCounted) {
  March();
  ASSERT_FALSE(HasFailure());
  auto list = [&](v1::ListReportOrdersRequest req) {
    grpc::ClientContext ctx;
    v1::ListReportOrdersResponse out;
    grpc::Status s = stub_->ListReportOrders(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const auto& o : out.orders()) ids.push_back(o.order_id());
    return std::make_pair(ids, out);
  };
  v1::ListReportOrdersRequest req;
  *req.mutable_range() = Range("2026-03-10", "2026-03-13");
  EXPECT_THAT(list(req).first, ElementsAre(a_.id(), d_.id()));
  req.set_payment_method("PAYPAL");
  EXPECT_THAT(list(req).first, ElementsAre(d_.id()));
  req.clear_payment_method();
  req.set_figure(v1::DRILL_DOWN_REFUNDED);
  auto [refunded, response] = list(req);
  EXPECT_THAT(refunded, ElementsAre(a_.id()));
  EXPECT_EQ(response.orders(0).returns().amount_minor(), 960);
  EXPECT_EQ(response.total_size(), 1);

  // The day bucket of 12 March holds D only; pages of one.
  v1::ListReportOrdersRequest day;
  *day.mutable_range() = Range("2026-03-10", "2026-03-12");
  day.set_page_size(1);
  auto [first, page1] = list(day);
  EXPECT_THAT(first, ElementsAre(a_.id()));
  EXPECT_EQ(page1.total_size(), 2);
  ASSERT_FALSE(page1.next_page_token().empty());
  day.set_page_token(page1.next_page_token());
  auto [second, page2] = list(day);
  EXPECT_THAT(second, ElementsAre(d_.id()));
  EXPECT_TRUE(page2.next_page_token().empty());
}

TEST_F(ReportingTest, BucketsAreCutInTheStoreTimeZoneAndCompared) {
  // 30 March 2026 00:30 Berlin is 29 March 22:30 UTC (after the change to
  // summer time on 29 March, a 23-hour day).
  ov1::Order o = NewOrder(At(3, 30, 0, 30), "c1", 0);
  Placed(o);
  ov1::Order earlier = NewOrder(At(3, 23, 12), "c2", 0);
  Placed(earlier);
  ov1::Order last_year =
      NewOrder(absl::FromCivil(absl::CivilSecond(2025, 3, 30, 12, 0, 0), Berlin()), "c3", 0);
  Placed(last_year);
  ASSERT_FALSE(HasFailure());
  v1::SalesReport r = Sales(Range("2026-03-29", "2026-03-30"), v1::COMPARISON_PREVIOUS_YEAR);
  ASSERT_EQ(r.buckets_size(), 2);
  EXPECT_EQ(r.buckets(0).figures().orders(), 0);
  EXPECT_EQ(r.buckets(1).figures().orders(), 1);
  const auto& b = r.buckets(0).bucket();
  EXPECT_EQ(b.end_time().seconds() - b.start_time().seconds(), 23 * 3600);
  EXPECT_EQ(r.comparison_range().start_date(), "2025-03-29");
  EXPECT_EQ(r.comparison_totals().orders(), 1);
  ASSERT_EQ(r.comparison_buckets_size(), 2);
  EXPECT_EQ(r.comparison_buckets(1).figures().orders(), 1);

  r = Sales(Range("2026-03-30", "2026-04-05", v1::GRANULARITY_WEEK),
            v1::COMPARISON_PREVIOUS_PERIOD);
  EXPECT_EQ(r.comparison_range().start_date(), "2026-03-23");
  EXPECT_EQ(r.comparison_totals().orders(), 1);
}

TEST_F(ReportingTest, CustomersCohortsAndPayments) {
  // c1: January and March; c2: March only; a guest in March, twice.
  ov1::Order jan =
      NewOrder(absl::FromCivil(absl::CivilSecond(2026, 1, 15, 12, 0, 0), Berlin()), "c1", 0);
  Placed(jan);
  Paid(jan, absl::FromCivil(absl::CivilSecond(2026, 1, 15, 12, 5, 0), Berlin()));
  ov1::Order c1 = NewOrder(At(3, 5, 12), "c1", 0);
  Placed(c1);
  ov1::Order c2 = NewOrder(At(3, 6, 12), "c2", 0);
  Placed(c2);
  ov1::Order g1 = NewOrder(At(3, 7, 12), "", 0);
  Placed(g1);
  ov1::Order g2 = NewOrder(At(3, 8, 12), "", 0);
  Placed(g2);
  Refund(jan, 1000, At(3, 9, 12));
  customer::v1::CustomerRegistered reg;
  reg.mutable_customer()->set_id(CustomerId("c2"));
  reg.mutable_customer()->set_group_id("wholesale");
  reg.mutable_customer()->set_country_code("FR");
  ASSERT_TRUE(Deliver(kCustomersConsumer, events::MakeEnvelope(reg, CustomerId("c2"), 1,
                                                               "customer-service", At(3, 1, 0)))
                  .ok());
  ASSERT_FALSE(HasFailure());

  grpc::ClientContext ctx;
  v1::GetCustomersReportRequest req;
  *req.mutable_range() = Range("2026-03-01", "2026-03-31", v1::GRANULARITY_MONTH);
  v1::CustomersReport r;
  ASSERT_TRUE(stub_->GetCustomersReport(&ctx, req, &r).ok());
  ASSERT_EQ(r.periods_size(), 1);
  EXPECT_EQ(r.periods(0).new_customers(), 2);        // c2 and the guest
  EXPECT_EQ(r.periods(0).new_customer_orders(), 3);  // the guest's second order too
  EXPECT_EQ(r.periods(0).returning_customers(), 1);  // c1
  ASSERT_EQ(r.top_customers_size(), 3);
  EXPECT_TRUE(r.top_customers(0).guest());  // two orders
  EXPECT_EQ(r.top_customers(0).orders(), 2);
  EXPECT_EQ(r.top_customers(0).last_order_id(), g2.id());
  // c1's March total less the January order's refund in March.
  EXPECT_EQ(r.top_customers(2).customer_id(), CustomerId("c1"));
  EXPECT_EQ(r.top_customers(2).total_sales().amount_minor(),
            c1.totals().total().amount_minor() - 1000);
  std::map<std::string, int64_t> by_group;
  for (const auto& row : r.by_group()) by_group[row.key()] = row.customers();
  EXPECT_EQ(by_group["wholesale"], 1);
  EXPECT_EQ(by_group["guest"], 1);
  EXPECT_EQ(by_group[""], 1);

  grpc::ClientContext cctx;
  v1::GetCohortsReportRequest creq;
  *creq.mutable_range() = Range("2026-01-01", "2026-03-31");
  v1::CohortsReport cohorts;
  ASSERT_TRUE(stub_->GetCohortsReport(&cctx, creq, &cohorts).ok());
  ASSERT_EQ(cohorts.cohorts_size(), 2);
  const v1::Cohort& january = cohorts.cohorts(0);
  EXPECT_EQ(january.cohort_month(), "2026-01");
  EXPECT_EQ(january.customers(), 1);
  ASSERT_EQ(january.months_size(), 3);
  EXPECT_EQ(january.months(2).active_customers(), 1);
  EXPECT_EQ(january.months(2).net_sales().amount_minor(),
            c1.totals().subtotal().amount_minor() - 1000);
  EXPECT_EQ(january.lifetime_value().amount_minor(),
            jan.totals().subtotal().amount_minor() + c1.totals().subtotal().amount_minor() - 1000);
  EXPECT_EQ(cohorts.cohorts(1).cohort_month(), "2026-03");
  EXPECT_EQ(cohorts.cohorts(1).customers(), 2);

  grpc::ClientContext pctx;
  v1::GetPaymentsReportRequest preq;
  *preq.mutable_range() = Range("2026-01-01", "2026-03-31", v1::GRANULARITY_MONTH);
  v1::PaymentsReport payments;
  ASSERT_TRUE(stub_->GetPaymentsReport(&pctx, preq, &payments).ok());
  ASSERT_EQ(payments.payments_size(), 1);
  EXPECT_EQ(payments.payments(0).payment_method(), "CARD");
  EXPECT_EQ(payments.payments(0).outcome(), "SUCCEEDED");
  EXPECT_EQ(payments.payments(0).amount().amount_minor(), jan.totals().total().amount_minor());
  ASSERT_EQ(payments.refunds_size(), 3);
  EXPECT_EQ(payments.refunds(2).amount().amount_minor(), 1000);
  EXPECT_EQ(payments.refunds(1).refunds(), 0);
}

TEST_F(ReportingTest, CountingFromPaymentIsASettingAndNeedsNoReplay) {
  March();
  ASSERT_FALSE(HasFailure());
  ReportingOptions paid = parts_.app->options();
  paid.count_from = CountFrom::kPaid;
  ReportingApp app(*pool_, paid);
  ASSERT_TRUE(app.Init().ok());
  v1::GetSalesReportRequest req;
  *req.mutable_range() = Range("2026-03-10", "2026-03-13");
  absl::StatusOr<v1::SalesReport> r = app.Sales(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counted_from(), "paid");
  EXPECT_EQ(r->totals().orders(), 1);  // A only: D is unpaid
  EXPECT_EQ(r->totals().returns().amount_minor(), 960);
}

TEST_F(ReportingTest, NewsletterFunnelFromCampaignEvents) {
  newsletter::v1::Campaign c;
  c.set_id(NewUuid());
  c.set_name("Spring sale");
  *c.mutable_send_start_time() = pg::ToTimestamp(At(3, 3, 9));
  c.mutable_stats()->set_recipients(100);
  newsletter::v1::CampaignSent sent;
  *sent.mutable_campaign() = c;
  ASSERT_TRUE(Deliver(kCampaignsConsumer,
                      events::MakeEnvelope(sent, c.id(), 1, "newsletter-service", At(3, 3, 9)))
                  .ok());
  auto* s = c.mutable_stats();
  s->set_sent(98);
  s->set_failed(2);
  s->set_unique_opens(40);
  s->set_unique_clicks(12);
  s->set_unsubscribes(1);
  s->set_conversions(3);
  s->mutable_conversion_revenue()->set_amount_minor(15000);
  s->mutable_conversion_revenue()->set_currency_code("EUR");
  newsletter::v1::CampaignStatsUpdated update;
  *update.mutable_campaign() = c;
  ASSERT_TRUE(Deliver(kCampaignsConsumer,
                      events::MakeEnvelope(update, c.id(), 2, "newsletter-service", At(3, 4, 9)))
                  .ok());
  // An older snapshot arriving late does not win.
  ASSERT_TRUE(Deliver(kCampaignsConsumer,
                      events::MakeEnvelope(sent, c.id(), 1, "newsletter-service", At(3, 3, 9)))
                  .ok());
  grpc::ClientContext ctx;
  v1::GetNewsletterReportRequest req;
  *req.mutable_range() = Range("2026-03-01", "2026-03-31");
  v1::NewsletterReport r;
  ASSERT_TRUE(stub_->GetNewsletterReport(&ctx, req, &r).ok());
  ASSERT_EQ(r.campaigns_size(), 1);
  EXPECT_EQ(r.campaigns(0).name(), "Spring sale");
  EXPECT_EQ(r.campaigns(0).sent(), 98);
  EXPECT_EQ(r.campaigns(0).delivered(), 96);
  EXPECT_EQ(r.campaigns(0).opened(), 40);
  EXPECT_EQ(r.campaigns(0).converted(), 3);
  EXPECT_EQ(r.campaigns(0).conversion_revenue().amount_minor(), 15000);
}

TEST_F(ReportingTest, ChartsAreSvgOrPng) {
  March();
  ASSERT_FALSE(HasFailure());
  v1::RenderReportChartRequest req;
  *req.mutable_range() = Range("2026-03-01", "2026-03-31");
  req.set_comparison(v1::COMPARISON_PREVIOUS_PERIOD);
  auto [svg, svg_type] =
      Export([&](grpc::ClientContext* ctx) { return stub_->RenderReportChart(ctx, req); });
  EXPECT_EQ(svg_type, "image/svg+xml");
  EXPECT_THAT(svg, HasSubstr("<svg"));
  req.set_format(v1::CHART_FORMAT_PNG);
  req.set_metric("orders");
  auto [png, png_type] =
      Export([&](grpc::ClientContext* ctx) { return stub_->RenderReportChart(ctx, req); });
  EXPECT_EQ(png_type, "image/png");
  EXPECT_EQ(png.substr(0, 4), "\x89PNG");
}

TEST_F(ReportingTest, BadRequestsNameTheField) {
  auto call = [&](v1::GetSalesReportRequest req) {
    grpc::ClientContext ctx;
    v1::SalesReport out;
    return stub_->GetSalesReport(&ctx, req, &out);
  };
  v1::GetSalesReportRequest req;
  grpc::Status s = call(req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("range.start_date"));
  *req.mutable_range() = Range("2026-03-01", "2026-02-01");
  EXPECT_THAT(call(req).error_message(), HasSubstr("range.end_date: must not be before"));
  *req.mutable_range() = Range("2026-03-01", "2026-03-31");
  req.set_currency_code("EURO");
  EXPECT_THAT(call(req).error_message(), HasSubstr("currency_code"));

  grpc::ClientContext ctx;
  v1::RenderReportChartRequest chart;
  *chart.mutable_range() = Range("2026-03-01", "2026-03-31");
  chart.set_metric("profit");
  auto reader = stub_->RenderReportChart(&ctx, chart);
  v1::DocumentChunk chunk;
  while (reader->Read(&chunk)) {
  }
  s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("metric: must be one of net_sales"));

  // A customer identity gets nothing.
  grpc::ClientContext cctx;
  cctx.AddMetadata("x-customer-id", CustomerId("c1"));
  v1::SalesReport out;
  v1::GetSalesReportRequest ok;
  *ok.mutable_range() = Range("2026-03-01", "2026-03-31");
  EXPECT_EQ(stub_->GetSalesReport(&cctx, ok, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ReportingTest, TheRealConsumersKeepTheReportsFresh) {
  StartConsumer(kOrdersConsumer);
  ov1::Order o = NewOrder(At(3, 10, 10), "c1");
  ov1::OrderPlaced e;
  *e.mutable_order() = o;
  const common::v1::EventEnvelope env = Envelope(e, o, At(3, 10, 10));
  // Twice on the topic: the inbox applies it once.
  kafka_->Produce(order::v1::kOrdersTopic, o.id(), env.SerializeAsString());
  kafka_->Produce(order::v1::kOrdersTopic, o.id(), env.SerializeAsString());
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM report_orders") == 1; },
                               absl::Seconds(20)));
  EXPECT_EQ(Sales(Range("2026-03-10", "2026-03-10")).totals().orders(), 1);
}

TEST_F(ReportingTest, TheDayRowsStayInStepWithTheOrdersTheySum) {
  // Orders moving through statuses, refunded, cancelled after payment,
  // cancelled before, replayed out of order: report_days kept step by step
  // is what its definition over the orders gives.
  March();
  ov1::Order e = NewOrder(At(3, 14, 23, 50), "c1", 25, "EUR", ov1::PAYMENT_METHOD_PAYPAL);
  Placed(e);
  Paid(e, At(3, 15, 0, 10));
  Status(e, ov1::ORDER_STATUS_CANCELLED, At(3, 15, 1));
  Refund(e, e.totals().total().amount_minor(), At(3, 16, 9));
  ov1::Order f = NewOrder(At(3, 17, 9), "c2", 0);
  Placed(f);
  Status(f, ov1::ORDER_STATUS_REJECTED, At(3, 17, 10));
  ASSERT_FALSE(HasFailure());
  for (const auto& env : std::vector<common::v1::EventEnvelope>(delivered_)) {
    ASSERT_TRUE(Deliver(kOrdersConsumer, env).ok());
  }
  // Every row, zero rows included (there must be none).
  const std::string nonzero =
      "SELECT string_agg(concat_ws('|', currency, day, status, payment_method, delivery_method,"
      " orders, units, gross, discount, shipping, tax, returns), ',' ORDER BY currency, day,"
      " status, payment_method, delivery_method) FROM report_days";
  const std::string kept = Sql(nonzero)[0][0].as<std::string>("");
  ASSERT_FALSE(kept.empty());
  ASSERT_TRUE(pool_
                  ->InTransaction([](pqxx::work& tx) {
                    ReportStore::RecomputeDays(tx, "Europe/Berlin");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Sql(nonzero)[0][0].as<std::string>(""), kept);
  // E counts (paid, then cancelled): its gross in, its full refund out.
  const v1::SalesReport r = Sales(Range("2026-03-14", "2026-03-17"));
  EXPECT_EQ(r.buckets(0).figures().orders(), 1);
  EXPECT_EQ(r.buckets(2).figures().returns().amount_minor(), e.totals().total().amount_minor());
  EXPECT_EQ(r.buckets(3).figures().orders(), 0);  // F was rejected unpaid
  EXPECT_EQ(r.totals().total_sales().amount_minor(), 0);
}

TEST_F(ReportingTest, RebuildFromOffsetZeroEqualsLiveAndSwapsAtomically) {
  via_kafka_ = true;
  StartConsumer(kOrdersConsumer);
  March();
  ov1::Order e = NewOrder(At(3, 20, 15), "c1", 25);
  Placed(e);
  Refund(e, 777, At(3, 25, 10));
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM report_refunds") == 2; },
                               absl::Seconds(20)));
  const v1::ReportRange range = Range("2026-03-01", "2026-03-31");
  const v1::SalesReport before = Sales(range);
  auto start = [&](bool dry_run) {
    grpc::ClientContext ctx;
    v1::StartRebuildRequest req;
    req.set_dry_run(dry_run);
    v1::Rebuild started;
    grpc::Status s = stub_->StartRebuild(&ctx, req, &started);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(started.state(), v1::REBUILD_STATE_REPLAYING);
    return started;
  };

  // A dry run replays and compares, and leaves the live tables alone.
  v1::Rebuild dry = start(/*dry_run=*/true);
  auto wait_for = [&](const std::string& id, v1::RebuildState state) {
    v1::Rebuild r;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          EXPECT_TRUE(RunPeriodic(kRebuildJob).ok());
          grpc::ClientContext ctx;
          v1::GetRebuildRequest get;
          get.set_id(id);
          EXPECT_TRUE(stub_->GetRebuild(&ctx, get, &r).ok());
          return r.state() == state;
        },
        absl::Seconds(60)))
        << r.DebugString();
    return r;
  };
  v1::Rebuild compared = wait_for(dry.id(), v1::REBUILD_STATE_COMPARED);
  ASSERT_EQ(compared.comparison_size(), 8);
  for (const auto& table : compared.comparison()) {
    EXPECT_TRUE(table.equal()) << table.DebugString();
  }
  EXPECT_EQ(compared.comparison(0).table(), "report_orders");
  EXPECT_EQ(compared.comparison(0).shadow_rows(), 5);
  EXPECT_GE(compared.events_applied(), static_cast<int64_t>(delivered_.size()));
  EXPECT_EQ(compared.events_remaining(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM reporting_shadow.report_orders"), 5);

  // The real thing: shadow, compare, swap, catch up.
  v1::Rebuild started = start(/*dry_run=*/false);
  // A second one is refused while it runs.
  {
    grpc::ClientContext ctx;
    v1::Rebuild again;
    EXPECT_EQ(stub_->StartRebuild(&ctx, v1::StartRebuildRequest(), &again).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  // An order placed while it replays reaches the reports either way.
  ov1::Order late = NewOrder(At(3, 28, 12), "c2", 0);
  Placed(late);
  v1::Rebuild done = wait_for(started.id(), v1::REBUILD_STATE_DONE);
  EXPECT_TRUE(done.has_switch_time());
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM report_orders") == 6; },
                               absl::Seconds(20)));
  EXPECT_EQ(Count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'reporting_%'"), 0);
  // The swapped-in tables carry the migration's index names.
  EXPECT_EQ(Count("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"
                  " AND indexname IN ('report_orders_counted', 'report_orders_customer',"
                  " 'report_refunds_time', 'report_order_lines_sku')"),
            4);
  EXPECT_EQ(Count("SELECT count(*) FROM inbox WHERE consumer LIKE 'reporting-rebuild-%'"), 0);
  // Same figures as before, plus the late order.
  v1::SalesReport after = Sales(range);
  EXPECT_EQ(after.totals().orders(), before.totals().orders() + 1);
  EXPECT_EQ(after.totals().net_sales().amount_minor(),
            before.totals().net_sales().amount_minor() + late.totals().subtotal().amount_minor());
  EXPECT_EQ(after.totals().returns().amount_minor(), before.totals().returns().amount_minor());
}

}  // namespace
}  // namespace store::reporting
