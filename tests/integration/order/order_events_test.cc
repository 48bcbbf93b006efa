// ORD-14: events through the outbox to Kafka, read back by an independent
// consumer; the relay survives restarts and broker outages losing nothing.
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/relay.h"
#include "libs/testing/wait.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

class OrderEventsTest : public OrderServiceFixture {
 protected:
  std::vector<common::v1::EventEnvelope> EventsFor(const std::string& order_id, size_t expect) {
    std::vector<common::v1::EventEnvelope> out;
    for (const auto& rec : kafka_->ReadTopic(order::v1::kOrdersTopic, expect)) {
      auto env = events::ParseEnvelope(rec.value);
      EXPECT_TRUE(env.ok());
      EXPECT_EQ(rec.key, env->aggregate_id());
      EXPECT_EQ(rec.headers.at("event_id"), env->event_id());
      EXPECT_EQ(rec.headers.at("type"), env->type());
      EXPECT_EQ(rec.headers.at("traceparent"), env->traceparent());
      if (env->aggregate_id() == order_id) out.push_back(*env);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.aggregate_version() < b.aggregate_version();
    });
    return out;
  }
};

TEST_F(OrderEventsTest, EachChangePublishesExactlyOneEventWithAFullEnvelope) {
  v1::Order o = Place(GuestOrder());
  o = Ship(Pay(o));
  v1::RefundOrderRequest r;
  r.set_order_id(o.id());
  r.set_request_id(NewUuid());
  r.set_reason("broken");
  r.mutable_amount()->set_amount_minor(100);
  v1::RefundOrderResponse resp;
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), r, &resp).ok());
  v1::CompleteOrderRequest c;
  c.set_order_id(o.id());
  ASSERT_TRUE(stub_->CompleteOrder(Ctx().get(), c, &o).ok());

  std::vector<common::v1::EventEnvelope> events = EventsFor(o.id(), 5);
  ASSERT_EQ(events.size(), 5u);
  std::vector<std::string> types;
  std::set<std::string> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    types.push_back(events[i].type());
    ids.insert(events[i].event_id());
    EXPECT_EQ(events[i].aggregate_version(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].source(), "order-service");
    EXPECT_EQ(events[i].traceparent().size(), 55u);
    EXPECT_TRUE(events[i].has_occurred_at());
    EXPECT_EQ(events::PayloadType(events[i]), events[i].type());
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_THAT(types, ::testing::ElementsAre("store.order.v1.OrderPlaced", "store.order.v1.OrderPaid",
                                            "store.order.v1.OrderShipped",
                                            "store.order.v1.OrderRefunded",
                                            "store.order.v1.OrderStatusChanged"));
  v1::OrderShipped shipped;
  ASSERT_TRUE(events::UnpackPayload(events[2], &shipped).ok());
  EXPECT_EQ(shipped.shipment().carrier(), "ups");
  EXPECT_EQ(shipped.status_change().from_status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(shipped.status_change().to_status(), v1::ORDER_STATUS_SHIPPED);
  EXPECT_EQ(shipped.status_change().actor(), "staff:test");
  EXPECT_EQ(shipped.order().status(), v1::ORDER_STATUS_SHIPPED);
  v1::OrderStatusChanged completed;
  ASSERT_TRUE(events::UnpackPayload(events[4], &completed).ok());
  EXPECT_EQ(completed.status_change().from_status(), v1::ORDER_STATUS_PARTIALLY_REFUNDED);
  // Every row was marked sent, from delivery reports.
  EXPECT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }));
}

