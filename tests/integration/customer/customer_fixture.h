// A customer service running in-process against a fresh PostgreSQL database,
// reached over a real gRPC channel, on a clock the test moves. Events are
// read from the outbox table (the relay is tested in libs/events).
#ifndef STORE_TESTS_INTEGRATION_CUSTOMER_CUSTOMER_FIXTURE_H_
#define STORE_TESTS_INTEGRATION_CUSTOMER_CUSTOMER_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/pg/pool.h"
#include "libs/testing/test_database.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/event_handlers.h"
#include "services/customer/app/privacy_app.h"
#include "services/customer/app/segment_app.h"
#include "services/customer/app/transfer_app.h"
#include "services/customer/app/wallet_app.h"
#include "services/customer/customer_service.h"
#include "services/customer/migrations.h"
#include "services/customer/store/store_currency.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace store::customer {

class CustomerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    SetStoreCurrency("USD");
    auto db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"customer", &CustomerMigrations()}});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    pool_ = std::make_unique<pg::Pool>(pg::PoolOptions{.url = db_->url(), .size = 16});
    clock_.Set(absl::FromUnixSeconds(1795000000));  // 2026-11-18T11:06:40Z
    customers_ = std::make_unique<CustomerApp>(*pool_, clock_);
    wallet_ = std::make_unique<WalletApp>(*pool_, clock_);
    segments_ = std::make_unique<SegmentApp>(*pool_, clock_);
    transfer_ = std::make_unique<TransferApp>(*pool_, clock_);
    privacy_ = std::make_unique<PrivacyApp>(*pool_, clock_, Sources());
    handlers_ = std::make_unique<EventHandlers>(clock_);
    service_ = NewCustomerService({*customers_, *wallet_, *segments_, *transfer_, *privacy_});
    host_ = std::make_unique<grpcx::ServerHost>(grpcx::ServerOptions{.listen = "127.0.0.1:0"});
    host_->AddService(service_.get());
    ASSERT_TRUE(host_->Start().ok());
    stub_ = v1::CustomerService::NewStub(
        grpcx::MakeChannel(absl::StrCat("127.0.0.1:", host_->port())));
  }

  void TearDown() override {
    if (host_) host_->Shutdown();
  }

  // Other services' parts of the privacy export.
  virtual std::vector<DataSource> Sources() { return {}; }

  // A staff call (or, with `customer_id`, a customer's own call as the
  // gateway makes it).
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& customer_id = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-actor", customer_id.empty() ? "staff:test" : "customer:" + customer_id);
    if (!customer_id.empty()) ctx->AddMetadata("x-customer-id", customer_id);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  v1::Customer Create(const std::string& email, const std::string& name = "Ann Example",
                      const std::string& password = "") {
    v1::CreateCustomerRequest req;
    req.mutable_customer()->set_email(email);
    req.mutable_customer()->set_name(name);
    req.set_password(password);
    v1::Customer out;
    grpc::Status s = stub_->CreateCustomer(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // Runs SQL against the service's database.
  pqxx::result Sql(const std::string& sql) {
    pqxx::connection conn(db_->url());
    pqxx::work tx(conn);
    pqxx::result r = tx.exec(sql);
    tx.commit();
    return r;
  }

  // Payload types of the outbox rows, oldest first.
  std::vector<std::string> OutboxTypes() {
    std::vector<std::string> out;
    for (const auto& r : Sql("SELECT event_type FROM outbox ORDER BY id")) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  }

  // The envelopes of the outbox rows of `type`, oldest first.
  std::vector<common::v1::EventEnvelope> OutboxEvents(const std::string& type) {
    std::vector<common::v1::EventEnvelope> out;
    pqxx::connection conn(db_->url());
    pqxx::work tx(conn);
    for (const auto& r :
         tx.exec_params("SELECT envelope FROM outbox WHERE event_type = $1 ORDER BY id", type)) {
      pqxx::binarystring b(r[0]);
      common::v1::EventEnvelope e;
      e.ParseFromString(b.str());
      out.push_back(e);
    }
    return out;
  }

  // Applies an event as the consumer would, in one transaction.
  absl::Status Deliver(const common::v1::EventEnvelope& env,
                       absl::Status (EventHandlers::*handler)(pqxx::work&,
                                                              const common::v1::EventEnvelope&) =
                           &EventHandlers::HandleOrderEvent) {
    return pool_->InTransaction(
        [&](pqxx::work& tx) { return ((*handlers_).*handler)(tx, env); });
  }

  FakeClock clock_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<CustomerApp> customers_;
  std::unique_ptr<WalletApp> wallet_;
  std::unique_ptr<SegmentApp> segments_;
  std::unique_ptr<TransferApp> transfer_;
  std::unique_ptr<PrivacyApp> privacy_;
  std::unique_ptr<EventHandlers> handlers_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpcx::ServerHost> host_;
  std::unique_ptr<v1::CustomerService::Stub> stub_;
};

}  // namespace store::customer

#endif  // STORE_TESTS_INTEGRATION_CUSTOMER_CUSTOMER_FIXTURE_H_
