#include "services/order/domain/cart_rules.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "services/order/domain/order_rules.h"

namespace store::order {
namespace {

using google::protobuf::FieldMask;
using google::protobuf::util::TimeUtil;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::function<std::string()> Ids() {
  auto n = std::make_shared<int>(0);
  return [n] { return "line-" + std::to_string(++*n); };
}

v1::CartLine Line(const std::string& sku, int quantity, int64_t price, int tax_bp = 0) {
  v1::CartLine line;
  line.set_sku(sku);
  line.set_name("Product " + sku);
  line.set_quantity(quantity);
  line.mutable_unit_price()->set_amount_minor(price);
  line.set_tax_rate_bp(tax_bp);
  return line;
}

v1::Cart CompleteCart() {
  v1::Cart in;
  in.set_email(" Ann@Example.com ");
  *in.add_lines() = Line("MUG-1", 2, 1250, 2000);
  *in.add_lines() = Line("TEE-1", 1, 1999, 2000);
  auto* a = in.mutable_shipping_address();
  a->set_name("Ann Lee");
  a->set_line1("1 Main St");
  a->set_city("Springfield");
  a->set_country_code("us");
  in.mutable_delivery_method()->set_code("standard");
  in.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
  in.mutable_delivery_method()->set_tax_rate_bp(2000);
  absl::StatusOr<v1::Cart> cart = BuildNewCart(in, "USD", Ids());
  EXPECT_TRUE(cart.ok()) << cart.status();
  return *cart;
}

FieldMask Mask(std::initializer_list<const char*> paths) {
  FieldMask m;
  for (const char* p : paths) m.add_paths(p);
  return m;
}

std::string FieldOf(const absl::Status& s) {
  auto info = GetErrorInfo(s);
  return info.has_value() ? info->field() : "";
}

std::string ReasonOf(const absl::Status& s) {
  auto info = GetErrorInfo(s);
  return info.has_value() ? info->reason() : "";
}

TEST(CartRulesTest, NewCartIsNormalisedWithLineIds) {
  v1::Cart cart = CompleteCart();
  EXPECT_EQ(cart.currency_code(), "USD");
  EXPECT_EQ(cart.email(), "ann@example.com");
  EXPECT_EQ(cart.state(), v1::CART_STATE_OPEN);
  ASSERT_EQ(cart.lines_size(), 2);
  EXPECT_EQ(cart.lines(0).id(), "line-1");
  EXPECT_EQ(cart.lines(1).id(), "line-2");
  EXPECT_EQ(cart.lines(0).unit_price().currency_code(), "USD");
  EXPECT_EQ(cart.shipping_address().country_code(), "US");
}

TEST(CartRulesTest, BadNewCartsNameTheField) {
  struct Case {
    const char* field;
    std::function<void(v1::Cart&)> mutate;
  };
  std::vector<Case> cases = {
      {"cart.currency_code", [](v1::Cart& c) { c.set_currency_code("ZZZ"); }},
      {"cart.customer_id", [](v1::Cart& c) { c.set_customer_id("ann"); }},
      {"cart.email", [](v1::Cart& c) { c.set_email("ann@"); }},
      {"cart.lines[0].quantity", [](v1::Cart& c) { *c.add_lines() = Line("A", 0, 100); }},
      {"cart.lines[0].unit_price.currency_code",
       [](v1::Cart& c) {
         *c.add_lines() = Line("A", 1, 100);
         c.mutable_lines(0)->mutable_unit_price()->set_currency_code("EUR");
       }},
      {"cart.lines[1].sku",
       [](v1::Cart& c) {
         *c.add_lines() = Line("A", 1, 100);
         *c.add_lines() = Line("A", 2, 100);
       }},
      {"cart.discount_code", [](v1::Cart& c) { c.set_discount_code("a b"); }},
      {"cart.delivery_method.code", [](v1::Cart& c) { c.mutable_delivery_method(); }},
  };
  for (const Case& c : cases) {
    v1::Cart in;
    c.mutate(in);
    absl::StatusOr<v1::Cart> cart = BuildNewCart(in, "USD", Ids());
    ASSERT_FALSE(cart.ok()) << c.field;
    EXPECT_EQ(cart.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(FieldOf(cart.status()), c.field) << cart.status();
  }
}

TEST(CartRulesTest, AddingASkuAgainAddsToItsLine) {
  v1::Cart cart = CompleteCart();
  ASSERT_TRUE(AddCartLine(&cart, Line("MUG-1", 3, 1100), "new").ok());
  ASSERT_EQ(cart.lines_size(), 2);
  EXPECT_EQ(cart.lines(0).id(), "line-1");
  EXPECT_EQ(cart.lines(0).quantity(), 5);
  EXPECT_EQ(cart.lines(0).unit_price().amount_minor(), 1100);  // the new price
  ASSERT_TRUE(AddCartLine(&cart, Line("CAP-1", 1, 900), "line-3").ok());
  EXPECT_EQ(cart.lines_size(), 3);
  absl::Status s = AddCartLine(&cart, Line("CAP-1", kMaxQuantity, 900), "x");
  EXPECT_EQ(FieldOf(s), "line.quantity");
  EXPECT_EQ(cart.lines(2).quantity(), 1);
}

TEST(CartRulesTest, UpdateAndRemoveLines) {
  v1::Cart cart = CompleteCart();
  v1::CartLine change;
  change.set_id("line-2");
  change.set_quantity(4);
  ASSERT_TRUE(UpdateCartLine(&cart, change, FieldMask()).ok());
  EXPECT_EQ(cart.lines(1).quantity(), 4);
  EXPECT_EQ(cart.lines(1).unit_price().amount_minor(), 1999);
  change.set_quantity(0);
  EXPECT_EQ(FieldOf(UpdateCartLine(&cart, change, Mask({"quantity"}))), "line.quantity");
  change.set_id("nope");
  change.set_quantity(1);
  EXPECT_EQ(FieldOf(UpdateCartLine(&cart, change, FieldMask())), "line.id");
  change.set_id("line-2");
  EXPECT_EQ(FieldOf(UpdateCartLine(&cart, change, Mask({"sku"}))), "update_mask");
  EXPECT_EQ(FieldOf(RemoveCartLine(&cart, "nope")), "line_id");
  ASSERT_TRUE(RemoveCartLine(&cart, "line-1").ok());
  ASSERT_EQ(cart.lines_size(), 1);
  EXPECT_EQ(cart.lines(0).id(), "line-2");
}

TEST(CartRulesTest, ACustomerChangesContactDetailsButNeverTheDeliveryFee) {
  v1::Cart cart = CompleteCart();
  v1::Cart in;
  in.set_email("other@example.com");
  in.set_note("Leave at the door");
  ASSERT_TRUE(ApplyCartUpdate(&cart, in, Mask({"email", "note"}), CartCaller::kCustomer).ok());
  EXPECT_EQ(cart.email(), "other@example.com");
  EXPECT_EQ(cart.note(), "Leave at the door");
  in.mutable_delivery_method()->set_code("pickup");
  absl::Status s = ApplyCartUpdate(&cart, in, Mask({"delivery_method"}), CartCaller::kCustomer);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(FieldOf(s), "update_mask");
  s = ApplyCartUpdate(&cart, in, Mask({"customer_id"}), CartCaller::kCustomer);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(cart.delivery_method().code(), "standard");
  EXPECT_EQ(FieldOf(ApplyCartUpdate(&cart, in, Mask({"lines"}), CartCaller::kTrusted)),
            "update_mask");
  EXPECT_EQ(FieldOf(ApplyCartUpdate(&cart, in, FieldMask(), CartCaller::kTrusted)),
            "update_mask");
  ASSERT_TRUE(ApplyCartUpdate(&cart, in, Mask({"delivery_method"}), CartCaller::kTrusted).ok());
  EXPECT_EQ(cart.delivery_method().code(), "pickup");
}

TEST(CartRulesTest, ACartIsPricedExactlyAsItsOrderWouldBe) {
  v1::Cart cart = CompleteCart();
  v1::Discount ten;
  ten.set_code("TEN");
  ten.set_percent_bp(1000);
  ASSERT_TRUE(PriceCart(&cart, {ten}).ok());
  // 2 x 12.50 + 19.99 = 44.99; 10% off = 4.50; tax 20% on lines and fee.
  EXPECT_EQ(cart.totals().subtotal().amount_minor(), 4499);
  EXPECT_EQ(cart.totals().discount().amount_minor(), 450);
  EXPECT_EQ(cart.totals().shipping().amount_minor(), 500);

  v1::CheckoutCartRequest checkout;
  checkout.set_request_id("7d3c8a5e-0f5e-4c8e-9a51-7b1e8f2f2a10");
  checkout.set_payment_method(v1::PAYMENT_METHOD_CARD);
  absl::StatusOr<v1::PlaceOrderRequest> place = CheckoutRequest(cart, checkout, {ten});
  ASSERT_TRUE(place.ok()) << place.status();
  EXPECT_EQ(place->customer().name(), "Ann Lee");
  absl::StatusOr<v1::Order> order = BuildNewOrder(*place);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->totals().total().amount_minor(), cart.totals().total().amount_minor());
  EXPECT_EQ(order->totals().tax().amount_minor(), cart.totals().tax().amount_minor());
  for (int i = 0; i < cart.lines_size(); ++i) {
    EXPECT_EQ(order->items(i).total().amount_minor(), cart.lines(i).total().amount_minor());
    EXPECT_EQ(order->items(i).discount().amount_minor(), cart.lines(i).discount().amount_minor());
  }
}

TEST(CartRulesTest, CheckoutNeedsLinesContactAddressAndDelivery) {
  v1::CheckoutCartRequest checkout;
  v1::Cart cart = CompleteCart();
  v1::Cart empty = cart;
  empty.clear_lines();
  EXPECT_EQ(ReasonOf(CheckoutRequest(empty, checkout, {}).status()), "CART_EMPTY");
  v1::Cart no_email = cart;
  no_email.clear_email();
  EXPECT_EQ(FieldOf(CheckoutRequest(no_email, checkout, {}).status()), "cart.email");
  no_email.set_customer_id("3f0c5b0e-8f3a-4b9f-9c1e-2a4d5e6f7a8b");  // registered: fine
  EXPECT_TRUE(CheckoutRequest(no_email, checkout, {}).ok());
  v1::Cart no_address = cart;
  no_address.clear_shipping_address();
  EXPECT_EQ(FieldOf(CheckoutRequest(no_address, checkout, {}).status()), "cart.shipping_address");
  v1::Cart no_delivery = cart;
  no_delivery.clear_delivery_method();
  absl::Status s = CheckoutRequest(no_delivery, checkout, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(s), "cart.delivery_method");
}

TEST(CartRulesTest, ConvertedAndExpiredCartsAreClosed) {
  v1::Cart cart = CompleteCart();
  *cart.mutable_expire_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(kNow));
  EXPECT_TRUE(CheckCartOpen(cart, kNow - absl::Seconds(1)).ok());
  EXPECT_EQ(ReasonOf(CheckCartOpen(cart, kNow)), "CART_EXPIRED");
  cart.set_state(v1::CART_STATE_CONVERTED);
  EXPECT_EQ(ReasonOf(CheckCartOpen(cart, kNow - absl::Seconds(1))), "CART_CONVERTED");
}

v1::DiscountCode PercentCode(int bp) {
  v1::DiscountCode in;
  in.set_code(" summer-10 ");
  in.set_percent_bp(bp);
  absl::StatusOr<v1::DiscountCode> code = BuildDiscountCode(in, "USD");
  EXPECT_TRUE(code.ok()) << code.status();
  return *code;
}

CodeUse Use(int64_t subtotal) {
  CodeUse use;
  use.items_subtotal = subtotal;
  use.currency = "USD";
  use.now = kNow;
  return use;
}

TEST(DiscountCodeRulesTest, CodesAreCheckedAndNormalised) {
  v1::DiscountCode code = PercentCode(1000);
  EXPECT_EQ(code.code(), "SUMMER-10");
  v1::DiscountCode in;
  in.set_code("ab");
  in.set_percent_bp(10);
  EXPECT_EQ(FieldOf(BuildDiscountCode(in, "USD").status()), "discount_code.code");
  in.set_code("ABC");
  in.set_percent_bp(10001);
  EXPECT_EQ(FieldOf(BuildDiscountCode(in, "USD").status()), "discount_code.percent_bp");
  in.clear_percent_bp();
  EXPECT_EQ(FieldOf(BuildDiscountCode(in, "USD").status()), "discount_code");
  in.mutable_amount()->set_amount_minor(500);
  absl::StatusOr<v1::DiscountCode> fixed = BuildDiscountCode(in, "USD");
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->amount().currency_code(), "USD");
  *in.mutable_start_time() = TimeUtil::SecondsToTimestamp(200);
  *in.mutable_end_time() = TimeUtil::SecondsToTimestamp(100);
  EXPECT_EQ(FieldOf(BuildDiscountCode(in, "USD").status()), "discount_code.end_time");
}

