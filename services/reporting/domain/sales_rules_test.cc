#include "services/reporting/domain/sales_rules.h"

#include <gtest/gtest.h>

#include "google/protobuf/text_format.h"

namespace store::reporting {
namespace {

order::v1::Order Parse(const std::string& text) {
  order::v1::Order order;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &order));
  return order;
}

// Two lines, 10% off, 5.00 shipping, 20% tax: hand-computed below.
constexpr char kOrder[] = R"pb(
  id: "o1"
  number: 10001
  status: ORDER_STATUS_PROCESSING
  currency_code: "EUR"
  version: 3
  customer { customer_id: "c1" }
  payment_method: PAYMENT_METHOD_CARD
  delivery_method { code: "express" }
  shipping_address { country_code: "DE" }
  create_time { seconds: 1780000000 }
  items {
    sku: "MUG"
    name: "Mug"
    quantity: 2
    unit_price { amount_minor: 1000 }
    discount { amount_minor: 200 }
  }
  items {
    sku: "TEE"
    name: "Tee"
    quantity: 1
    unit_price { amount_minor: 3000 }
    discount { amount_minor: 300 }
  }
  totals {
    subtotal { amount_minor: 5000 }
    discount { amount_minor: 500 }
    shipping { amount_minor: 500 }
    tax { amount_minor: 1000 }
    total { amount_minor: 6000 }
    paid { amount_minor: 6000 }
  }
)pb";

TEST(SalesRulesTest, AnOrderWithDiscountShippingTaxPartlyRefundedTwoDaysLater) {
  const OrderFacts order = FactsOf(Parse(kOrder), "guest:x");
  EXPECT_EQ(order.customer_key, "c1");
  EXPECT_EQ(order.status, "PROCESSING");
  EXPECT_EQ(order.payment_method, "CARD");
  EXPECT_EQ(order.gross, 5000);    // 2 × 10.00 + 30.00
  EXPECT_EQ(order.discount, 500);  // 10%
  EXPECT_EQ(order.shipping, 500);
  EXPECT_EQ(order.tax, 1000);
  EXPECT_EQ(order.units, 3);

  // One mug back two days later: its unit's value net of discount is 8.00,
  // plus its tax 1.60: 9.60 refunded.
  order::v1::Refund refund;
  refund.mutable_amount()->set_amount_minor(960);
  auto* line = refund.add_lines();
  line->set_sku("MUG");
  line->set_quantity(1);
  const std::vector<RefundLineFacts> attributed = AttributeRefund(order, refund);
  ASSERT_EQ(attributed.size(), 1u);
  EXPECT_EQ(attributed[0].sku, "MUG");
  EXPECT_EQ(attributed[0].quantity, 1);
  EXPECT_EQ(attributed[0].amount, 960);

  // On the order's day.
  Figures day0{
      .orders = 1, .units = 3, .gross = 5000, .discounts = 500, .shipping = 500, .taxes = 1000};
  EXPECT_EQ(day0.Net(), 4500);
  EXPECT_EQ(day0.Total(), 6000);  // the order's total
  EXPECT_EQ(day0.AverageOrderValue(), 4500);
  // Two days later, only the return.
  Figures day2{.returns = 960};
  EXPECT_EQ(day2.Net(), -960);
  EXPECT_EQ(day2.Total(), -960);
  EXPECT_EQ(day2.AverageOrderValue(), 0);
  Figures range = day0;
  range += day2;
  EXPECT_EQ(range.Net(), 3540);
  EXPECT_EQ(range.Total(), 5040);  // what the store kept

  v1::SalesFigures proto = ToProto(range, "EUR");
  EXPECT_EQ(proto.net_sales().amount_minor(), 3540);
  EXPECT_EQ(proto.total_sales().currency_code(), "EUR");
}

TEST(SalesRulesTest, AnAmountOnlyRefundIsSpreadOverEveryLineExactly) {
  const OrderFacts order = FactsOf(Parse(kOrder), "");
  order::v1::Refund refund;
  refund.mutable_amount()->set_amount_minor(1001);
  const std::vector<RefundLineFacts> attributed = AttributeRefund(order, refund);
  ASSERT_EQ(attributed.size(), 2u);
  // Weights 1800 (MUG) and 2700 (TEE): 400.4 and 600.6.
  EXPECT_EQ(attributed[0].amount + attributed[1].amount, 1001);
  EXPECT_EQ(attributed[0].amount, 400);
  EXPECT_EQ(attributed[1].amount, 601);
  EXPECT_EQ(attributed[0].quantity, 0);
}

