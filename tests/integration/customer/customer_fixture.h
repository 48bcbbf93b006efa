// The customer service wired as main.cc wires it (services/customer/wiring.h),
// in-process against a fresh PostgreSQL database, reached over a real gRPC
// channel, on a clock the test moves (libs/testing/service_fixture.h).
// Events are read from the outbox table (the relay is tested in libs/events).
#ifndef STORE_TESTS_INTEGRATION_CUSTOMER_CUSTOMER_FIXTURE_H_
#define STORE_TESTS_INTEGRATION_CUSTOMER_CUSTOMER_FIXTURE_H_

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/testing/service_fixture.h"
#include "services/customer/wiring.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace store::customer {

class CustomerFixture : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    clock_.Set(absl::FromUnixSeconds(1795000000));  // 2026-11-18T11:06:40Z
    StartService(Spec(&parts_, {.sources = Sources()}), {{"STORE_CURRENCY", StoreCurrency()}},
                 {.kafka = false});
    if (HasFatalFailure()) return;
    customers_ = parts_.customers.get();
    wallet_ = parts_.wallet.get();
    segments_ = parts_.segments.get();
    transfer_ = parts_.transfer.get();
    privacy_ = parts_.privacy.get();
    handlers_ = parts_.handlers.get();
    stub_ = v1::CustomerService::NewStub(Channel());
  }

  // STORE_CURRENCY.
  virtual std::string StoreCurrency() { return "USD"; }

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

  // Payload types of the outbox rows, oldest first.
  std::vector<std::string> OutboxTypes() {
    std::vector<std::string> out;
    for (const auto& r : Sql("SELECT event_type FROM outbox ORDER BY id")) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  }

  // Applies an event as the consumer would, in one transaction.
  // Through the consumer the service wired (default the order events'
  // "customer-facts"; also "customer-erasures", "customer-newsletter").
  absl::Status Deliver(const common::v1::EventEnvelope& env,
                       const std::string& consumer = "customer-facts") {
    return testing::ServiceFixture::Deliver(consumer, env);
  }
  // Order events applied in one transaction, as the consumer applies the
  // records it fetched together.
  absl::Status DeliverTogether(const std::vector<common::v1::EventEnvelope>& envs) {
    return testing::ServiceFixture::DeliverTogether("customer-facts", envs);
  }

  Parts parts_;
  CustomerApp* customers_ = nullptr;
  WalletApp* wallet_ = nullptr;
  SegmentApp* segments_ = nullptr;
  TransferApp* transfer_ = nullptr;
  PrivacyApp* privacy_ = nullptr;
  EventHandlers* handlers_ = nullptr;
  std::unique_ptr<v1::CustomerService::Stub> stub_;
};

}  // namespace store::customer

#endif  // STORE_TESTS_INTEGRATION_CUSTOMER_CUSTOMER_FIXTURE_H_
