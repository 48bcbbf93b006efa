// An order service running in-process against a fresh PostgreSQL database
// and an in-process Kafka cluster, with its outbox relay, reached over a real
// gRPC channel.
#ifndef STORE_TESTS_INTEGRATION_ORDER_ORDER_FIXTURE_H_
#define STORE_TESTS_INTEGRATION_ORDER_ORDER_FIXTURE_H_

#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/events/migrations.h"
#include "libs/events/relay.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "libs/pg/pool.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "services/order/app/order_app.h"
#include "services/order/migrations.h"
#include "services/order/app/cart_app.h"
#include "services/order/cart_service.h"
#include "services/order/order_service.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/integration/order/allow_all_customer_gate.h"

namespace store::order {

class OrderServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    kafka_ = std::make_unique<testing::TestKafka>();
    kafka_->CreateTopic(order::v1::kOrdersTopic, 3);
    pool_ = std::make_unique<pg::Pool>(pg::PoolOptions{.url = db_->url(), .size = 16});
    StartRelay();
    gate_ = MakeGate();
    ASSERT_NE(gate_, nullptr);
    app_ = std::make_unique<OrderApp>(*pool_, clock_, *gate_);
    service_ = std::make_unique<OrderServiceImpl>(*app_);
    carts_ = std::make_unique<CartApp>(*pool_, clock_, *app_, TestCartOptions());
    cart_service_ = std::make_unique<CartServiceImpl>(*carts_);
    code_service_ = std::make_unique<DiscountCodeServiceImpl>(*carts_);
    host_ = std::make_unique<grpcx::ServerHost>(grpcx::ServerOptions{.listen = "127.0.0.1:0"});
    host_->AddService(service_.get());
    host_->AddService(cart_service_.get());
    host_->AddService(code_service_.get());
    ASSERT_TRUE(host_->Start().ok());
    auto channel = grpcx::MakeChannel(absl::StrCat("127.0.0.1:", host_->port()));
    stub_ = v1::OrderService::NewStub(channel);
    cart_stub_ = v1::CartService::NewStub(channel);
    code_stub_ = v1::DiscountCodeService::NewStub(channel);
  }

  void TearDown() override {
    if (host_) host_->Shutdown();
    StopRelay();
  }

  static CartOptions TestCartOptions() {
    CartOptions options;
    options.store_currency = "USD";
    options.recovery_secret = "cart-recovery-secret-0123456789abcdef";
    options.recovery_url = "https://shop.example.com/cart/recover?token=";
    return options;
  }

  // The customer service as PlaceOrder sees it; tests about ORD-13 put a
  // real gRPC client to a fake server here.
  virtual std::unique_ptr<CustomerGate> MakeGate() {
    return std::make_unique<AllowAllCustomerGate>();
  }

  void StartRelay() {
    relay_ = std::make_unique<events::OutboxRelay>(events::RelayOptions{
        .database_url = db_->url(), .brokers = kafka_->brokers(),
        .poll_interval = absl::Milliseconds(200)});
    ASSERT_TRUE(relay_->Start().ok());
  }
  void StopRelay() {
    if (relay_) relay_->Stop(absl::Seconds(2));
    relay_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-actor", "staff:test");
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  static v1::PlaceOrderRequest GuestOrder(const std::string& email = "ann@example.com",
                                          int64_t unit_price = 1250, int quantity = 2) {
    v1::PlaceOrderRequest r;
    r.set_request_id(NewUuid());
    r.set_currency_code("USD");
    r.mutable_customer()->set_email(email);
    r.mutable_customer()->set_name("Ann Lee");
    r.mutable_customer()->set_phone("+1 555 123 4567");
    auto* item = r.add_items();
    item->set_sku("MUG-1");
    item->set_name("Blue mug");
    item->set_quantity(quantity);
    item->mutable_unit_price()->set_amount_minor(unit_price);
    item->mutable_unit_price()->set_currency_code("USD");
    auto* a = r.mutable_shipping_address();
    a->set_name("Ann Lee");
    a->set_line1("1 Main St");
    a->set_city("Springfield");
    a->set_country_code("US");
    r.mutable_delivery_method()->set_code("standard");
    r.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
    r.set_payment_method(v1::PAYMENT_METHOD_CARD);
    return r;
  }

  v1::Order Place(const v1::PlaceOrderRequest& r) {
    v1::Order o;
    grpc::Status s = stub_->PlaceOrder(Ctx().get(), r, &o);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return o;
  }

  v1::Order Pay(const v1::Order& o, int64_t amount = -1, const std::string& reference = "") {
    v1::RecordPaymentRequest r;
    r.set_order_id(o.id());
    r.set_provider("stripe");
    r.set_reference(reference.empty() ? NewUuid() : reference);
    r.mutable_amount()->set_amount_minor(amount < 0 ? o.totals().total().amount_minor() : amount);
    r.set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
    v1::RecordPaymentResponse resp;
    grpc::Status s = stub_->RecordPayment(Ctx().get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.order();
  }

  v1::Order Ship(const v1::Order& o) {
    v1::ShipOrderRequest r;
    r.set_order_id(o.id());
    r.set_carrier("ups");
    r.set_tracking_number("1Z999AA10123456784");
    v1::Order out;
    grpc::Status s = stub_->ShipOrder(Ctx().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The reason and field of an error's ErrorInfo ("" when none).
  static std::string ReasonOf(const grpc::Status& s) {
    auto info = grpcx::ErrorInfoOf(s);
    return info.has_value() ? info->reason() : "";
  }
  static std::string FieldOf(const grpc::Status& s) {
    auto info = grpcx::ErrorInfoOf(s);
    return info.has_value() ? info->field() : "";
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  FakeClock clock_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::TestKafka> kafka_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<events::OutboxRelay> relay_;
  std::unique_ptr<CustomerGate> gate_;
  std::unique_ptr<OrderApp> app_;
  std::unique_ptr<OrderServiceImpl> service_;
  std::unique_ptr<CartApp> carts_;
  std::unique_ptr<CartServiceImpl> cart_service_;
  std::unique_ptr<DiscountCodeServiceImpl> code_service_;
  std::unique_ptr<grpcx::ServerHost> host_;
  std::unique_ptr<v1::OrderService::Stub> stub_;
  std::unique_ptr<v1::CartService::Stub> cart_stub_;
  std::unique_ptr<v1::DiscountCodeService::Stub> code_stub_;
};

}  // namespace store::order

#endif  // STORE_TESTS_INTEGRATION_ORDER_ORDER_FIXTURE_H_
