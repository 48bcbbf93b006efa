// Each order RPC against real PostgreSQL, over gRPC.
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/grpcx/status.h"
#include "libs/pg/values.h"
#include "store/order/v1/events.pb.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

class OrderServiceTest : public OrderServiceFixture {};

TEST_F(OrderServiceTest, PlacesAnOrderWithServerComputedTotalsAndANumber) {
  v1::PlaceOrderRequest req = GuestOrder();
  req.mutable_items(0)->mutable_total()->set_amount_minor(1);  // ignored
  v1::Order o = Place(req);
  EXPECT_EQ(o.number(), 10001);
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_PENDING);
  EXPECT_EQ(o.totals().total().amount_minor(), 2 * 1250 + 500);
  EXPECT_EQ(o.customer().phone(), "+15551234567");
  EXPECT_TRUE(o.customer().guest());
  EXPECT_EQ(Place(GuestOrder()).number(), 10002);

  v1::GetOrderRequest get;
  get.set_id(o.id());
  v1::Order got;
  ASSERT_TRUE(stub_->GetOrder(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), o.SerializeAsString());

  v1::ListOrderHistoryRequest h;
  h.set_order_id(o.id());
  v1::ListOrderHistoryResponse history;
  ASSERT_TRUE(stub_->ListOrderHistory(Ctx().get(), h, &history).ok());
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_EQ(history.entries(0).action(), "placed");
  EXPECT_EQ(history.entries(0).actor(), "staff:test");
}

TEST_F(OrderServiceTest, SameRequestIdReturnsTheSameOrder) {
  v1::PlaceOrderRequest req = GuestOrder();
  v1::Order first = Place(req);
  v1::Order again = Place(req);
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);

  req.mutable_items(0)->set_quantity(5);
  v1::Order o;
  grpc::Status s = stub_->PlaceOrder(Ctx().get(), req, &o);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "request_id");
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
  // Numbers come from a sequence (ORD-01): the rolled-back attempts may
  // leave theirs unused, and the next order's is still higher.
  EXPECT_GT(Place(GuestOrder()).number(), first.number());
}

TEST_F(OrderServiceTest, AnImportedOrderKeepsTheTimeItWasPlaced) {
  v1::PlaceOrderRequest req = GuestOrder();
  const absl::Time then =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now() - absl::Hours(24 * 40)));
  *req.mutable_processed_time() = pg::ToTimestamp(then);
  v1::Order o = Place(req);
  EXPECT_EQ(o.create_time().seconds(), absl::ToUnixSeconds(then));
  EXPECT_GT(o.update_time().seconds(), o.create_time().seconds());
  // The event carries it: the reports count the order on that day.
  std::vector<common::v1::EventEnvelope> placed = OutboxEvents("store.order.v1.OrderPlaced");
  ASSERT_EQ(placed.size(), 1u);
  v1::OrderPlaced event;
  ASSERT_TRUE(events::UnpackPayload(placed[0], &event).ok());
  EXPECT_EQ(event.order().create_time().seconds(), absl::ToUnixSeconds(then));
  // A retry on another day is the same order.
  *req.mutable_processed_time() = pg::ToTimestamp(then + absl::Hours(24));
  EXPECT_EQ(Place(req).id(), o.id());

  for (absl::Time bad : {clock_.Now() + absl::Hours(1), clock_.Now() - absl::Hours(24 * 3700)}) {
    v1::PlaceOrderRequest r = GuestOrder();
    *r.mutable_processed_time() = pg::ToTimestamp(bad);
    v1::Order out;
    grpc::Status s = stub_->PlaceOrder(Ctx().get(), r, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "processed_time");
  }
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
}

