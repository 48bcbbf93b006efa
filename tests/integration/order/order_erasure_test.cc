// CUS-13: a CustomerErased event from the customer service, delivered
// through Kafka to the order service's consumer, anonymises the customer's
// orders and their guest orders, and reports one ErasureStepCompleted.
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/consumer.h"
#include "libs/events/envelope.h"
#include "libs/testing/wait.h"
#include "store/customer/v1/events.pb.h"
#include "store/topics.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

namespace cv1 = customer::v1;

const char kXavier[] = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const char kYara[] = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
// Xavier's personal data, as stored (normalised).
const char kEmail[] = "xavier.quinn@example.com";
const char kName[] = "Xavier Quinn";
const char kPhone[] = "+15557778888";
// Hex SHA-256 of kEmail, as the customer service sends it (computed
// independently: python3 -c "import hashlib; print(hashlib.sha256(...))").
const char kEmailSha256[] = "b74e3f9d4385c843be9e9aae331ae052ccc8dac194855ab2d22d92b4c17c04e9";

class OrderErasureTest : public OrderServiceFixture {
 protected:
  void SetUp() override {
    OrderServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    StartConsumer(kErasureConsumer);  // the consumer as the service wires it
  }

  static v1::PlaceOrderRequest Order(const std::string& customer_id, const std::string& email,
                                     const std::string& name, const std::string& phone) {
    v1::PlaceOrderRequest r = GuestOrder(email);
    r.mutable_customer()->set_customer_id(customer_id);
    r.mutable_customer()->set_name(name);
    r.mutable_customer()->set_phone(phone);
    r.mutable_shipping_address()->set_name(name);
    r.mutable_shipping_address()->set_phone(phone);
    r.mutable_shipping_address()->set_postal_code("62704");
    r.mutable_shipping_address()->set_region("IL");
    r.set_customer_note(absl::StrCat("Please call ", name, " on ", phone));
    return r;
  }

  // Publishes a customer event the way the customer service does.
  std::string Publish(const google::protobuf::Message& event, const std::string& customer_id) {
    common::v1::EventEnvelope env =
        events::MakeEnvelope(event, customer_id, 7, "customer-service", clock_.Now());
    kafka_->Produce(customer::v1::kCustomersTopic, customer_id, env.SerializeAsString());
    return env.SerializeAsString();
  }

  std::string Erased(const std::string& erasure_id) {
    cv1::CustomerErased e;
    e.set_customer_id(kXavier);
    e.set_erasure_id(erasure_id);
    e.set_email_sha256(kEmailSha256);
    e.set_phone_sha256(std::string(64, 'b'));
    return Publish(e, kXavier);
  }

  // Rows anywhere in the order database that still hold `text`.
  int64_t RowsHolding(const std::string& text) {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    const std::string bytes = absl::StrCat("convert_to(", tx.quote(text), ", 'UTF8')");
    const std::string like = tx.quote(absl::StrCat("%", absl::AsciiStrToLower(text), "%"));
    return tx
        .exec1(absl::StrCat(
            "SELECT (SELECT count(*) FROM orders WHERE position(", bytes,
            " in body) > 0 OR lower(customer_email) LIKE ", like, " OR search_text LIKE ", like,
            ") + (SELECT count(*) FROM order_items WHERE lower(name) LIKE ", like,
            ") + (SELECT count(*) FROM order_notes WHERE lower(text) LIKE ", like,
            ") + (SELECT count(*) FROM order_history WHERE lower(reason) LIKE ", like,
            ") + (SELECT count(*) FROM outbox WHERE position(", bytes, " in envelope) > 0)",
            " + (SELECT count(*) FROM carts WHERE position(", bytes,
            " in body) > 0 OR lower(email) LIKE ", like, ")"))[0]
        .as<int64_t>();
  }