TEST_F(OrderEventsTest, AReturnIsRecordedOnceCarriedInAnEventAndRefundsCarryRestockFlags) {
  v1::Order o = Place(GuestOrder("ann@example.com", 1250, 3));
  v1::RecordReturnRequest ret;
  ret.set_order_id(o.id());
  ret.set_request_id(NewUuid());
  ret.set_reason("Too small");
  auto* line = ret.add_lines();
  line->set_sku("MUG-1");
  line->set_quantity_received(1);
  line->set_quantity_damaged(1);
  v1::RecordReturnResponse resp;
  // Not shipped yet: nothing can come back, nothing changes.
  grpc::Status s = stub_->RecordReturn(Ctx().get(), ret, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "NOT_SHIPPED");
  o = Ship(Pay(o));

  ASSERT_TRUE(stub_->RecordReturn(Ctx().get(), ret, &resp).ok());
  EXPECT_EQ(resp.order().items(0).returned_quantity(), 2);
  EXPECT_EQ(resp.order().status(), v1::ORDER_STATUS_SHIPPED);  // a return is not a refund
  EXPECT_EQ(resp.return_().lines(0).quantity_received(), 1);
  // A retry returns the same return and changes nothing.
  v1::RecordReturnResponse again;
  ASSERT_TRUE(stub_->RecordReturn(Ctx().get(), ret, &again).ok());
  EXPECT_EQ(again.return_().id(), resp.return_().id());
  EXPECT_EQ(again.order().version(), resp.order().version());
  // Only 1 unit is left to come back.
  v1::RecordReturnRequest more = ret;
  more.set_request_id(NewUuid());
  more.mutable_lines(0)->set_quantity_received(2);
  more.mutable_lines(0)->set_quantity_damaged(0);
  s = stub_->RecordReturn(Ctx().get(), more, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("lines[0].quantity_received"));
  more.mutable_lines(0)->set_sku("NOPE");
  s = stub_->RecordReturn(Ctx().get(), more, &again);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("lines[0].sku"));
  v1::ListOrderReturnsRequest list;
  list.set_order_id(o.id());
  v1::ListOrderReturnsResponse returns;
  ASSERT_TRUE(stub_->ListOrderReturns(Ctx().get(), list, &returns).ok());
  ASSERT_EQ(returns.returns_size(), 1);

  // The received unit is refunded and restocked.
  v1::RefundOrderRequest refund;
  refund.set_order_id(o.id());
  refund.set_request_id(NewUuid());
  refund.set_reason("returned");
  auto* rl = refund.add_lines();
  rl->set_sku("MUG-1");
  rl->set_quantity(1);
  rl->set_restock(true);
  v1::RefundOrderResponse refunded;
  ASSERT_TRUE(stub_->RefundOrder(Ctx().get(), refund, &refunded).ok());

  // placed, paid, shipped, returned, refunded
  std::vector<common::v1::EventEnvelope> events = EventsFor(o.id(), 5);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].type(), "store.order.v1.OrderReturned");
  v1::OrderReturned returned;
  ASSERT_TRUE(events::UnpackPayload(events[3], &returned).ok());
  EXPECT_EQ(returned.return_().id(), resp.return_().id());
  EXPECT_EQ(returned.return_().lines(0).quantity_damaged(), 1);
  EXPECT_EQ(returned.order().items(0).returned_quantity(), 2);
  v1::OrderRefunded refund_event;
  ASSERT_TRUE(events::UnpackPayload(events[4], &refund_event).ok());
  ASSERT_EQ(refund_event.refund().lines_size(), 1);
  EXPECT_TRUE(refund_event.refund().lines(0).restock());
}

TEST_F(OrderEventsTest, RelayResumesAfterARestartWithNothingLost) {
  StopRelay();
  std::set<std::string> placed;
  for (int i = 0; i < 20; ++i) placed.insert(Place(GuestOrder()).id());
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), 20);
  StartRelay();
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }));
  std::set<std::string> published;
  for (const auto& rec : kafka_->ReadTopic(order::v1::kOrdersTopic, 20)) published.insert(rec.key);
  EXPECT_EQ(published, placed);
}

// Two replicas on one database: one relay publishes; the other stands by
// without listening for commits (their notifications would pile up unread
// in its connection, ~64 bytes each, for as long as it stands by) and takes
// over when the first goes away, listening from then on.
TEST_F(OrderEventsTest, AStandbyRelayTakesOverAndListensOnceActive) {
  ASSERT_TRUE(testing::WaitFor([&] { return relay_->Active(); }));
  // It polls every 30 s: an event it publishes within seconds came through
  // the commit's notification.
  events::OutboxRelay standby(events::RelayOptions{.database_url = db_->url(),
                                                   .brokers = kafka_->brokers(),
                                                   .poll_interval = absl::Seconds(30)});
  ASSERT_TRUE(standby.Start().ok());
  const std::string first = Place(GuestOrder()).id();
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }));
  EXPECT_TRUE(relay_->Active());
  EXPECT_FALSE(standby.Active());

  StopRelay();
  ASSERT_TRUE(testing::WaitFor([&] { return standby.Active(); }));
  const std::string second = Place(GuestOrder()).id();
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(10)));
  std::multiset<std::string> published;
  for (const auto& rec : kafka_->ReadTopic(order::v1::kOrdersTopic, 2)) published.insert(rec.key);
  EXPECT_EQ(published, (std::multiset<std::string>{first, second}));
  standby.Stop(absl::Seconds(2));
  EXPECT_FALSE(standby.Active());
}

TEST_F(OrderEventsTest, BrokerOutageKeepsOrdersFlowingAndTheBacklogDrains) {
  kafka_->SetAllBrokersDown(true);
  std::set<std::string> placed;
  for (int i = 0; i < 10; ++i) placed.insert(Place(GuestOrder()).id());
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 10);
  kafka_->SetAllBrokersDown(false);
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(60)));
  std::set<std::string> published;
  for (const auto& rec : kafka_->ReadTopic(order::v1::kOrdersTopic, 10)) published.insert(rec.key);
  EXPECT_EQ(published, placed);
}

TEST_F(OrderEventsTest, FailedProduceRequestsAreRetriedFromTheOutbox) {
  kafka_->FailNextProduces(5, /*RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS=*/19);
  v1::Order o = Place(GuestOrder());
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(30)));
  EXPECT_EQ(EventsFor(o.id(), 1).size(), 1u);
}

}  // namespace
}  // namespace store::order
