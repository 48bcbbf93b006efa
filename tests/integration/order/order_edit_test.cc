// Editing an order before it ships (ORD-06) against real PostgreSQL: the
// preview changes nothing, the commit needs the previewed version (a stale
// one is ABORTED with nothing applied), the balance is paid or refunded
// through the normal paths, OrderEdited is published, shipped orders are
// not editable.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/envelope.h"
#include "libs/pg/values.h"
#include "store/order/v1/events.pb.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

class OrderEditTest : public OrderServiceFixture {
 protected:
  static v1::EditOrderRequest Quantity(const v1::Order& o, int quantity) {
    v1::EditOrderRequest req;
    req.set_order_id(o.id());
    auto* c = req.add_changes()->mutable_set_quantity();
    c->set_sku("MUG-1");
    c->set_quantity(quantity);
    return req;
  }

  v1::OrderEditResult Preview(const v1::EditOrderRequest& req) {
    v1::OrderEditResult out;
    grpc::Status s = stub_->PreviewOrderEdit(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Commit(v1::EditOrderRequest req, int64_t version, v1::OrderEditResult* out) {
    req.set_expected_version(version);
    return stub_->EditOrder(Ctx().get(), req, out);
  }
};

TEST_F(OrderEditTest, PreviewThenCommitOnItsVersionAndPayTheBalance) {
  // 2 x 12.50 + 5.00 delivery = 30.00, paid.
  const v1::Order paid = Pay(Place(GuestOrder()));
  ASSERT_EQ(paid.status(), v1::ORDER_STATUS_PROCESSING);
  const int64_t outbox = Count("SELECT count(*) FROM outbox");

  v1::EditOrderRequest more = Quantity(paid, 3);
  more.set_reason("customer phoned");
  const v1::OrderEditResult preview = Preview(more);
  EXPECT_EQ(preview.base_version(), paid.version());
  EXPECT_EQ(preview.previous_total().amount_minor(), 3000);
  EXPECT_EQ(preview.order().totals().total().amount_minor(), 4250);
  EXPECT_EQ(preview.amount_due().amount_minor(), 1250);
  EXPECT_EQ(preview.refundable().amount_minor(), 0);
  // Nothing changed.
  EXPECT_EQ(GetOrder(paid.id()).version(), paid.version());
  EXPECT_EQ(GetOrder(paid.id()).items(0).quantity(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), outbox);

  v1::OrderEditResult done;
  grpc::Status s = Commit(more, preview.base_version(), &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(done.order().items(0).quantity(), 3);
  EXPECT_EQ(done.order().totals().total().amount_minor(), 4250);
  EXPECT_EQ(done.order().version(), paid.version() + 1);
  EXPECT_EQ(done.order().status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(done.amount_due().amount_minor(), 1250);

  // One OrderEdited with the versions, the changes and the balance.
  auto rows = Sql("SELECT envelope FROM outbox WHERE event_type = 'store.order.v1.OrderEdited'");
  ASSERT_EQ(rows.size(), 1u);
  auto env = events::ParseEnvelope(pg::FromBytes(rows[0][0]));
  ASSERT_TRUE(env.ok());
  v1::OrderEdited edited;
  ASSERT_TRUE(events::UnpackPayload(*env, &edited).ok());
  EXPECT_EQ(edited.from_version(), paid.version());
  EXPECT_EQ(edited.to_version(), paid.version() + 1);
  EXPECT_EQ(edited.changes_size(), 1);
  EXPECT_EQ(edited.previous_total().amount_minor(), 3000);
  EXPECT_EQ(edited.amount_due().amount_minor(), 1250);
  EXPECT_EQ(edited.order().totals().total().amount_minor(), 4250);
  EXPECT_EQ(edited.status_change().actor(), "staff:test");
  v1::ListOrderHistoryRequest hreq;
  hreq.set_order_id(paid.id());
  v1::ListOrderHistoryResponse history;
  ASSERT_TRUE(stub_->ListOrderHistory(Ctx().get(), hreq, &history).ok());
  const auto& last = history.entries(history.entries_size() - 1);
  EXPECT_EQ(last.action(), "edited");
  EXPECT_THAT(last.reason(), ::testing::HasSubstr("MUG-1 quantity 2 -> 3"));
  EXPECT_THAT(last.reason(), ::testing::HasSubstr("customer phoned"));

  // The balance is paid through the normal payment path; the order stays
  // processing, and then owes nothing.
  const v1::Order settled = Pay(done.order(), 1250);
  EXPECT_EQ(settled.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(settled.totals().paid().amount_minor(), 4250);
  v1::RecordPaymentRequest again;
  again.set_order_id(paid.id());
  again.set_provider("stripe");
  again.set_reference(NewUuid());
  again.mutable_amount()->set_amount_minor(100);
  again.set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
  v1::RecordPaymentResponse resp;
  s = stub_->RecordPayment(Ctx().get(), again, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "ORDER_NOT_AWAITING_PAYMENT");
}

TEST_F(OrderEditTest, AStaleVersionIsAbortedAndChangesNothing) {
  const v1::Order order = Place(GuestOrder());
  const v1::OrderEditResult preview = Preview(Quantity(order, 5));
  // Someone else changes the order in between.
  v1::EditOrderRequest address;
  address.set_order_id(order.id());
  *address.add_changes()->mutable_shipping_address() = order.shipping_address();
  address.mutable_changes(0)->mutable_shipping_address()->set_line1("9 Other Rd");
  v1::OrderEditResult moved;
  ASSERT_TRUE(Commit(address, order.version(), &moved).ok());
  EXPECT_EQ(moved.order().shipping_address().line1(), "9 Other Rd");

  v1::OrderEditResult out;
  grpc::Status s = Commit(Quantity(order, 5), preview.base_version(), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(s), "VERSION_CHANGED");
  const v1::Order now = GetOrder(order.id());
  EXPECT_EQ(now.items(0).quantity(), 2);
  EXPECT_EQ(now.version(), moved.order().version());
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE event_type = 'store.order.v1.OrderEdited'"),
            1);

  s = stub_->EditOrder(Ctx().get(), Quantity(order, 5), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "expected_version");
}

TEST_F(OrderEditTest, ALowerTotalIsRefundableThroughRefundOrder) {
  const v1::Order paid = Pay(Place(GuestOrder()));
  v1::OrderEditResult done;
  ASSERT_TRUE(Commit(Quantity(paid, 1), paid.version(), &done).ok());
  EXPECT_EQ(done.order().totals().total().amount_minor(), 1750);
  EXPECT_EQ(done.refundable().amount_minor(), 1250);
  EXPECT_EQ(done.amount_due().amount_minor(), 0);
  v1::RefundOrderRequest refund;
  refund.set_order_id(paid.id());
  refund.set_request_id(NewUuid());
  refund.mutable_amount()->set_amount_minor(done.refundable().amount_minor());
  refund.set_reason("order edited: one mug less");
  v1::RefundOrderResponse refunded;
  grpc::Status s = stub_->RefundOrder(Ctx().get(), refund, &refunded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(refunded.order().totals().refunded().amount_minor(), 1250);
  v1::EditOrderRequest none = Quantity(refunded.order(), 1);
  v1::OrderEditResult balance = Preview(none);
  EXPECT_EQ(balance.refundable().amount_minor(), 0);
  EXPECT_EQ(balance.amount_due().amount_minor(), 0);
}

TEST_F(OrderEditTest, AShippedOrderAndACustomerCannotEdit) {
  const v1::Order shipped = Ship(Pay(Place(GuestOrder())));
  v1::OrderEditResult out;
  grpc::Status s = Commit(Quantity(shipped, 3), shipped.version(), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "ORDER_NOT_EDITABLE");
  s = stub_->PreviewOrderEdit(Ctx().get(), Quantity(shipped, 3), &out);
  EXPECT_EQ(ReasonOf(s), "ORDER_NOT_EDITABLE");

  const v1::Order open = Place(GuestOrder());
  v1::EditOrderRequest bad = Quantity(open, 3);
  bad.mutable_changes(0)->mutable_set_quantity()->set_sku("NOPE");
  s = Commit(bad, open.version(), &out);
  EXPECT_EQ(FieldOf(s), "changes[0].set_quantity.sku");

  grpc::ClientContext ctx;
  ctx.AddMetadata("x-actor", "customer:c1");
  ctx.AddMetadata("x-customer-id", NewUuid());
  v1::EditOrderRequest req = Quantity(open, 3);
  req.set_expected_version(open.version());
  s = stub_->EditOrder(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetOrder(open.id()).version(), open.version());
}

}  // namespace
}  // namespace store::order