TEST_F(OrderServiceTest, FiftyConcurrentPlacementsWithOneRequestIdMakeOneOrder) {  // REL-6
  const v1::PlaceOrderRequest req = GuestOrder();
  std::vector<std::thread> threads;
  std::vector<std::string> ids(50);
  std::atomic<int> failures{0};
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      v1::Order o;
      grpc::Status s = stub_->PlaceOrder(Ctx().get(), req, &o);
      if (!s.ok()) ++failures;
      ids[i] = o.id();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 1);
  std::printf("REL-6: 50 concurrent PlaceOrder with one request_id -> %lld order(s)\n",
              static_cast<long long>(Count("SELECT count(*) FROM orders")));
}

TEST_F(OrderServiceTest, BadInputIsRejectedNamingTheFieldAndChangesNothing) {
  struct Case {
    std::string field;
    std::function<void(v1::PlaceOrderRequest&)> mutate;
  };
  std::vector<Case> cases = {
      {"items", [](auto& r) { r.clear_items(); }},
      {"items[0].quantity", [](auto& r) { r.mutable_items(0)->set_quantity(-2); }},
      {"currency_code", [](auto& r) { r.set_currency_code("ZZZ"); }},
      {"customer.email", [](auto& r) { r.mutable_customer()->set_email("ann@"); }},
      {"customer.phone", [](auto& r) { r.mutable_customer()->set_phone("555-1234"); }},
      {"shipping_address", [](auto& r) { r.clear_shipping_address(); }},
      {"request_id", [](auto& r) { r.set_request_id("1"); }},
  };
  for (const auto& c : cases) {
    v1::PlaceOrderRequest r = GuestOrder();
    c.mutate(r);
    v1::Order o;
    grpc::Status s = stub_->PlaceOrder(Ctx().get(), r, &o);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), c.field);
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 0);
  // Refused before any transaction: not even a number was taken.
  EXPECT_EQ(Count("SELECT last_value FROM order_number_seq WHERE NOT is_called"), 10001);
}

// ORD-18: a customer identity never places a priced order, even past the
// gateway (defence in depth); staff and storefront callers do.
TEST_F(OrderServiceTest, ACustomerCallerCannotPlaceAnOrder) {
  v1::PlaceOrderRequest r = GuestOrder();
  r.mutable_items(0)->mutable_unit_price()->set_amount_minor(1);
  r.add_discounts()->set_percent_bp(10000);
  auto ctx = Ctx();
  ctx->AddMetadata("x-customer-id", NewUuid());
  v1::Order o;
  grpc::Status s = stub_->PlaceOrder(ctx.get(), r, &o);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->reason(), "PRICE_NOT_ALLOWED");
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 0);
  auto storefront = Ctx();
  storefront->AddMetadata("x-role", "storefront");
  EXPECT_TRUE(stub_->PlaceOrder(storefront.get(), r, &o).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
}

TEST_F(OrderServiceTest, LifecycleToCompletedWithHistory) {
  v1::Order o = Place(GuestOrder());
  o = Pay(o);
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(o.totals().paid().amount_minor(), o.totals().total().amount_minor());
  o = Ship(o);
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_SHIPPED);
  EXPECT_EQ(o.shipment().tracking_url(), "https://www.ups.com/track?tracknum=1Z999AA10123456784");
  v1::CompleteOrderRequest c;
  c.set_order_id(o.id());
  ASSERT_TRUE(stub_->CompleteOrder(Ctx().get(), c, &o).ok());
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_COMPLETED);
  EXPECT_EQ(o.version(), 4);

  v1::CancelOrderRequest cancel;
  cancel.set_order_id(o.id());
  cancel.set_reason("too late");
  v1::Order unchanged;
  grpc::Status s = stub_->CancelOrder(Ctx().get(), cancel, &unchanged);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("from completed to cancelled"));
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->reason(), "ILLEGAL_TRANSITION");

  v1::ListOrderHistoryRequest h;
  h.set_order_id(o.id());
  v1::ListOrderHistoryResponse history;
  ASSERT_TRUE(stub_->ListOrderHistory(Ctx().get(), h, &history).ok());
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_THAT(actions, ::testing::ElementsAre("placed", "payment", "shipped", "completed"));
  EXPECT_EQ(history.entries(2).from_status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(history.entries(2).to_status(), v1::ORDER_STATUS_SHIPPED);
}