  std::vector<cv1::ErasureStepCompleted> Steps() {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    std::vector<cv1::ErasureStepCompleted> out;
    for (const auto& row : tx.exec(absl::StrCat(
             "SELECT envelope, aggregate_id FROM outbox WHERE topic = '",
             customer::v1::kErasuresTopic,
             "' AND event_type = 'store.customer.v1.ErasureStepCompleted' ORDER BY id"))) {
      pqxx::binarystring b(row[0]);
      auto env = events::ParseEnvelope(std::string(b.str()));
      EXPECT_TRUE(env.ok());
      EXPECT_EQ(row[1].as<std::string>(), kXavier);  // keyed by customer id
      cv1::ErasureStepCompleted step;
      EXPECT_TRUE(events::UnpackPayload(*env, &step).ok());
      out.push_back(step);
    }
    return out;
  }
};

TEST_F(OrderErasureTest, AnonymisesTheCustomersOrdersAndGuestOrdersAndReportsOnce) {
  // Xavier's two orders, a guest order with his email (any case), Yara's.
  v1::Order x1 = Place(Order(kXavier, kEmail, kName, "+1 555 777 8888"));
  v1::Order x2 = Pay(Place(Order(kXavier, kEmail, kName, kPhone)));
  v1::Order guest = Place(Order("", "Xavier.Quinn@Example.com", kName, kPhone));
  v1::Order yara = Place(Order(kYara, "yara@example.com", "Yara Lind", "+15550001111"));
  v1::Order other_guest = Place(Order("", "zed@example.com", "Zed Ode", "+15550002222"));
  v1::AddOrderNoteRequest note;
  note.set_order_id(x1.id());
  note.set_text(absl::StrCat("Spoke to xavier quinn, mail ", kEmail, " confirmed"));
  note.set_visibility(v1::NOTE_VISIBILITY_INTERNAL);
  v1::OrderNote added;
  ASSERT_TRUE(stub_->AddOrderNote(Ctx().get(), note, &added).ok());
  v1::CancelOrderRequest cancel;
  cancel.set_order_id(guest.id());
  cancel.set_reason(absl::StrCat("duplicate, asked by ", kName));
  cancel.set_initiator(v1::CANCEL_INITIATOR_CUSTOMER);
  ASSERT_TRUE(stub_->CancelOrder(Ctx().get(), cancel, &guest).ok());
  // Published already (the relay keeps sent rows a day).
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }));
  ASSERT_GT(RowsHolding(kEmail), 0);
  ASSERT_GT(RowsHolding(kName), 0);
  ASSERT_GT(RowsHolding(kPhone), 0);
  const v1::Order yara_before = GetOrder(yara.id());
  // Open carts: Xavier's, a guest cart with his email, and Yara's.
  for (const auto& [customer, email] :
       std::vector<std::pair<std::string, std::string>>{
           {kXavier, kEmail}, {"", "xavier.quinn@example.com"}, {kYara, "yara@example.com"}}) {
    v1::CreateCartRequest r;
    r.set_request_id(NewUuid());
    r.mutable_cart()->set_customer_id(customer);
    r.mutable_cart()->set_email(email);
    if (customer != kYara) *r.mutable_cart()->mutable_shipping_address() = x1.shipping_address();
    v1::Cart cart;
    ASSERT_TRUE(cart_stub_->CreateCart(Ctx().get(), r, &cart).ok());
  }

  // Other customer events are ignored.
  cv1::CustomerUpdated updated;
  updated.mutable_customer()->set_id(kXavier);
  Publish(updated, kXavier);
  Erased("e-1");
  ASSERT_TRUE(testing::WaitFor([&] { return Steps().size() == 1; }, absl::Seconds(20)));

  // Nothing of Xavier is left in the database.
  EXPECT_EQ(RowsHolding(kEmail), 0);
  EXPECT_EQ(RowsHolding(kName), 0);
  EXPECT_EQ(RowsHolding(kPhone), 0);
  EXPECT_EQ(RowsHolding("Xavier"), 0);

  const std::vector<cv1::ErasureStepCompleted> steps = Steps();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].erasure_id(), "e-1");
  EXPECT_EQ(steps[0].customer_id(), kXavier);
  EXPECT_EQ(steps[0].step().service(), "order-service");
  EXPECT_EQ(steps[0].step().summary(), "3 orders anonymised, 2 carts deleted");
  EXPECT_EQ(steps[0].step().records(), 5);
  EXPECT_EQ(Count("SELECT count(*) FROM carts"), 1);  // Yara's
  EXPECT_TRUE(steps[0].step().has_complete_time());
  // No order event for the erasure.
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND topic = "
                  "'store.order.orders.v1'"),
            0);

  for (const v1::Order& before : {x1, x2, guest}) {
    const v1::Order after = GetOrder(before.id());
    SCOPED_TRACE(before.id());
    const std::string tag = before.customer().customer_id().empty()
                                ? before.id().substr(0, 8)
                                : before.customer().customer_id().substr(0, 8);
    EXPECT_EQ(after.customer().email(), absl::StrCat("erased+", tag, "@invalid"));
    EXPECT_EQ(after.customer().name(), "Erased customer");
    EXPECT_EQ(after.customer().phone(), "");
    EXPECT_EQ(after.customer().customer_id(), before.customer().customer_id());
    EXPECT_EQ(after.customer_note(), "");
    EXPECT_EQ(after.shipping_address().line1(), "");
    EXPECT_EQ(after.shipping_address().postal_code(), "");
    EXPECT_EQ(after.shipping_address().country_code(), "US");
    EXPECT_EQ(after.shipping_address().region(), "IL");
    EXPECT_EQ(after.billing_address().city(), "");
    EXPECT_EQ(after.totals().SerializeAsString(), before.totals().SerializeAsString());
    EXPECT_EQ(after.items(0).sku(), "MUG-1");
    EXPECT_EQ(after.status(), before.status());
    EXPECT_EQ(after.version(), before.version() + 1);
    v1::ListOrderHistoryRequest lh;
    lh.set_order_id(before.id());
    v1::ListOrderHistoryResponse history;
    ASSERT_TRUE(stub_->ListOrderHistory(Ctx().get(), lh, &history).ok());
    EXPECT_EQ(history.entries(history.entries_size() - 1).action(), "personal_data_erased");
    EXPECT_GE(history.entries_size(), 2);  // kept
  }
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM orders WHERE customer_email = 'erased+",
                               std::string(kXavier).substr(0, 8), "@invalid'")),
            2);
  // The others are untouched.
  EXPECT_EQ(GetOrder(yara.id()).SerializeAsString(), yara_before.SerializeAsString());
  EXPECT_EQ(GetOrder(other_guest.id()).customer().email(), "zed@example.com");
  EXPECT_EQ(GetOrder(other_guest.id()).version(), 1);

  // Redelivered: skipped by the inbox. Erased again (a new event): harmless.
  const std::string first = GetOrder(x1.id()).SerializeAsString();
  kafka_->Produce(customer::v1::kCustomersTopic, kXavier, Erased("e-2"));
  ASSERT_TRUE(testing::WaitFor([&] { return Steps().size() >= 2; }, absl::Seconds(20)));
  // One per distinct event: e-2 was published twice (Erased() and the
  // replay of its bytes), handled once.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Count(absl::StrCat("SELECT count(*) FROM inbox WHERE consumer = '", kErasureConsumer,
                                  "'")) == 3;
      },
      absl::Seconds(20)));
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_EQ(Steps().size(), 2u);
  EXPECT_EQ(Steps()[1].erasure_id(), "e-2");
  EXPECT_EQ(Steps()[1].step().records(), 0);
  EXPECT_EQ(Steps()[1].step().summary(), "0 orders anonymised, 0 carts deleted");
  EXPECT_EQ(GetOrder(x1.id()).SerializeAsString(), first);
}

TEST_F(OrderErasureTest, AnEventWithoutACustomerIdIsRejected) {
  cv1::CustomerErased e;
  e.set_erasure_id("e-3");
  common::v1::EventEnvelope env = events::MakeEnvelope(e, "x", 1, "customer-service", clock_.Now());
  absl::Status s =
      pool_->InTransaction([&](pqxx::work& tx) { return app_->HandleCustomerEvent(tx, env); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 0);
}

}  // namespace
}  // namespace store::order
