#include "services/order/domain/order_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

v1::PlaceOrderRequest ValidRequest() {
  v1::PlaceOrderRequest r;
  r.set_request_id("7d3c8a5e-0f5e-4c8e-9a51-7b1e8f2f2a10");
  r.set_currency_code("USD");
  r.mutable_customer()->set_email(" Ann@Example.com ");
  r.mutable_customer()->set_name("Ann Lee");
  r.mutable_customer()->set_phone("00965 1234-5678");
  auto* item = r.add_items();
  item->set_sku("MUG-1");
  item->set_name("Blue mug");
  item->set_quantity(3);
  item->mutable_unit_price()->set_amount_minor(999);
  item->set_tax_rate_bp(2000);
  auto* a = r.mutable_shipping_address();
  a->set_name("Ann Lee");
  a->set_line1("1 Main St");
  a->set_city("Springfield");
  a->set_country_code("us");
  r.mutable_delivery_method()->set_code("standard");
  r.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
  r.set_payment_method(v1::PAYMENT_METHOD_CARD);
  return r;
}

void ExpectInvalidField(const v1::PlaceOrderRequest& r, const std::string& field) {
  absl::StatusOr<v1::Order> o = BuildNewOrder(r);
  ASSERT_FALSE(o.ok()) << "expected an error on " << field;
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(o.status())->field(), field) << o.status();
  EXPECT_THAT(o.status().message(), HasSubstr(field));
}

TEST(BuildNewOrderTest, NormalisesAndPrices) {
  absl::StatusOr<v1::Order> o = BuildNewOrder(ValidRequest());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->customer().email(), "ann@example.com");
  EXPECT_EQ(o->customer().phone(), "+96512345678");
  EXPECT_TRUE(o->customer().guest());
  EXPECT_EQ(o->shipping_address().country_code(), "US");
  EXPECT_EQ(o->billing_address().line1(), "1 Main St");  // defaulted
  EXPECT_EQ(o->totals().subtotal().amount_minor(), 2997);
  EXPECT_EQ(o->totals().tax().amount_minor(), 599);  // 20% of 29.97 = 5.994
  EXPECT_EQ(o->totals().shipping().amount_minor(), 500);
  EXPECT_EQ(o->totals().total().amount_minor(), 2997 + 599 + 500);
  EXPECT_EQ(o->totals().total().currency_code(), "USD");
}

TEST(BuildNewOrderTest, IgnoresClientTotals) {
  v1::PlaceOrderRequest r = ValidRequest();
  r.mutable_items(0)->mutable_total()->set_amount_minor(1);
  r.mutable_items(0)->mutable_discount()->set_amount_minor(999999);
  absl::StatusOr<v1::Order> o = BuildNewOrder(r);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->items(0).total().amount_minor(), 2997 + 599);
  EXPECT_EQ(o->items(0).discount().amount_minor(), 0);
}

TEST(BuildNewOrderTest, RejectsBadInputNamingTheField) {
  v1::PlaceOrderRequest r = ValidRequest();
  r.clear_items();
  ExpectInvalidField(r, "items");
  r = ValidRequest();
  r.mutable_items(0)->set_quantity(-1);
  ExpectInvalidField(r, "items[0].quantity");
  r = ValidRequest();
  r.mutable_items(0)->set_quantity(0);
  ExpectInvalidField(r, "items[0].quantity");
  r = ValidRequest();
  r.set_currency_code("XYZ");
  ExpectInvalidField(r, "currency_code");
  r = ValidRequest();
  r.mutable_customer()->set_email("not-an-email");
  ExpectInvalidField(r, "customer.email");
  r = ValidRequest();
  r.mutable_customer()->set_phone("12345");
  ExpectInvalidField(r, "customer.phone");
  r = ValidRequest();
  r.mutable_items(0)->mutable_unit_price()->set_amount_minor(-5);
  ExpectInvalidField(r, "items[0].unit_price.amount_minor");
  r = ValidRequest();
  r.mutable_items(0)->mutable_unit_price()->set_currency_code("EUR");
  ExpectInvalidField(r, "items[0].unit_price.currency_code");
  r = ValidRequest();
  r.set_request_id("abc");
  ExpectInvalidField(r, "request_id");
  r = ValidRequest();
  r.set_payment_method(v1::PAYMENT_METHOD_UNSPECIFIED);
  ExpectInvalidField(r, "payment_method");
  r = ValidRequest();
  r.mutable_shipping_address()->set_country_code("USA");
  ExpectInvalidField(r, "shipping_address.country_code");
  r = ValidRequest();
  r.mutable_customer()->set_name("Ann\r\nBcc: x");
  ExpectInvalidField(r, "customer.name");
  r = ValidRequest();
  r.add_discounts()->set_percent_bp(20000);
  ExpectInvalidField(r, "discounts[0].percent_bp");
}

