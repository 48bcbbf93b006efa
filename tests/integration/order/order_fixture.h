// The order service wired as main.cc wires it (services/order/wiring.h),
// in-process against a fresh PostgreSQL database and an in-process Kafka
// cluster with its outbox relay, reached over a real gRPC channel
// (libs/testing/service_fixture.h).
#ifndef STORE_TESTS_INTEGRATION_ORDER_ORDER_FIXTURE_H_
#define STORE_TESTS_INTEGRATION_ORDER_ORDER_FIXTURE_H_

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "gtest/gtest.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "libs/pg/pool.h"
#include "libs/testing/service_fixture.h"
#include "services/order/wiring.h"
#include "store/order/v1/cart_service.grpc.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/integration/order/allow_all_customer_gate.h"

namespace store::order {

class OrderServiceFixture : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    const CartOptions cart = TestCartOptions();
    std::map<std::string, std::string> env = {{"STORE_CURRENCY", cart.store_currency},
                                              {"CART_RECOVERY_SECRET", cart.recovery_secret},
                                              {"CART_RECOVERY_URL", cart.recovery_url},
                                              {"STORE_TIME_ZONE", "Europe/Berlin"},
                                              {"STORE_NAME", "Integration Shop"}};
    Deps deps;
    const std::string customer_addr = CustomerServiceAddr();
    if (customer_addr.empty()) {
      deps.customers = std::make_shared<AllowAllCustomerGate>();
    } else {
      env["CUSTOMER_SERVICE_ADDR"] = customer_addr;
      env["CUSTOMER_CHECK_TIMEOUT"] = "1s";
    }
    StartService(Spec(&parts_, deps), env);
    if (HasFatalFailure()) return;
    app_ = parts_.orders.get();
    carts_ = parts_.carts.get();
    stub_ = v1::OrderService::NewStub(Channel());
    cart_stub_ = v1::CartService::NewStub(Channel());
    code_stub_ = v1::DiscountCodeService::NewStub(Channel());
  }

  static CartOptions TestCartOptions() {
    CartOptions options;
    options.store_currency = "USD";
    options.recovery_secret = "cart-recovery-secret-0123456789abcdef";
    options.recovery_url = "https://shop.example.com/cart/recover?token=";
    return options;
  }

  // The customer service PlaceOrder asks (CUSTOMER_SERVICE_ADDR, with a 1 s
  // CUSTOMER_CHECK_TIMEOUT); empty: a gate that lets every buyer order.
  // Tests about ORD-13 return a fake server's address.
  virtual std::string CustomerServiceAddr() { return ""; }

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

  // The order as stored now.
  v1::Order GetOrder(const std::string& id) {
    v1::GetOrderRequest req;
    req.set_id(id);
    v1::Order o;
    grpc::Status s = stub_->GetOrder(Ctx().get(), req, &o);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return o;
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

  Parts parts_;
  OrderApp* app_ = nullptr;
  CartApp* carts_ = nullptr;
  std::unique_ptr<v1::OrderService::Stub> stub_;
  std::unique_ptr<v1::CartService::Stub> cart_stub_;
  std::unique_ptr<v1::DiscountCodeService::Stub> code_stub_;
};

}  // namespace store::order

#endif  // STORE_TESTS_INTEGRATION_ORDER_ORDER_FIXTURE_H_