TEST_F(OrderServiceTest, PaymentsPartialFailedWireTransferAndIdempotent) {
  v1::Order o = Place(GuestOrder());
  v1::Order after = Pay(o, 1000, "ref-1");
  EXPECT_EQ(after.status(), v1::ORDER_STATUS_PENDING);  // partial
  EXPECT_EQ(Pay(o, 1000, "ref-1").totals().paid().amount_minor(), 1000);  // repeat: no effect

  v1::RecordPaymentRequest failed;
  failed.set_order_id(o.id());
  failed.set_provider("stripe");
  failed.set_reference("ref-2");
  failed.mutable_amount()->set_amount_minor(500);
  failed.set_outcome(v1::PAYMENT_OUTCOME_FAILED);
  failed.set_failure_reason("card declined");
  v1::RecordPaymentResponse resp;
  ASSERT_TRUE(stub_->RecordPayment(Ctx().get(), failed, &resp).ok());
  EXPECT_EQ(resp.order().totals().paid().amount_minor(), 1000);

  v1::RecordPaymentRequest wire = failed;
  wire.set_reference("ref-3");
  wire.set_outcome(v1::PAYMENT_OUTCOME_PENDING_VERIFICATION);
  wire.mutable_amount()->set_amount_minor(2000);
  ASSERT_TRUE(stub_->RecordPayment(Ctx().get(), wire, &resp).ok());
  EXPECT_EQ(resp.order().status(), v1::ORDER_STATUS_AWAITING_VERIFICATION);

  after = Pay(o, 2000, "ref-4");
  EXPECT_EQ(after.status(), v1::ORDER_STATUS_PROCESSING);
  v1::ListOrderPaymentsRequest lp;
  lp.set_order_id(o.id());
  v1::ListOrderPaymentsResponse payments;
  ASSERT_TRUE(stub_->ListOrderPayments(Ctx().get(), lp, &payments).ok());
  EXPECT_EQ(payments.payments_size(), 4);

  v1::RecordPaymentRequest wrong_currency = failed;
  wrong_currency.set_reference("ref-5");
  wrong_currency.mutable_amount()->set_currency_code("EUR");
  grpc::Status s = stub_->RecordPayment(Ctx().get(), wrong_currency, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "amount.currency_code");
}

TEST_F(OrderServiceTest, RefundsPartialThenFullNeverAbovePaid) {
  v1::Order o = Ship(Pay(Place(GuestOrder())));
  const int64_t total = o.totals().total().amount_minor();
  v1::RefundOrderRequest r;
  r.set_order_id(o.id());
  r.set_request_id(NewUuid());
  r.set_reason("one mug broken");
  auto* line = r.add_lines();
  line->set_sku("MUG-1");
  line->set_quantity(1);
  line->set_restock(false);
  v1::RefundOrderResponse resp;
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), r, &resp).ok());
  EXPECT_EQ(resp.refund().amount().amount_minor(), 1250);
  EXPECT_EQ(resp.order().status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  // A retry of the same refund changes nothing.
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), r, &resp).ok());
  EXPECT_EQ(resp.order().totals().refunded().amount_minor(), 1250);

  v1::RefundOrderRequest too_much;
  too_much.set_order_id(o.id());
  too_much.set_request_id(NewUuid());
  too_much.set_reason("everything");
  too_much.mutable_amount()->set_amount_minor(total);
  grpc::Status s = stub_->RefundOrder(Ctx().get(), too_much, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->reason(), "REFUND_EXCEEDS_PAID");

  too_much.mutable_amount()->set_amount_minor(total - 1250);
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), too_much, &resp).ok());
  EXPECT_EQ(resp.order().status(), v1::ORDER_STATUS_REFUNDED);
  EXPECT_EQ(Count("SELECT count(*) FROM order_refunds"), 2);
}