TEST(DiscountCodeRulesTest, EveryConditionHasItsReason) {
  v1::DiscountCode code = PercentCode(1000);
  absl::StatusOr<v1::Discount> d = DiscountFor(code, Use(5000));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->percent_bp(), 1000);
  EXPECT_EQ(d->code(), "SUMMER-10");

  auto reason = [](const v1::DiscountCode& c, const CodeUse& u) {
    return ReasonOf(DiscountFor(c, u).status());
  };
  v1::DiscountCode c = code;
  c.set_disabled(true);
  EXPECT_EQ(reason(c, Use(5000)), "DISCOUNT_CODE_DISABLED");
  c = code;
  *c.mutable_start_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow) + 1);
  EXPECT_EQ(reason(c, Use(5000)), "DISCOUNT_CODE_NOT_STARTED");
  c = code;
  *c.mutable_end_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow));
  EXPECT_EQ(reason(c, Use(5000)), "DISCOUNT_CODE_EXPIRED");
  c = code;
  c.mutable_minimum_subtotal()->set_amount_minor(5000);
  c.mutable_minimum_subtotal()->set_currency_code("USD");
  EXPECT_TRUE(DiscountFor(c, Use(5000)).ok());
  EXPECT_EQ(reason(c, Use(4999)), "DISCOUNT_CODE_MINIMUM_NOT_MET");
  c = code;
  c.mutable_amount()->set_amount_minor(500);
  c.mutable_amount()->set_currency_code("EUR");
  EXPECT_EQ(reason(c, Use(5000)), "DISCOUNT_CODE_CURRENCY");
  c = code;
  c.set_usage_limit(10);
  CodeUse u = Use(5000);
  u.times_used = 9;
  EXPECT_TRUE(DiscountFor(c, u).ok());
  u.times_used = 10;
  EXPECT_EQ(reason(c, u), "DISCOUNT_CODE_USED_UP");
  c = code;
  c.set_usage_limit_per_customer(1);
  u = Use(5000);
  u.times_used_by_shopper = 1;
  EXPECT_EQ(reason(c, u), "DISCOUNT_CODE_USED_UP");
  c = code;
  c.set_customer_group_id("0b8f6a8e-5c4d-4e3f-8a2b-1c0d9e8f7a6b");
  u = Use(5000);
  EXPECT_EQ(reason(c, u), "DISCOUNT_CODE_GROUP_ONLY");  // a guest
  u.customer_id = "3f0c5b0e-8f3a-4b9f-9c1e-2a4d5e6f7a8b";
  EXPECT_TRUE(DiscountFor(c, u).ok());  // group not known yet
  u.group_id = "another-group";
  EXPECT_EQ(reason(c, u), "DISCOUNT_CODE_GROUP_ONLY");
  u.group_id = c.customer_group_id();
  EXPECT_TRUE(DiscountFor(c, u).ok());
  EXPECT_EQ(FieldOf(DiscountFor(code, [] {
                      CodeUse x = Use(1);
                      x.now = kNow;
                      return x;
                    }())
                        .status()),
            "");
}

TEST(DiscountCodeRulesTest, UpdatesFollowTheMask) {
  v1::DiscountCode code = PercentCode(1000);
  v1::DiscountCode in;
  in.set_disabled(true);
  in.set_percent_bp(5000);
  ASSERT_TRUE(ApplyDiscountCodeUpdate(&code, in, Mask({"disabled"}), "USD").ok());
  EXPECT_TRUE(code.disabled());
  EXPECT_EQ(code.percent_bp(), 1000);
  EXPECT_EQ(FieldOf(ApplyDiscountCodeUpdate(&code, in, Mask({"code"}), "USD")), "update_mask");
  in.set_percent_bp(0);
  EXPECT_EQ(FieldOf(ApplyDiscountCodeUpdate(&code, in, Mask({"percent_bp"}), "USD")),
            "discount_code.percent_bp");
  EXPECT_EQ(code.percent_bp(), 1000);
  EXPECT_EQ(ShopperKey("", "Ann@Example.com"), "email:ann@example.com");
  EXPECT_EQ(ShopperKey("c-1", "ann@example.com"), "c-1");
}

}  // namespace
}  // namespace store::order
