// ORD-14: events through the outbox to Kafka, read back by an independent
// consumer; the relay survives restarts and broker outages losing nothing.
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
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
