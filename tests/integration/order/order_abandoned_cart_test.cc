// Abandoned carts (ORD-12, ORD-15): the sweep on the test clock publishes
// CartAbandoned once per cart (across restarts and two app instances), one
// reminder per shopper within a delay; recovery links are signed, expiring
// and bound to their purpose; a recovered checkout publishes CartRecovered;
// the store settings.
#include <pqxx/pqxx>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/link_token.h"
#include "libs/events/envelope.h"
#include "libs/grpcx/status.h"
#include "libs/pg/values.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using ::testing::HasSubstr;

class OrderAbandonedCartTest : public OrderServiceFixture {
 protected:
  v1::Cart MakeCart(const std::string& email, int lines = 1) {
    v1::CreateCartRequest r;
    r.set_request_id(NewUuid());
    r.mutable_cart()->set_email(email);
    for (int i = 0; i < lines; ++i) {
      auto* line = r.mutable_cart()->add_lines();
      line->set_sku(absl::StrCat("SKU-", i));
      line->set_name("Thing");
      line->set_quantity(1);
      line->mutable_unit_price()->set_amount_minor(1000);
    }
    auto* a = r.mutable_cart()->mutable_shipping_address();
    a->set_name("Ann Lee");
    a->set_line1("1 Main St");
    a->set_city("Springfield");
    a->set_country_code("US");
    r.mutable_cart()->mutable_delivery_method()->set_code("standard");
    v1::Cart cart;
    grpc::Status s = cart_stub_->CreateCart(Ctx().get(), r, &cart);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return cart;
  }

  template <typename Event>
  std::vector<Event> Published(const std::string& type) {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    std::vector<Event> out;
    for (const auto& row :
         tx.exec_params("SELECT envelope FROM outbox WHERE topic = 'store.order.carts.v1' AND "
                        "event_type = $1 ORDER BY id",
                        type)) {
      common::v1::EventEnvelope envelope;
      const std::string bytes = pg::FromBytes(row[0]);
      EXPECT_TRUE(envelope.ParseFromString(bytes));
      Event event;
      EXPECT_TRUE(events::UnpackPayload(envelope, &event).ok());
      out.push_back(std::move(event));
    }
    return out;
  }
  std::vector<v1::CartAbandoned> Abandoned() {
    return Published<v1::CartAbandoned>("store.order.v1.CartAbandoned");
  }

  grpc::Status Checkout(const std::string& cart_id, v1::Order* order) {
    v1::CheckoutCartRequest checkout;
    checkout.set_cart_id(cart_id);
    checkout.set_request_id(NewUuid());
    checkout.set_payment_method(v1::PAYMENT_METHOD_CARD);
    return cart_stub_->CheckoutCart(Ctx().get(), checkout, order);
  }

  static std::string TokenOf(const std::string& url) {
    const size_t at = url.find("token=");
    return at == std::string::npos ? "" : url.substr(at + 6);
  }
};