TEST(SalesRulesTest, GuestsAreKnownByTheirKeyNeverTheirEmail) {
  order::v1::Order o = Parse(kOrder);
  o.mutable_customer()->clear_customer_id();
  o.mutable_customer()->set_email("ann@example.com");
  const OrderFacts order = FactsOf(o, "guest:abc");
  EXPECT_EQ(order.customer_key, "guest:abc");
  EXPECT_EQ(order.customer_id, "");
}

TEST(SalesRulesTest, WhenAnOrderCounts) {
  OrderFacts order = FactsOf(Parse(kOrder), "");
  const absl::Time paid = order.placed_at + absl::Hours(30);
  EXPECT_EQ(CountedAt(CountFrom::kPlaced, order, paid), order.placed_at);
  EXPECT_EQ(CountedAt(CountFrom::kPaid, order, paid), paid);
  EXPECT_EQ(CountedAt(CountFrom::kPaid, order, std::nullopt), std::nullopt);
  // Cancelled after payment: money moved, it counts (its refund is a return).
  order.status = "CANCELLED";
  EXPECT_EQ(CountedAt(CountFrom::kPlaced, order, paid), order.placed_at);
  // Cancelled or rejected before any payment: it never counts.
  order.any_payment = false;
  EXPECT_EQ(CountedAt(CountFrom::kPlaced, order, std::nullopt), std::nullopt);
  order.status = "REJECTED";
  EXPECT_EQ(CountedAt(CountFrom::kPlaced, order, std::nullopt), std::nullopt);
  order.status = "PENDING";
  EXPECT_EQ(CountedAt(CountFrom::kPlaced, order, std::nullopt), order.placed_at);

  EXPECT_FALSE(ParseCountFrom("shipped").ok());
  EXPECT_EQ(CountFromName(*ParseCountFrom("paid")), "paid");
}

TEST(SalesRulesTest, LinesDigestChangesWithTheLinesOnly) {
  OrderFacts order = FactsOf(Parse(kOrder), "");
  const std::string digest = LinesDigest(order);
  EXPECT_EQ(digest.size(), 16u);
  order.status = "SHIPPED";
  EXPECT_EQ(LinesDigest(order), digest);
  order.lines[1].quantity = 2;
  EXPECT_NE(LinesDigest(order), digest);
  order.lines[1].quantity = 1;
  std::swap(order.lines[0].sku, order.lines[1].sku);
  EXPECT_NE(LinesDigest(order), digest);
}

TEST(SalesRulesTest, RoundingIsHalfAwayFromZero) {
  EXPECT_EQ(DivideRounded(5, 2), 3);
  EXPECT_EQ(DivideRounded(-5, 2), -3);
  EXPECT_EQ(DivideRounded(4, 3), 1);
  EXPECT_EQ(DivideRounded(-4, 3), -1);
  EXPECT_EQ(DivideRounded(7, 0), 0);
}

TEST(SalesRulesTest, CohortArithmetic) {
  const absl::CivilMonth jan(2026, 1), feb(2026, 2), mar(2026, 3);
  // January: 3 customers; 2 bought again in March, one of them refunded.
  // February: 1 customer, nothing after.
  std::map<absl::CivilMonth, int64_t> sizes = {{jan, 3}, {feb, 1}};
  std::vector<CohortCell> cells = {
      {jan, jan, 3, 4, 10000},
      {jan, mar, 2, 2, 3000},
      {jan, mar, 0, 0, -1000},  // a refund in March of a January order
      {feb, feb, 1, 1, 2500},
  };
  std::vector<v1::Cohort> cohorts = BuildCohorts(sizes, cells, mar, "USD");
  ASSERT_EQ(cohorts.size(), 2u);
  EXPECT_EQ(cohorts[0].cohort_month(), "2026-01");
  ASSERT_EQ(cohorts[0].months_size(), 3);
  EXPECT_EQ(cohorts[0].months(0).active_customers(), 3);
  EXPECT_EQ(cohorts[0].months(1).active_customers(), 0);  // February: nobody
  EXPECT_EQ(cohorts[0].months(1).net_sales().amount_minor(), 0);
  EXPECT_EQ(cohorts[0].months(2).active_customers(), 2);
  EXPECT_EQ(cohorts[0].months(2).net_sales().amount_minor(), 2000);
  EXPECT_EQ(cohorts[0].net_sales().amount_minor(), 12000);
  EXPECT_EQ(cohorts[0].lifetime_value().amount_minor(), 4000);
  EXPECT_EQ(cohorts[1].cohort_month(), "2026-02");
  EXPECT_EQ(cohorts[1].months_size(), 2);
  EXPECT_EQ(cohorts[1].lifetime_value().amount_minor(), 2500);
}

}  // namespace
}  // namespace store::reporting