TEST_F(OrderServiceTest, RefundOfAnUnpaidOrderIsRefused) {
  v1::Order o = Place(GuestOrder());
  v1::RefundOrderRequest r;
  r.set_order_id(o.id());
  r.set_request_id(NewUuid());
  r.set_reason("x");
  r.mutable_amount()->set_amount_minor(100);
  v1::RefundOrderResponse resp;
  grpc::Status s = stub_->RefundOrder(Ctx().get(), r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->reason(), "NOTHING_PAID");
}

TEST_F(OrderServiceTest, CancelAndRejectNeedAReason) {
  v1::Order a = Place(GuestOrder());
  v1::Order b = Place(GuestOrder());
  v1::CancelOrderRequest c;
  c.set_order_id(a.id());
  v1::Order out;
  EXPECT_EQ(stub_->CancelOrder(Ctx().get(), c, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  c.set_reason("customer request");
  c.set_initiator(v1::CANCEL_INITIATOR_CUSTOMER);
  ASSERT_TRUE(stub_->CancelOrder(Ctx().get(), c, &out).ok());
  EXPECT_EQ(out.status(), v1::ORDER_STATUS_CANCELLED);
  v1::RejectOrderRequest r;
  r.set_order_id(b.id());
  r.set_reason("fraud suspected");
  ASSERT_TRUE(stub_->RejectOrder(Ctx().get(), r, &out).ok());
  EXPECT_EQ(out.status(), v1::ORDER_STATUS_REJECTED);
}

TEST_F(OrderServiceTest, NotesInternalAndCustomerVisible) {
  v1::Order o = Place(GuestOrder());
  for (auto [text, vis] : {std::pair{"check address", v1::NOTE_VISIBILITY_INTERNAL},
                           std::pair{"thanks!", v1::NOTE_VISIBILITY_CUSTOMER}}) {
    v1::AddOrderNoteRequest r;
    r.set_order_id(o.id());
    r.set_text(text);
    r.set_visibility(vis);
    v1::OrderNote note;
    ASSERT_TRUE(stub_->AddOrderNote(Ctx().get(), r, &note).ok());
    EXPECT_EQ(note.author(), "staff:test");
  }
  v1::ListOrderNotesRequest l;
  l.set_order_id(o.id());
  v1::ListOrderNotesResponse notes;
  ASSERT_TRUE(stub_->ListOrderNotes(Ctx().get(), l, &notes).ok());
  EXPECT_EQ(notes.notes_size(), 2);
  l.set_visibility(v1::NOTE_VISIBILITY_CUSTOMER);
  ASSERT_TRUE(stub_->ListOrderNotes(Ctx().get(), l, &notes).ok());
  ASSERT_EQ(notes.notes_size(), 1);
  EXPECT_EQ(notes.notes(0).text(), "thanks!");
}

TEST_F(OrderServiceTest, UnknownOrderIsNotFound) {
  v1::GetOrderRequest get;
  get.set_id(NewUuid());
  v1::Order o;
  EXPECT_EQ(stub_->GetOrder(Ctx().get(), get, &o).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_id("nope'; DROP TABLE orders; --");
  EXPECT_EQ(stub_->GetOrder(Ctx().get(), get, &o).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(OrderServiceTest, CountsUnprocessedOrders) {
  Place(GuestOrder());
  Pay(Place(GuestOrder()));
  Ship(Pay(Place(GuestOrder())));
  v1::CountUnprocessedOrdersResponse resp;
  ASSERT_TRUE(stub_->CountUnprocessedOrders(Ctx().get(), {}, &resp).ok());
  EXPECT_EQ(resp.count(), 2);
}

}  // namespace
}  // namespace store::order
