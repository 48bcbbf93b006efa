// Guests and purchase facts from order events (CUS-04, CUS-09), guest
// conversion on sign-up, and privacy export and erasure (CUS-13).
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/grpcx/status.h"
#include "services/customer/app/credentials.h"
#include "services/customer/store/customer_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/newsletter/v1/events.pb.h"
#include "store/order/v1/events.pb.h"
#include "tests/integration/customer/customer_fixture.h"

namespace store::customer {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

order::v1::Order MakeOrder(const std::string& customer_id, const std::string& email,
                           int64_t total, absl::Time placed) {
  order::v1::Order o;
  o.set_id(NewUuid());
  o.set_number(10001);
  o.set_status(order::v1::ORDER_STATUS_PENDING);
  o.set_currency_code("USD");
  o.mutable_customer()->set_customer_id(customer_id);
  o.mutable_customer()->set_email(email);
  o.mutable_customer()->set_name("Gus Guest");
  o.mutable_customer()->set_phone("+15551234567");
  o.mutable_shipping_address()->set_country_code("US");
  o.mutable_totals()->mutable_total()->set_amount_minor(total);
  *o.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(placed));
  o.set_version(1);
  return o;
}

common::v1::EventEnvelope Placed(const order::v1::Order& o) {
  order::v1::OrderPlaced e;
  *e.mutable_order() = o;
  return events::MakeEnvelope(e, o.id(), o.version(), "order-service", absl::Now());
}

common::v1::EventEnvelope Refunded(order::v1::Order o, int64_t refunded) {
  o.set_version(o.version() + 1);
  o.mutable_totals()->mutable_refunded()->set_amount_minor(refunded);
  order::v1::OrderRefunded e;
  *e.mutable_order() = o;
  return events::MakeEnvelope(e, o.id(), o.version(), "order-service", absl::Now());
}

class EventsTest : public CustomerFixture {
 protected:
  v1::Customer Get(const std::string& id) {
    v1::GetCustomerRequest req;
    req.set_id(id);
    v1::Customer c;
    EXPECT_TRUE(stub_->GetCustomer(Ctx().get(), req, &c).ok());
    return c;
  }
};