TEST(PriceOrderTest, SharesDiscountsExactlyAndRoundsTaxPerLine) {
  v1::Order o;
  o.set_currency_code("USD");
  for (int i = 0; i < 3; ++i) {
    auto* item = o.add_items();
    item->set_quantity(1);
    item->mutable_unit_price()->set_amount_minor(333);
    item->set_tax_rate_bp(1000);
  }
  o.add_discounts()->mutable_amount()->set_amount_minor(100);  // 1.00 off 9.99
  ASSERT_TRUE(PriceOrder(&o).ok());
  int64_t shares = 0;
  for (const auto& item : o.items()) shares += item.discount().amount_minor();
  EXPECT_EQ(shares, 100);
  EXPECT_EQ(o.items(0).discount().amount_minor(), 34);  // largest remainder goes first
  EXPECT_EQ(o.items(1).discount().amount_minor(), 33);
  // (333-34)*10% = 29.9 -> 30; (333-33)*10% = 30
  EXPECT_EQ(o.totals().tax().amount_minor(), 30 + 30 + 30);
  EXPECT_EQ(o.totals().total().amount_minor(), 999 - 100 + 90);
}

TEST(PriceOrderTest, PercentThenFixedNeverBelowZero) {
  v1::Order o;
  o.set_currency_code("KWD");
  auto* item = o.add_items();
  item->set_quantity(2);
  item->mutable_unit_price()->set_amount_minor(1000);
  o.add_discounts()->set_percent_bp(5000);
  o.add_discounts()->mutable_amount()->set_amount_minor(5000);
  ASSERT_TRUE(PriceOrder(&o).ok());
  EXPECT_EQ(o.discounts(0).applied().amount_minor(), 1000);
  EXPECT_EQ(o.discounts(1).applied().amount_minor(), 1000);
  EXPECT_EQ(o.totals().total().amount_minor(), 0);
}