TEST_F(OrderAbandonedCartTest, EachAbandonedCartIsPublishedOnceWithOneReminderPerShopper) {
  const v1::Cart ann_old = MakeCart("ann@example.com");
  clock_.Advance(absl::Minutes(5));
  const v1::Cart ann_new = MakeCart("ann@example.com");
  const v1::Cart bob = MakeCart("bob@example.com");
  MakeCart("", 1);                // no email: nobody to remind
  MakeCart("cy@example.com", 0);  // no lines
  v1::Cart checked_out = MakeCart("dee@example.com");
  v1::Order order;
  ASSERT_TRUE(Checkout(checked_out.id(), &order).ok());

  // Not before the delay (60 minutes by default).
  clock_.Advance(absl::Minutes(59));
  EXPECT_EQ(*carts_->MarkAbandoned(), 1);  // only ann_old is 64 minutes old
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(*carts_->MarkAbandoned(), 2);
  EXPECT_EQ(*carts_->MarkAbandoned(), 0);
  // A restarted service (a new app on the same database) finds nothing new.
  CartApp restarted(*pool_, clock_, *app_, TestCartOptions());
  EXPECT_EQ(*restarted.MarkAbandoned(), 0);

  std::vector<v1::CartAbandoned> events = Abandoned();
  ASSERT_EQ(events.size(), 3u);
  std::map<std::string, bool> remind;
  for (const auto& e : events) {
    EXPECT_EQ(remind.count(e.cart().id()), 0u) << "published twice: " << e.cart().id();
    remind[e.cart().id()] = e.send_reminder();
    EXPECT_EQ(e.audience(), v1::REMINDER_AUDIENCE_EVERYONE_WITH_EMAIL);
    EXPECT_THAT(e.recovery_url(), HasSubstr("https://shop.example.com/cart/recover?token="));
    EXPECT_TRUE(e.cart().has_abandon_time());
  }
  // ann_old was abandoned first and reminded; ann_new, within one delay of
  // that reminder, is not; bob is.
  EXPECT_TRUE(remind[ann_old.id()]);
  EXPECT_FALSE(remind[ann_new.id()]);
  EXPECT_TRUE(remind[bob.id()]);

  v1::ListCartsRequest list;
  list.mutable_filter()->set_abandoned(true);
  v1::ListCartsResponse listed;
  ASSERT_TRUE(cart_stub_->ListCarts(Ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.carts_size(), 3);
  for (const auto& c : listed.carts()) {
    EXPECT_NE(c.reminder_state(), v1::CART_REMINDER_STATE_UNSPECIFIED);
  }
}

TEST_F(OrderAbandonedCartTest, TwoInstancesSweepingTogetherPublishEachCartOnce) {
  for (int i = 0; i < 30; ++i) MakeCart(absl::StrCat("shopper", i, "@example.com"));
  clock_.Advance(absl::Minutes(61));
  CartApp other(*pool_, clock_, *app_, TestCartOptions());
  int a = 0, b = 0;
  std::thread t1([&] {
    for (int round = 0; round < 10; ++round) a += *carts_->MarkAbandoned(3);
  });
  std::thread t2([&] {
    for (int round = 0; round < 10; ++round) b += *other.MarkAbandoned(3);
  });
  t1.join();
  t2.join();
  std::printf("two sweepers: %d + %d carts marked\n", a, b);
  EXPECT_EQ(a + b, 30);
  EXPECT_EQ(Abandoned().size(), 30u);
  EXPECT_EQ(Count("SELECT count(DISTINCT aggregate_id) FROM outbox WHERE topic = "
                  "'store.order.carts.v1'"),
            30);
}

TEST_F(OrderAbandonedCartTest, RecoveryLinksAreSignedExpiringAndBoundToTheirPurpose) {
  const v1::Cart cart = MakeCart("ann@example.com");
  clock_.Advance(absl::Minutes(61));
  ASSERT_EQ(*carts_->MarkAbandoned(), 1);
  const std::string token = TokenOf(Abandoned()[0].recovery_url());
  ASSERT_FALSE(token.empty());

  auto recover = [&](const std::string& t, v1::Cart* out) {
    v1::RecoverCartRequest r;
    r.set_token(t);
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-actor", "public");
    return cart_stub_->RecoverCart(ctx.get(), r, out);
  };
  v1::Cart out;
  std::string tampered = token;
  tampered[0] = tampered[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(ReasonOf(recover(tampered, &out)), "BAD_TOKEN");
  const std::string payload = token.substr(0, token.rfind('.'));
  EXPECT_EQ(
      ReasonOf(recover(
          auth::SignLinkToken(TestCartOptions().recovery_secret, "unsubscribe", payload), &out)),
      "BAD_TOKEN");
  EXPECT_EQ(ReasonOf(recover(auth::SignLinkToken("another-secret-another-secret-another",
                                                 kCartRecoveryPurpose, payload),
                             &out)),
            "BAD_TOKEN");
  grpc::Status s = recover(token, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.id(), cart.id());
  EXPECT_TRUE(out.recovered_via_link());
  EXPECT_EQ(out.lines_size(), 1);

  // The recovered cart is checked out: CartRecovered, via the link.
  v1::Order order;
  ASSERT_TRUE(Checkout(cart.id(), &order).ok());
  auto recovered = Published<v1::CartRecovered>("store.order.v1.CartRecovered");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].order_id(), order.id());
  EXPECT_TRUE(recovered[0].via_link());
  EXPECT_EQ(ReasonOf(recover(token, &out)), "CART_CONVERTED");

  // A link outlives nothing: past the cart's expiry it is refused.
  const v1::Cart later = MakeCart("bo@example.com");
  clock_.Advance(absl::Minutes(61));
  ASSERT_EQ(*carts_->MarkAbandoned(), 1);
  const std::string later_token = TokenOf(Abandoned().back().recovery_url());
  clock_.Advance(absl::Hours(24 * 91));
  EXPECT_EQ(ReasonOf(recover(later_token, &out)), "LINK_EXPIRED");
  // And the expired cart is purged.
  EXPECT_GE(*carts_->PurgeExpired(), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM carts WHERE id = '", later.id(), "'")), 0);
}

TEST_F(OrderAbandonedCartTest, AnAbandonedCartCheckedOutWithoutTheLinkIsRecoveredToo) {
  const v1::Cart cart = MakeCart("ann@example.com");
  clock_.Advance(absl::Minutes(61));
  ASSERT_EQ(*carts_->MarkAbandoned(), 1);
  v1::Order order;
  ASSERT_TRUE(Checkout(cart.id(), &order).ok());
  auto recovered = Published<v1::CartRecovered>("store.order.v1.CartRecovered");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_FALSE(recovered[0].via_link());
}

TEST_F(OrderAbandonedCartTest, StoreSettingsAreCheckedAndApplied) {
  v1::OrderSettings settings;
  ASSERT_TRUE(stub_->GetOrderSettings(Ctx().get(), {}, &settings).ok());
  EXPECT_EQ(settings.abandoned_cart_delay_minutes(), 60);
  EXPECT_EQ(settings.cart_retention_days(), 90);
  EXPECT_EQ(settings.order_number_start(), 10001);

  v1::UpdateOrderSettingsRequest update;
  update.mutable_settings()->set_abandoned_cart_delay_minutes(20);
  update.mutable_update_mask()->add_paths("abandoned_cart_delay_minutes");
  grpc::Status s = stub_->UpdateOrderSettings(Ctx().get(), update, &settings);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "settings.abandoned_cart_delay_minutes");
  update.mutable_settings()->set_abandoned_cart_delay_minutes(30);
  update.mutable_settings()->set_reminder_audience(v1::REMINDER_AUDIENCE_MARKETING_CONSENT);
  update.mutable_update_mask()->add_paths("reminder_audience");
  ASSERT_TRUE(stub_->UpdateOrderSettings(Ctx().get(), update, &settings).ok());
  EXPECT_EQ(settings.abandoned_cart_delay_minutes(), 30);

  // The sweep follows the new delay and audience.
  MakeCart("ann@example.com");
  clock_.Advance(absl::Minutes(31));
  ASSERT_EQ(*carts_->MarkAbandoned(), 1);
  EXPECT_EQ(Abandoned()[0].audience(), v1::REMINDER_AUDIENCE_MARKETING_CONSENT);

  // Order numbers: only ever raised above the last one given.
  Place(GuestOrder());  // #10001
  v1::UpdateOrderSettingsRequest numbers;
  numbers.mutable_settings()->set_order_number_start(10001);
  numbers.mutable_update_mask()->add_paths("order_number_start");
  s = stub_->UpdateOrderSettings(Ctx().get(), numbers, &settings);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->field(), "settings.order_number_start");
  EXPECT_THAT(s.error_message(), HasSubstr("10001"));
  numbers.mutable_settings()->set_order_number_start(50000);
  ASSERT_TRUE(stub_->UpdateOrderSettings(Ctx().get(), numbers, &settings).ok());
  EXPECT_EQ(settings.order_number_start(), 50000);
  EXPECT_EQ(Place(GuestOrder()).number(), 50000);
}

}  // namespace
}  // namespace store::order