TEST_F(EventsTest, GuestOrdersMakeAGuestAndFactsCountOnceAndRefundsSubtract) {
  order::v1::Order o1 = MakeOrder("", "gus@example.com", 12000, clock_.Now() - absl::Hours(48));
  common::v1::EventEnvelope placed = Placed(o1);
  ASSERT_TRUE(Deliver(placed).ok());
  ASSERT_TRUE(Deliver(placed).ok());  // redelivered: counts once
  pqxx::result g = Sql("SELECT id::text, guest, group_id::text FROM customers");
  ASSERT_EQ(g.size(), 1u);
  const std::string gus = g[0][0].as<std::string>();
  EXPECT_TRUE(g[0][1].as<bool>());
  EXPECT_EQ(g[0][2].as<std::string>(), kGuestsGroupId);
  v1::Customer c = Get(gus);
  EXPECT_EQ(c.facts().orders_count(), 1);
  EXPECT_EQ(c.facts().total_spent().amount_minor(), 12000);
  EXPECT_EQ(c.phone(), "+15551234567");

  order::v1::Order o2 = MakeOrder("", "gus@example.com", 3000, clock_.Now() - absl::Hours(1));
  ASSERT_TRUE(Deliver(Placed(o2)).ok());
  common::v1::EventEnvelope refund = Refunded(o1, 2000);
  ASSERT_TRUE(Deliver(refund).ok());
  ASSERT_TRUE(Deliver(refund).ok());
  // An older snapshot arriving late changes nothing.
  ASSERT_TRUE(Deliver(placed).ok());
  c = Get(gus);
  EXPECT_EQ(c.facts().orders_count(), 2);
  EXPECT_EQ(c.facts().total_spent().amount_minor(), 12000 - 2000 + 3000);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(c.facts().first_order_time()),
            TimeUtil::TimestampToMicroseconds(o1.create_time()));
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(c.facts().last_order_time()),
            TimeUtil::TimestampToMicroseconds(o2.create_time()));

  // ORD-06: an edit before shipping changes what the order counts for.
  order::v1::Order edited = o2;
  edited.set_version(3);
  edited.mutable_totals()->mutable_total()->set_amount_minor(4500);
  order::v1::OrderEdited ed;
  *ed.mutable_order() = edited;
  ASSERT_TRUE(Deliver(events::MakeEnvelope(ed, o2.id(), 3, "order-service", absl::Now())).ok());
  EXPECT_EQ(Get(gus).facts().total_spent().amount_minor(), 12000 - 2000 + 4500);

  // A cancelled order stops counting.
  order::v1::Order cancelled = o2;
  cancelled.set_version(5);
  cancelled.set_status(order::v1::ORDER_STATUS_CANCELLED);
  order::v1::OrderStatusChanged sc;
  *sc.mutable_order() = cancelled;
  ASSERT_TRUE(Deliver(events::MakeEnvelope(sc, o2.id(), 5, "order-service", absl::Now())).ok());
  c = Get(gus);
  EXPECT_EQ(c.facts().orders_count(), 1);
  EXPECT_EQ(c.facts().total_spent().amount_minor(), 10000);

  // CUS-04: the guest registers with the same email and becomes that customer.
  v1::RegisterCustomerRequest reg;
  reg.set_email("GUS@example.com");
  reg.set_name("Gus");
  reg.set_password("long enough pw");
  v1::Customer registered;
  ASSERT_TRUE(stub_->RegisterCustomer(Ctx().get(), reg, &registered).ok());
  EXPECT_EQ(registered.id(), gus);
  EXPECT_FALSE(registered.guest());
  EXPECT_TRUE(registered.has_account());
  EXPECT_EQ(registered.facts().orders_count(), 1);
  EXPECT_NE(registered.group_id(), kGuestsGroupId);
  // Registering again is refused.
  grpc::Status dup = stub_->RegisterCustomer(Ctx().get(), reg, &registered);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(EventsTest, OrdersOfRegisteredCustomersCountForThem) {
  v1::Customer c = Create("reg@example.com");
  ASSERT_TRUE(Deliver(Placed(MakeOrder(c.id(), "reg@example.com", 500, clock_.Now()))).ok());
  EXPECT_EQ(Get(c.id()).facts().total_spent().amount_minor(), 500);
  // Unknown customer ids are skipped, not failed (a deleted customer).
  EXPECT_TRUE(Deliver(Placed(MakeOrder(NewUuid(), "x@example.com", 1, clock_.Now()))).ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM customers")[0][0].as<int>(), 1);
  // Facts bump the version but publish no CustomerUpdated (order events
  // carry the news).
  EXPECT_GT(Get(c.id()).version(), c.version());
  EXPECT_TRUE(OutboxEvents("store.customer.v1.CustomerUpdated").empty());
}

class PrivacyTest : public CustomerFixture {
 protected:
  std::vector<DataSource> Sources() override {
    return {DataSource{.name = "orders",
                       .fetch = [this](const v1::Customer& c) -> absl::StatusOr<std::string> {
                         if (orders_down_) return absl::UnavailableError("down");
                         return absl::StrCat("[{\"email\":\"", c.email(), "\"}]");
                       }}};
  }
  bool orders_down_ = false;
};

// NEW-01 both ways: the newsletter's Subscribed / Unsubscribed become the
// customer's email consent, once, without echoing anything back.
TEST_F(EventsTest, NewsletterSubscriptionsBecomeEmailConsentWithoutEchoes) {
  const v1::Customer c = Create("reader@example.com");
  newsletter::v1::Subscribed subscribed;
  subscribed.mutable_subscriber()->set_id(NewUuid());
  subscribed.mutable_subscriber()->set_email("reader@example.com");
  subscribed.mutable_subscriber()->set_consent_ip("198.51.100.4");
  const auto env = events::MakeEnvelope(subscribed, subscribed.subscriber().id(), 2,
                                        "newsletter-service", absl::Now());
  const size_t before = OutboxEvents("store.customer.v1.ConsentChanged").size();
  ASSERT_TRUE(Deliver(env, "customer-newsletter").ok());
  v1::Customer now = Get(c.id());
  EXPECT_TRUE(now.email_marketing().granted());
  EXPECT_EQ(now.email_marketing().level(), v1::CONSENT_LEVEL_CONFIRMED_OPT_IN);
  auto changed = OutboxEvents("store.customer.v1.ConsentChanged");
  ASSERT_EQ(changed.size(), before + 1);
  v1::ConsentChanged e;
  ASSERT_TRUE(events::UnpackPayload(changed.back(), &e).ok());
  EXPECT_EQ(e.record().actor(), "newsletter-service");  // the newsletter ignores its own
  EXPECT_EQ(e.record().ip(), "198.51.100.4");
  // The same state again (a redelivery, or a later Subscribed): no new line.
  ASSERT_TRUE(Deliver(events::MakeEnvelope(subscribed, subscribed.subscriber().id(), 3,
                                           "newsletter-service", absl::Now()),
                      "customer-newsletter")
                  .ok());
  EXPECT_EQ(OutboxEvents("store.customer.v1.ConsentChanged").size(), before + 1);

  newsletter::v1::Unsubscribed left;
  *left.mutable_subscriber() = subscribed.subscriber();
  left.set_reason("link");
  ASSERT_TRUE(Deliver(events::MakeEnvelope(left, left.subscriber().id(), 4, "newsletter-service",
                                           absl::Now()),
                      "customer-newsletter")
                  .ok());
  now = Get(c.id());
  EXPECT_FALSE(now.email_marketing().granted());
  EXPECT_EQ(now.email_marketing().source(), "newsletter-link");
  EXPECT_EQ(OutboxEvents("store.customer.v1.ConsentChanged").size(), before + 2);

  // A subscriber who is no customer changes nothing here.
  subscribed.mutable_subscriber()->set_email("stranger@example.com");
  ASSERT_TRUE(
      Deliver(events::MakeEnvelope(subscribed, NewUuid(), 1, "newsletter-service", absl::Now()),
              "customer-newsletter")
          .ok());
  EXPECT_EQ(OutboxEvents("store.customer.v1.ConsentChanged").size(), before + 2);
}

TEST_F(PrivacyTest, ExportGathersEveryPartAndNamesMissingSources) {
  v1::Customer c = Create("pat@example.com", "Pat Doe");
  v1::AddCustomerNoteRequest note;
  note.set_customer_id(c.id());
  note.set_body("called about a late parcel");
  v1::CustomerNote n;
  ASSERT_TRUE(stub_->AddCustomerNote(Ctx().get(), note, &n).ok());
  v1::ExportCustomerDataRequest req;
  req.set_customer_id(c.id());
  v1::ExportCustomerDataResponse out;
  ASSERT_TRUE(stub_->ExportCustomerData(Ctx(c.id()).get(), req, &out).ok());
  EXPECT_THAT(out.json(), HasSubstr("\"customer\":{"));
  EXPECT_THAT(out.json(), HasSubstr("late parcel"));
  EXPECT_THAT(out.json(), HasSubstr("\"orders\":[{\"email\":\"pat@example.com\"}]"));
  EXPECT_TRUE(out.missing_sources().empty());
  orders_down_ = true;
  ASSERT_TRUE(stub_->ExportCustomerData(Ctx(c.id()).get(), req, &out).ok());
  EXPECT_THAT(out.missing_sources(), ::testing::ElementsAre("orders"));
  EXPECT_THAT(out.json(), HasSubstr("\"orders\":null"));
}

TEST_F(PrivacyTest, EraseRemovesPiiKeepsFactsAndRecordsProof) {
  v1::CreateCustomerRequest req;
  req.mutable_customer()->set_email("erin@example.com");
  req.mutable_customer()->set_name("Erin Erased");
  req.mutable_customer()->set_phone("+15559870000");
  req.set_password("long enough pw");
  req.set_accepts_marketing(true);
  auto* a = req.add_addresses();
  a->set_name("Erin Erased");
  a->set_line1("9 Secret Lane");
  a->set_city("Springfield");
  a->set_country_code("US");
  v1::Customer c;
  ASSERT_TRUE(stub_->CreateCustomer(Ctx().get(), req, &c).ok());
  ASSERT_TRUE(Deliver(Placed(MakeOrder(c.id(), "erin@example.com", 700, clock_.Now()))).ok());
  // The relay would have published these by now.
  Sql("UPDATE outbox SET sent_at = now()");

  v1::EraseCustomerRequest erase;
  erase.set_customer_id(c.id());
  erase.set_reason("GDPR request #42");
  v1::ErasureRecord record;
  ASSERT_TRUE(stub_->EraseCustomer(Ctx().get(), erase, &record).ok());
  EXPECT_EQ(record.email_sha256(), Sha256Hex("erin@example.com"));
  ASSERT_EQ(record.steps_size(), 1);
  EXPECT_EQ(record.steps(0).service(), "customer-service");

  // No trace of the email, name, phone or address anywhere in the database.
  for (const std::string& pii :
       {std::string("erin@example.com"), std::string("Erin Erased"), std::string("+15559870000"),
        std::string("Secret Lane")}) {
    pqxx::connection conn(db_->url());
    pqxx::work tx(conn);
    for (const auto& t : tx.exec("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = 'public'")) {
      const std::string table = t[0].as<std::string>();
      // Text columns hold it as is; bytea columns (protos, envelopes) as hex.
      const int64_t hits =
          tx.exec_params1(absl::StrCat("SELECT count(*) FROM ", tx.quote_name(table),
                                       " x WHERE position($1 in x::text) > 0"
                                       " OR position($2 in x::text) > 0"),
                          pii, absl::BytesToHexString(pii))[0]
              .as<int64_t>();
      EXPECT_EQ(hits, 0) << pii << " found in " << table;
    }
  }
  // Facts stay (no PII); the customer is gone for the API.
  EXPECT_EQ(Sql("SELECT total_spent FROM customers WHERE id = '" + c.id() + "'")[0][0].as<int>(),
            700);
  v1::GetCustomerRequest get;
  get.set_id(c.id());
  v1::Customer gone;
  EXPECT_EQ(stub_->GetCustomer(Ctx().get(), get, &gone).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->EraseCustomer(Ctx().get(), erase, &record).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The event carries hashes only; other services' reports join the record.
  auto erased = OutboxEvents("store.customer.v1.CustomerErased");
  ASSERT_EQ(erased.size(), 1u);
  v1::CustomerErased ev;
  ASSERT_TRUE(events::UnpackPayload(erased[0], &ev).ok());
  EXPECT_EQ(ev.phone_sha256(), Sha256Hex("+15559870000"));
  v1::ErasureStepCompleted step;
  step.set_erasure_id(record.id());
  step.set_customer_id(c.id());
  step.mutable_step()->set_service("order-service");
  step.mutable_step()->set_summary("1 orders anonymised");
  step.mutable_step()->set_records(1);
  *step.mutable_step()->mutable_complete_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(clock_.Now() + absl::Seconds(2)));
  auto env = events::MakeEnvelope(step, c.id(), 0, "order-service", absl::Now());
  ASSERT_TRUE(Deliver(env, "customer-erasures").ok());
  ASSERT_TRUE(Deliver(env, "customer-erasures").ok());
  v1::GetErasureRecordRequest gr;
  gr.set_id(record.id());
  ASSERT_TRUE(stub_->GetErasureRecord(Ctx().get(), gr, &record).ok());
  ASSERT_EQ(record.steps_size(), 2);
  EXPECT_EQ(record.steps(1).service(), "order-service");
}

}  // namespace
}  // namespace store::customer