TEST(RefundTest, NeverMoreThanPaid) {
  absl::StatusOr<v1::Order> o = BuildNewOrder(ValidRequest());
  ASSERT_TRUE(o.ok());
  o->mutable_totals()->mutable_paid()->set_amount_minor(o->totals().total().amount_minor());
  v1::RefundOrderRequest r;
  r.set_reason("damaged");
  auto* line = r.add_lines();
  line->set_sku("MUG-1");
  line->set_quantity(1);
  absl::StatusOr<int64_t> amount = ApplyRefund(r, &*o);
  ASSERT_TRUE(amount.ok()) << amount.status();
  EXPECT_EQ(*amount, (2997 + 599) / 3);
  EXPECT_EQ(o->items(0).refunded_quantity(), 1);
  v1::RefundOrderRequest too_much;
  too_much.set_reason("x");
  too_much.mutable_amount()->set_amount_minor(o->totals().total().amount_minor());
  absl::StatusOr<int64_t> refused = ApplyRefund(too_much, &*o);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorInfo(refused.status())->reason(), "REFUND_EXCEEDS_PAID");
  v1::RefundOrderRequest bad_qty = r;
  bad_qty.mutable_lines(0)->set_quantity(3);  // only 2 left
  EXPECT_EQ(ApplyRefund(bad_qty, &*o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ShipmentTest, DerivesTrackingUrl) {
  v1::ShipOrderRequest r;
  r.set_carrier("UPS");
  r.set_tracking_number("1Z999AA10123456784");
  absl::StatusOr<v1::Shipment> s = BuildShipment(r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->tracking_url(), "https://www.ups.com/track?tracknum=1Z999AA10123456784");
  r.set_tracking_number("1Z<script>");
  EXPECT_FALSE(BuildShipment(r).ok());
  r.set_tracking_number("ABC");
  r.set_tracking_url("javascript:alert(1)");
  EXPECT_FALSE(BuildShipment(r).ok());
}

TEST(FingerprintTest, StableAndSensitive) {
  v1::PlaceOrderRequest a = ValidRequest();
  v1::PlaceOrderRequest b = ValidRequest();
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  b.mutable_items(0)->set_quantity(4);
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
}

TEST(BuildNewOrderTest, StoreCreditNeedsARegisteredCustomer) {
  v1::PlaceOrderRequest r = ValidRequest();
  r.set_payment_method(v1::PAYMENT_METHOD_STORE_CREDIT);
  ExpectInvalidField(r, "payment_method");
  r.mutable_customer()->set_customer_id("0b9c4a8e-1f5e-4c8e-9a51-7b1e8f2f2a10");
  EXPECT_TRUE(BuildNewOrder(r).ok());
}

TEST(GroupDiscountTest, AppendedAfterCouponsAndPriced) {
  v1::PlaceOrderRequest r = ValidRequest();  // 3 x 9.99, 20% tax, 5.00 shipping
  r.mutable_customer()->set_customer_id("0b9c4a8e-1f5e-4c8e-9a51-7b1e8f2f2a10");
  r.add_discounts()->mutable_amount()->set_amount_minor(997);  // 9.97 off: 20.00 left
  v1::Order o = *BuildNewOrder(r);
  ASSERT_TRUE(ApplyGroupDiscount(1000, "Wholesale", &o).ok());
  ASSERT_EQ(o.discounts_size(), 2);
  EXPECT_EQ(o.discounts(1).code(), "GROUP");
  EXPECT_EQ(o.discounts(1).description(), "Wholesale group discount");
  EXPECT_EQ(o.discounts(1).percent_bp(), 1000);
  EXPECT_EQ(o.discounts(1).applied().amount_minor(), 200);  // 10% of 20.00
  EXPECT_EQ(o.totals().discount().amount_minor(), 1197);
  EXPECT_EQ(o.totals().tax().amount_minor(), 360);  // 20% of 18.00
  EXPECT_EQ(o.totals().total().amount_minor(), 2997 - 1197 + 500 + 360);
}

TEST(GroupDiscountTest, NothingForGuestsOrZero) {
  v1::Order guest = *BuildNewOrder(ValidRequest());
  ASSERT_TRUE(ApplyGroupDiscount(1000, "Wholesale", &guest).ok());
  EXPECT_EQ(guest.discounts_size(), 0);
  v1::PlaceOrderRequest r = ValidRequest();
  r.mutable_customer()->set_customer_id("0b9c4a8e-1f5e-4c8e-9a51-7b1e8f2f2a10");
  v1::Order o = *BuildNewOrder(r);
  ASSERT_TRUE(ApplyGroupDiscount(0, "Default", &o).ok());
  EXPECT_EQ(o.discounts_size(), 0);
  ASSERT_TRUE(ApplyGroupDiscount(20000, "", &o).ok());
  EXPECT_EQ(o.discounts(0).percent_bp(), 10000);
  EXPECT_EQ(o.discounts(0).description(), "Group discount");
  EXPECT_EQ(o.totals().total().amount_minor(), 500);  // shipping only
}

TEST(AnonymiseOrderTest, ReplacesPersonalDataKeepsTheRest) {
  v1::PlaceOrderRequest r = ValidRequest();
  r.set_customer_note("Ring twice, Ann");
  auto* b = r.mutable_billing_address();
  *b = r.shipping_address();
  b->set_company("Lee Ltd");
  b->set_vat_id("GB123");
  b->set_phone("+15551234567");
  b->set_postal_code("12345");
  b->set_region("IL");
  v1::Order o = *BuildNewOrder(r);
  o.set_id("5f0e9a1c-0000-4000-8000-000000000001");
  const v1::Order before = o;
  EXPECT_FALSE(IsAnonymised(o));
  AnonymiseOrder(&o);
  EXPECT_TRUE(IsAnonymised(o));
  EXPECT_EQ(o.customer().name(), "Erased customer");
  EXPECT_EQ(o.customer().email(), "erased+5f0e9a1c@invalid");  // a guest: the order id
  EXPECT_EQ(o.customer().phone(), "");
  EXPECT_EQ(o.customer_note(), "");
  for (const auto& a : {o.shipping_address(), o.billing_address()}) {
    EXPECT_EQ(a.name(), "Erased customer");
    EXPECT_EQ(a.company() + a.line1() + a.line2() + a.city() + a.postal_code() + a.phone() +
                  a.vat_id(),
              "");
    EXPECT_EQ(a.country_code(), "US");
  }
  EXPECT_EQ(o.billing_address().region(), "IL");
  EXPECT_EQ(o.totals().SerializeAsString(), before.totals().SerializeAsString());
  EXPECT_EQ(o.items_size(), before.items_size());
  EXPECT_EQ(o.customer().guest(), true);

  v1::Order registered = *BuildNewOrder(r);
  registered.mutable_customer()->set_customer_id("0b9c4a8e-1f5e-4c8e-9a51-7b1e8f2f2a10");
  AnonymiseOrder(&registered);
  EXPECT_EQ(registered.customer().email(), "erased+0b9c4a8e@invalid");
  EXPECT_EQ(registered.customer().customer_id(), "0b9c4a8e-1f5e-4c8e-9a51-7b1e8f2f2a10");
}

TEST(ApplyReturnTest, CountsReceivedAndDamagedUnitsAgainstWhatShipped) {
  v1::Order order;
  auto* item = order.add_items();
  item->set_sku("MUG");
  item->set_quantity(3);
  v1::RecordReturnRequest req;
  auto* line = req.add_lines();
  line->set_sku("MUG");
  line->set_quantity_received(2);
  absl::StatusOr<std::vector<v1::ReturnLine>> lines = ApplyReturn(req, &order);
  EXPECT_EQ(lines.status().code(), absl::StatusCode::kFailedPrecondition);  // not shipped
  order.mutable_shipment()->mutable_shipped_at()->set_seconds(1);
  lines = ApplyReturn(req, &order);
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_EQ(order.items(0).returned_quantity(), 2);
  line->set_quantity_received(1);
  line->set_quantity_damaged(1);  // 2 more, 1 left
  EXPECT_EQ(ApplyReturn(req, &order).status().code(), absl::StatusCode::kInvalidArgument);
  line->set_quantity_received(0);
  line->set_quantity_damaged(0);
  EXPECT_EQ(ApplyReturn(req, &order).status().code(), absl::StatusCode::kInvalidArgument);
  line->set_quantity_damaged(-1);
  EXPECT_EQ(ApplyReturn(req, &order).status().code(), absl::StatusCode::kInvalidArgument);
  line->set_quantity_damaged(1);
  ASSERT_TRUE(ApplyReturn(req, &order).ok());
  EXPECT_EQ(order.items(0).returned_quantity(), 3);
  req.mutable_lines(0)->set_sku("CAP");
  EXPECT_EQ(ApplyReturn(req, &order).status().code(), absl::StatusCode::kInvalidArgument);
  req.clear_lines();
  EXPECT_EQ(ApplyReturn(req, &order).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace store::order
