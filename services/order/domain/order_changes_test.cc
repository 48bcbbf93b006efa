#include "services/order/domain/order_changes.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "services/order/domain/order_rules.h"
#include "store/order/v1/events.pb.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

std::string FieldOf(const absl::Status& s) {
  auto info = GetErrorInfo(s);
  return info ? info->field() : "";
}

// Two lines (2 x 10.00 at 20% tax, 1 x 5.00 untaxed), 4.00 delivery, 10%
// off; paid in full.
v1::Order Paid() {
  v1::PlaceOrderRequest r;
  r.set_request_id("3f8b2c1e-9d4a-4b7e-8f21-0a1b2c3d4e5f");
  r.set_currency_code("EUR");
  r.mutable_customer()->set_email("ann@example.com");
  r.mutable_customer()->set_name("Ann");
  auto* a = r.add_items();
  a->set_sku("MUG");
  a->set_name("Mug");
  a->set_quantity(2);
  a->mutable_unit_price()->set_amount_minor(1000);
  a->set_tax_rate_bp(2000);
  auto* b = r.add_items();
  b->set_sku("PEN");
  b->set_name("Pen");
  b->set_quantity(1);
  b->mutable_unit_price()->set_amount_minor(500);
  auto* addr = r.mutable_shipping_address();
  addr->set_name("Ann");
  addr->set_line1("1 Main St");
  addr->set_city("Berlin");
  addr->set_country_code("DE");
  r.mutable_delivery_method()->set_code("standard");
  r.mutable_delivery_method()->mutable_fee()->set_amount_minor(400);
  r.set_payment_method(v1::PAYMENT_METHOD_CARD);
  auto* d = r.add_discounts();
  d->set_code("TEN");
  d->set_percent_bp(1000);
  absl::StatusOr<v1::Order> o = BuildNewOrder(r);
  EXPECT_TRUE(o.ok()) << o.status();
  o->set_status(v1::ORDER_STATUS_PROCESSING);
  o->set_version(3);
  *o->mutable_totals()->mutable_paid() = o->totals().total();
  return *o;
}

v1::EditOrderRequest EditOf(std::initializer_list<v1::OrderEditChange> changes) {
  v1::EditOrderRequest r;
  for (const auto& c : changes) *r.add_changes() = c;
  return r;
}

v1::OrderEditChange SetQuantity(const std::string& sku, int q) {
  v1::OrderEditChange c;
  c.mutable_set_quantity()->set_sku(sku);
  c.mutable_set_quantity()->set_quantity(q);
  return c;
}

TEST(EditTest, PricesTheEditedOrderAgainAndShowsTheBalance) {
  v1::Order order = Paid();
  const int64_t paid = order.totals().paid().amount_minor();
  // 2 x MUG -> 3 x MUG: the total rises by 10.00 less 10% plus 20% tax.
  absl::StatusOr<OrderChange> more = Edit(order, EditOf({SetQuantity("MUG", 3)}));
  ASSERT_TRUE(more.ok()) << more.status();
  v1::Order expected = Paid();
  expected.mutable_items(0)->set_quantity(3);
  ASSERT_TRUE(PriceOrder(&expected).ok());
  EXPECT_EQ(order.totals().total().amount_minor(), expected.totals().total().amount_minor());
  EXPECT_EQ(order.totals().total().amount_minor() - paid, 1080);
  EXPECT_EQ(BalanceOf(order).amount_due, 1080);
  EXPECT_EQ(BalanceOf(order).refundable, 0);
  EXPECT_EQ(more->action, "edited");
  EXPECT_THAT(more->reason, HasSubstr("MUG quantity 2 -> 3"));
  const auto* event = dynamic_cast<const v1::OrderEdited*>(more->event.get());
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->from_version(), 3);
  EXPECT_EQ(event->to_version(), 4);
  EXPECT_EQ(event->previous_total().amount_minor(), paid);
  EXPECT_EQ(event->amount_due().amount_minor(), 1080);

  // Removing the pen and the discount, a new address: refundable.
  v1::Order fewer = Paid();
  v1::OrderEditChange remove;
  remove.set_remove_sku("PEN");
  v1::OrderEditChange code;
  code.set_remove_discount_code("TEN");
  v1::OrderEditChange address;
  *address.mutable_shipping_address() = fewer.shipping_address();
  address.mutable_shipping_address()->set_line1("2 Side St");
  ASSERT_TRUE(Edit(fewer, EditOf({remove, code, address})).ok());
  EXPECT_EQ(fewer.items_size(), 1);
  EXPECT_EQ(fewer.discounts_size(), 0);
  EXPECT_EQ(fewer.shipping_address().line1(), "2 Side St");
  // 2 x 10.00 + 20% tax + 4.00 delivery = 28.00, against 30.10 paid.
  EXPECT_EQ(fewer.totals().total().amount_minor(), 2800);
  EXPECT_EQ(BalanceOf(fewer).refundable, paid - 2800);

  v1::Order added = Paid();
  v1::OrderEditChange add;
  add.mutable_add_item()->set_sku("CAP");
  add.mutable_add_item()->set_name("Cap");
  add.mutable_add_item()->set_quantity(1);
  add.mutable_add_item()->mutable_unit_price()->set_amount_minor(700);
  v1::OrderEditChange fixed;
  fixed.mutable_add_discount()->set_code("SORRY");
  fixed.mutable_add_discount()->mutable_amount()->set_amount_minor(200);
  ASSERT_TRUE(Edit(added, EditOf({add, fixed})).ok());
  EXPECT_EQ(added.items_size(), 3);
  EXPECT_EQ(added.discounts(1).applied().amount_minor(), 200);
}

TEST(EditTest, RefusesBadChangesByFieldAndEditsAfterShipping) {
  struct Case {
    v1::OrderEditChange change;
    std::string field;
  };
  v1::OrderEditChange unknown = SetQuantity("NOPE", 1);
  v1::OrderEditChange negative = SetQuantity("MUG", -1);
  v1::OrderEditChange twice;
  twice.mutable_add_item()->set_sku("MUG");
  twice.mutable_add_item()->set_name("Mug");
  twice.mutable_add_item()->set_quantity(1);
  twice.mutable_add_item()->mutable_unit_price()->set_amount_minor(100);
  v1::OrderEditChange bad_price = twice;
  bad_price.mutable_add_item()->set_sku("NEW");
  bad_price.mutable_add_item()->mutable_unit_price()->set_currency_code("USD");
  v1::OrderEditChange code_twice;
  code_twice.mutable_add_discount()->set_code("TEN");
  code_twice.mutable_add_discount()->set_percent_bp(500);
  v1::OrderEditChange no_code;
  no_code.set_remove_discount_code("GONE");
  v1::OrderEditChange empty;
  v1::OrderEditChange bad_address;
  bad_address.mutable_shipping_address()->set_name("Ann");
  for (const Case& c : std::vector<Case>{
           {unknown, "changes[0].set_quantity.sku"},
           {negative, "changes[0].set_quantity.quantity"},
           {twice, "changes[0].add_item.sku"},
           {bad_price, "changes[0].add_item.unit_price.currency_code"},
           {code_twice, "changes[0].add_discount.code"},
           {no_code, "changes[0].remove_discount_code"},
           {empty, "changes[0]"},
       }) {
    v1::Order order = Paid();
    absl::Status s = Edit(order, EditOf({c.change})).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field << ": " << s;
    EXPECT_EQ(FieldOf(s), c.field) << s;
  }
  v1::Order order = Paid();
  EXPECT_THAT(FieldOf(Edit(order, EditOf({bad_address})).status()),
              HasSubstr("changes[0].shipping_address"));
  order = Paid();
  EXPECT_EQ(FieldOf(Edit(order, EditOf({})).status()), "changes");
  order = Paid();
  v1::OrderEditChange pen;
  pen.set_remove_sku("PEN");
  EXPECT_EQ(FieldOf(Edit(order, EditOf({pen, SetQuantity("MUG", 0)})).status()), "changes");

  order = Paid();
  order.mutable_items(0)->set_refunded_quantity(1);
  EXPECT_EQ(FieldOf(Edit(order, EditOf({SetQuantity("MUG", 0)})).status()),
            "changes[0].set_quantity.quantity");

  for (auto status : {v1::ORDER_STATUS_SHIPPED, v1::ORDER_STATUS_COMPLETED,
                      v1::ORDER_STATUS_CANCELLED, v1::ORDER_STATUS_REFUNDED}) {
    order = Paid();
    order.set_status(status);
    absl::Status s = Edit(order, EditOf({SetQuantity("MUG", 1)})).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(GetErrorInfo(s)->reason(), "ORDER_NOT_EDITABLE");
  }
}

}  // namespace
}  // namespace store::order
