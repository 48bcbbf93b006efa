// ORD-13: PlaceOrder asks the customer service whether the buyer may order,
// applies the group discount and pays with store credit; against real
// PostgreSQL, with a fake customer service over real gRPC.
#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/grpcx/status.h"
#include "libs/pg/values.h"
#include "tests/integration/order/fake_customer_service.h"
#include "tests/integration/order/order_fixture.h"

namespace store::order {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// CUSTOMER_CHECK_TIMEOUT as the fixture sets it.
constexpr absl::Duration kCheckTimeout = absl::Seconds(1);
const char kAnn[] = "5b0f7e2a-3c1d-4e8f-9a6b-1c2d3e4f5a6b";

class OrderCheckoutTest : public OrderServiceFixture {
 protected:
  std::string CustomerServiceAddr() override {
    fake_ = std::make_unique<FakeCustomerServer>();
    EXPECT_TRUE(fake_->started().ok()) << fake_->started();
    return fake_->address();
  }
  FakeCustomerService& customers() { return fake_->service(); }

  // Ann's order of 2 x 12.50 + 5.00 shipping (30.00), no tax.
  static v1::PlaceOrderRequest AnnOrder(v1::PaymentMethod method = v1::PAYMENT_METHOD_CARD) {
    v1::PlaceOrderRequest r = GuestOrder();
    r.mutable_customer()->set_customer_id(kAnn);
    r.set_payment_method(method);
    return r;
  }

  grpc::Status TryPlace(const v1::PlaceOrderRequest& r, v1::Order* out = nullptr) {
    v1::Order o;
    grpc::Status s = stub_->PlaceOrder(Ctx().get(), r, &o);
    if (out != nullptr) *out = o;
    return s;
  }

  // Guest orders of buyer0@example.com .. buyer<n-1>@, placed at once.
  std::vector<grpc::Status> PlaceAtOnce(int n) {
    std::vector<grpc::Status> results(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back(
          [&, i] { results[i] = TryPlace(GuestOrder(absl::StrCat("buyer", i, "@example.com"))); });
    }
    for (auto& t : threads) t.join();
    return results;
  }

  void ExpectNothingStored() {
    EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM order_payments"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 0);
    // A number taken by a placement that rolled back stays unused (ORD-01).
  }

  void Exec(const std::string& sql) {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    tx.exec0(sql);
  }

  std::unique_ptr<FakeCustomerServer> fake_;
};

TEST_F(OrderCheckoutTest, BlacklistedBuyerIsRefusedWithTheReasonAndNothingIsStored) {
  customers().Blacklist("ann@example.com");
  grpc::Status s = TryPlace(GuestOrder("ann@example.com"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "CUSTOMER_BLACKLISTED");
  EXPECT_EQ(s.error_message(), "orders from ann@example.com are not accepted (blacklisted)");
  ExpectNothingStored();
  // Others still order, and get the first number.
  EXPECT_EQ(Place(GuestOrder("bob@example.com")).number(), 10001);
}

TEST_F(OrderCheckoutTest, UnknownCustomerIdIsAnInvalidArgument) {
  grpc::Status s = TryPlace(AnnOrder());  // Ann is not a customer of the fake
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "customer.customer_id");
  EXPECT_THAT(s.error_message(), HasSubstr("no such customer"));
  ExpectNothingStored();
}

TEST_F(OrderCheckoutTest, GroupDiscountIsAppliedToRegisteredCustomers) {
  customers().AddCustomer(kAnn, 0, /*discount_bp=*/1000, "Wholesale");
  v1::PlaceOrderRequest r = AnnOrder();
  r.mutable_items(0)->set_tax_rate_bp(2000);
  v1::Order o = Place(r);
  ASSERT_EQ(o.discounts_size(), 1);
  EXPECT_EQ(o.discounts(0).code(), "GROUP");
  EXPECT_EQ(o.discounts(0).description(), "Wholesale group discount");
  EXPECT_EQ(o.discounts(0).percent_bp(), 1000);
  EXPECT_EQ(o.discounts(0).applied().amount_minor(), 250);  // 10% of 25.00
  EXPECT_EQ(o.totals().subtotal().amount_minor(), 2500);
  EXPECT_EQ(o.totals().discount().amount_minor(), 250);
  EXPECT_EQ(o.totals().tax().amount_minor(), 450);  // 20% of 22.50
  EXPECT_EQ(o.totals().total().amount_minor(), 2500 - 250 + 500 + 450);
  EXPECT_EQ(Count("SELECT total_minor FROM orders"), 3200);
  // As stored, and as published.
  v1::GetOrderRequest get;
  get.set_id(o.id());
  v1::Order stored;
  ASSERT_TRUE(stub_->GetOrder(Ctx().get(), get, &stored).ok());
  EXPECT_EQ(stored.discounts(0).code(), "GROUP");
  EXPECT_EQ(stored.totals().total().amount_minor(), 3200);
  // Guests have no group.
  EXPECT_EQ(Place(GuestOrder("bob@example.com")).discounts_size(), 0);
}

TEST_F(OrderCheckoutTest, StoreCreditIsDebitedWithTheRequestIdAndTheOrderIsStoredPaid) {
  customers().AddCustomer(kAnn, /*balance=*/10000);
  const v1::PlaceOrderRequest r = AnnOrder(v1::PAYMENT_METHOD_STORE_CREDIT);
  v1::Order o = Place(r);
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(o.version(), 2);
  EXPECT_EQ(o.totals().paid().amount_minor(), 3000);
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  std::vector<FakeCustomerService::Debit> debits = customers().Debits();
  ASSERT_EQ(debits.size(), 1u);
  EXPECT_EQ(debits[0].customer_id, kAnn);
  EXPECT_EQ(debits[0].amount_minor, 3000);
  EXPECT_EQ(debits[0].currency_code, "USD");
  EXPECT_EQ(debits[0].reason, "order payment");
  EXPECT_EQ(debits[0].idempotency_key, r.request_id());

  v1::ListOrderPaymentsRequest lp;
  lp.set_order_id(o.id());
  v1::ListOrderPaymentsResponse payments;
  ASSERT_TRUE(stub_->ListOrderPayments(Ctx().get(), lp, &payments).ok());
  ASSERT_EQ(payments.payments_size(), 1);
  EXPECT_EQ(payments.payments(0).provider(), "store_credit");
  EXPECT_EQ(payments.payments(0).reference(), r.request_id());
  EXPECT_EQ(payments.payments(0).amount().amount_minor(), 3000);
  EXPECT_EQ(payments.payments(0).outcome(), v1::PAYMENT_OUTCOME_SUCCEEDED);

  v1::ListOrderHistoryRequest lh;
  lh.set_order_id(o.id());
  v1::ListOrderHistoryResponse history;
  ASSERT_TRUE(stub_->ListOrderHistory(Ctx().get(), lh, &history).ok());
  ASSERT_EQ(history.entries_size(), 2);
  EXPECT_EQ(history.entries(0).action(), "placed");
  EXPECT_EQ(history.entries(1).action(), "payment");
  EXPECT_EQ(history.entries(1).to_status(), v1::ORDER_STATUS_PROCESSING);

  // OrderPlaced then OrderPaid, as a payment recorded later would publish.
  pqxx::connection conn(db_->url());
  pqxx::nontransaction tx(conn);
  std::vector<std::string> types;
  for (const auto& row : tx.exec("SELECT event_type FROM outbox ORDER BY id")) {
    types.push_back(row[0].as<std::string>());
  }
  EXPECT_THAT(types, ElementsAre("store.order.v1.OrderPlaced", "store.order.v1.OrderPaid"));

  // A retry returns the same order; the debit is keyed by request_id, so the
  // wallet pays once however often the order is retried.
  v1::Order again = Place(r);
  EXPECT_EQ(again.id(), o.id());
  EXPECT_EQ(again.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(customers().Debits().size(), 1u);
  EXPECT_EQ(customers().Balance(kAnn), 7000);
}

TEST_F(OrderCheckoutTest, StoreCreditNeedsARegisteredCustomer) {
  v1::PlaceOrderRequest r = GuestOrder();
  r.set_payment_method(v1::PAYMENT_METHOD_STORE_CREDIT);
  grpc::Status s = TryPlace(r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "payment_method");
  EXPECT_THAT(s.error_message(), HasSubstr("store credit needs a registered customer"));
  EXPECT_EQ(customers().checks(), 0);
  ExpectNothingStored();
}

TEST_F(OrderCheckoutTest, InsufficientFundsStoresNothing) {
  customers().AddCustomer(kAnn, /*balance=*/2999);
  grpc::Status s = TryPlace(AnnOrder(v1::PAYMENT_METHOD_STORE_CREDIT));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "INSUFFICIENT_FUNDS");
  EXPECT_THAT(s.error_message(), HasSubstr("less than the 3000 to pay"));
  EXPECT_EQ(customers().Balance(kAnn), 2999);
  EXPECT_TRUE(customers().Debits().empty());
  EXPECT_TRUE(customers().Reversals().empty());
  ExpectNothingStored();
}

// The failure is real: a trigger the test puts on the table makes the
// service's own INSERT fail inside its transaction, after the debit.
TEST_F(OrderCheckoutTest, TheDebitIsGivenBackWhenTheOrderCannotBeStored) {
  customers().AddCustomer(kAnn, /*balance=*/10000);
  Exec(
      "CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS"
      " $$ BEGIN RAISE EXCEPTION 'injected by the test'; END $$");
  // The order row itself, or the payment written after it in the same
  // transaction.
  for (const std::string table : {"orders", "order_payments"}) {
    SCOPED_TRACE(table);
    Exec("CREATE TRIGGER fail_insert BEFORE INSERT ON " + table +
         " FOR EACH ROW EXECUTE FUNCTION fail_insert()");
    const v1::PlaceOrderRequest r = AnnOrder(v1::PAYMENT_METHOD_STORE_CREDIT);
    grpc::Status s = TryPlace(r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
    EXPECT_EQ(customers().Balance(kAnn), 10000);  // debited, then given back
    std::vector<FakeCustomerService::Debit> debits = customers().Debits();
    ASSERT_FALSE(debits.empty());
    EXPECT_EQ(debits.back().idempotency_key, r.request_id());
    EXPECT_TRUE(debits.back().reversed);
    EXPECT_EQ(customers().Reversals().back(), r.request_id());
    ExpectNothingStored();

    // Once storing works again, the same request pays and is stored.
    Exec("DROP TRIGGER fail_insert ON " + table);
    v1::Order o = Place(r);
    EXPECT_EQ(o.status(), v1::ORDER_STATUS_PROCESSING);
    EXPECT_EQ(customers().Balance(kAnn), 7000);
    Exec(
        "DELETE FROM outbox; DELETE FROM orders;"
        " ALTER SEQUENCE order_number_seq RESTART WITH 10001");
    customers().AddCustomer(kAnn, 10000);
  }
}

TEST_F(OrderCheckoutTest, ADebitWithoutAReplyIsGivenBack) {
  customers().AddCustomer(kAnn, /*balance=*/10000);
  customers().LoseNextDebitReply();
  const v1::PlaceOrderRequest r = AnnOrder(v1::PAYMENT_METHOD_STORE_CREDIT);
  grpc::Status s = TryPlace(r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(s), "CUSTOMER_SERVICE_UNAVAILABLE");
  EXPECT_EQ(customers().Balance(kAnn), 10000);
  EXPECT_THAT(customers().Reversals(), ElementsAre(r.request_id()));
  ExpectNothingStored();
}

// REL-9: the reply to the debit is lost and the customer service cannot be
// reached to give it back either (it died mid-call). The debit stays noted;
// the wallet-reversals job gives it back once WALLET_DEBIT_WAIT (60 s) passed.
TEST_F(OrderCheckoutTest, ADebitThatCannotBeGivenBackAtOnceIsGivenBackByTheJob) {
  customers().AddCustomer(kAnn, /*balance=*/10000);
  customers().LoseNextDebitReply();
  customers().FailReversals(2);
  const v1::PlaceOrderRequest r = AnnOrder(v1::PAYMENT_METHOD_STORE_CREDIT);
  EXPECT_EQ(TryPlace(r).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(customers().Balance(kAnn), 7000);  // debited, not given back
  EXPECT_EQ(Count("SELECT count(*) FROM pending_wallet_debits"), 1);

  ASSERT_TRUE(RunPeriodic("wallet-reversals").ok());  // too early: the placement may be running
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  clock_.Advance(absl::Seconds(61));
  ASSERT_TRUE(RunPeriodic("wallet-reversals").ok());  // the second reversal that fails
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  EXPECT_EQ(Count("SELECT attempts FROM pending_wallet_debits"), 1);
  ASSERT_TRUE(RunPeriodic("wallet-reversals").ok());  // postponed by another wait
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  clock_.Advance(absl::Seconds(61));
  ASSERT_TRUE(RunPeriodic("wallet-reversals").ok());
  EXPECT_EQ(customers().Balance(kAnn), 10000);
  EXPECT_THAT(customers().Reversals(), ElementsAre(r.request_id()));
  EXPECT_EQ(Count("SELECT count(*) FROM pending_wallet_debits"), 0);
  ExpectNothingStored();

  // The client comes back with the same request: it pays afresh, once.
  v1::Order o = Place(r);
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  EXPECT_EQ(Count("SELECT count(*) FROM pending_wallet_debits"), 0);
}

// The reply is lost, the reversal fails, and the client retries at once: the
// standing debit pays the order, and the job later gives nothing back.
TEST_F(OrderCheckoutTest, ARetryPaidWithTheStandingDebitIsNotGivenBackLater) {
  customers().AddCustomer(kAnn, /*balance=*/10000);
  customers().LoseNextDebitReply();
  customers().FailReversals(1);
  const v1::PlaceOrderRequest r = AnnOrder(v1::PAYMENT_METHOD_STORE_CREDIT);
  EXPECT_EQ(TryPlace(r).error_code(), grpc::StatusCode::UNAVAILABLE);
  v1::Order o = Place(r);
  EXPECT_EQ(o.status(), v1::ORDER_STATUS_PROCESSING);
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  EXPECT_EQ(Count("SELECT count(*) FROM pending_wallet_debits"), 0);
  // A note left behind (say the retry's clean-up failed) is forgotten, not reversed.
  Exec("INSERT INTO pending_wallet_debits (request_id, customer_id, created_at) VALUES ('" +
       r.request_id() + "', '" + kAnn + "', '" + pg::PgTime(clock_.Now()) + "')");
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(RunPeriodic("wallet-reversals").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM pending_wallet_debits"), 0);
  EXPECT_EQ(customers().Balance(kAnn), 7000);
  EXPECT_TRUE(customers().Reversals().empty());
}

TEST_F(OrderCheckoutTest, CustomerServiceDownIsUnavailableQuicklyAndStoresNothing) {
  fake_->Stop();
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status s = TryPlace(GuestOrder());
    const absl::Duration took = absl::FromChrono(std::chrono::steady_clock::now() - start);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(ReasonOf(s), "CUSTOMER_SERVICE_UNAVAILABLE");
    EXPECT_EQ(s.error_message(), "cannot check the customer right now; retry");
    EXPECT_LT(took, kCheckTimeout + absl::Milliseconds(500));
  }
  ExpectNothingStored();
}

TEST_F(OrderCheckoutTest, SlowCustomerServiceIsUnavailableAtTheDeadline) {
  customers().SlowDown(absl::Seconds(2));
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = TryPlace(GuestOrder());
  const absl::Duration took = absl::FromChrono(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(s), "CUSTOMER_SERVICE_UNAVAILABLE");
  EXPECT_GE(took, kCheckTimeout);
  EXPECT_LT(took, kCheckTimeout + absl::Milliseconds(500));
  ExpectNothingStored();
}

// The check happens before the order is numbered: a slow one does not hold
// up other placements.
TEST_F(OrderCheckoutTest, ASlowCheckDoesNotHoldUpOtherOrders) {
  customers().SlowDown(absl::Milliseconds(800), "slow@example.com");
  std::atomic<bool> slow_done{false};
  std::thread slow([&] {
    Place(GuestOrder("slow@example.com"));
    slow_done = true;
  });
  absl::SleepFor(absl::Milliseconds(50));  // the slow one is being checked
  const auto start = std::chrono::steady_clock::now();
  v1::Order fast = Place(GuestOrder("fast@example.com"));
  const absl::Duration took = absl::FromChrono(std::chrono::steady_clock::now() - start);
  EXPECT_FALSE(slow_done.load());
  EXPECT_LT(took, absl::Milliseconds(400));
  EXPECT_EQ(fast.number(), 10001);
  slow.join();
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 2);
}

// Placements at the same time share the calls that check them (the checks
// that arrive while others are on their way go together in one
// CheckCheckouts), and each buyer still gets their own answer.
TEST_F(OrderCheckoutTest, ConcurrentChecksGoTogetherAndEachBuyerGetsTheirOwnAnswer) {
  customers().SlowDown(absl::Milliseconds(200));  // the others gather meanwhile
  customers().Blacklist("buyer3@example.com");
  constexpr int kBuyers = 24;
  std::vector<grpc::Status> results = PlaceAtOnce(kBuyers);
  for (int i = 0; i < kBuyers; ++i) {
    if (i == 3) {
      EXPECT_EQ(ReasonOf(results[i]), "CUSTOMER_BLACKLISTED");
      EXPECT_THAT(results[i].error_message(), HasSubstr("buyer3@example.com"));
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
    }
  }
  EXPECT_EQ(customers().checks(), kBuyers);
  EXPECT_GT(customers().batched_checks(), 0);
  EXPECT_LT(customers().check_calls(), kBuyers);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), kBuyers - 1);
  EXPECT_EQ(Count("SELECT count(*) FROM orders WHERE customer_email = 'buyer3@example.com'"), 0);
}

// A customer service from before CheckCheckouts (a rolling upgrade) is asked
// one check at a time.
TEST_F(OrderCheckoutTest, ACustomerServiceWithoutBatchChecksIsAskedOneAtATime) {
  customers().RefuseBatches();
  customers().SlowDown(absl::Milliseconds(200));
  customers().Blacklist("buyer5@example.com");
  constexpr int kBuyers = 12;
  std::vector<grpc::Status> results = PlaceAtOnce(kBuyers);
  for (int i = 0; i < kBuyers; ++i) {
    if (i == 5) {
      EXPECT_EQ(ReasonOf(results[i]), "CUSTOMER_BLACKLISTED");
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
    }
  }
  EXPECT_EQ(customers().checks(), kBuyers);
  EXPECT_EQ(customers().batched_checks(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), kBuyers - 1);
}

TEST_F(OrderCheckoutTest, RetriesOfStoredOrdersWorkEvenIfTheBuyerWasBlacklistedSince) {
  v1::PlaceOrderRequest r = GuestOrder("ann@example.com");
  v1::Order first = Place(r);
  customers().Blacklist("ann@example.com");
  v1::Order again;
  ASSERT_TRUE(TryPlace(r, &again).ok());
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(again.number(), first.number());
  // The same request_id for another order is still refused as before ...
  v1::PlaceOrderRequest other = r;
  other.mutable_items(0)->set_quantity(5);
  grpc::Status reused = TryPlace(other);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(reused), "REQUEST_ID_REUSED");
  // ... and a new order is checked.
  r.set_request_id(NewUuid());
  EXPECT_EQ(TryPlace(r).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
}

// CUSTOMER_SERVICE_ADDR=disabled: orders without checks, store credit refused.
TEST(DisabledCustomerGateTest, AllowsEveryoneButRefusesStoreCredit) {
  DisabledCustomerGate gate;
  absl::StatusOr<CheckoutDecision> d = gate.Check(kAnn, "ann@example.com", "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->group_discount_bp, 0);
  absl::Status debit = gate.DebitWallet(kAnn, common::v1::Money(), "order payment", NewUuid());
  EXPECT_EQ(debit.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorInfo(debit)->reason(), "STORE_CREDIT_UNAVAILABLE");
}

}  // namespace
}  // namespace store::order

namespace store::order {
namespace {

// ORD-19: a cart's checkout runs PlaceOrder's checks exactly: a blacklisted
// buyer is refused with the reason (the cart stays open, nothing stored);
// a registered customer's group discount is added after the cart's code.
class CartCheckoutGuardsTest : public OrderCheckoutTest {
 protected:
  v1::Cart Cart(const std::string& customer_id, const std::string& email) {
    v1::CreateCartRequest r;
    r.set_request_id(NewUuid());
    v1::Cart* c = r.mutable_cart();
    c->set_customer_id(customer_id);
    c->set_email(email);
    auto* line = c->add_lines();
    line->set_sku("MUG-1");
    line->set_name("Blue mug");
    line->set_quantity(2);
    line->mutable_unit_price()->set_amount_minor(1250);
    *c->mutable_shipping_address() = GuestOrder().shipping_address();
    *c->mutable_delivery_method() = GuestOrder().delivery_method();
    v1::Cart out;
    grpc::Status s = cart_stub_->CreateCart(Ctx().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  grpc::Status Checkout(const v1::Cart& cart, v1::PaymentMethod method, v1::Order* out) {
    v1::CheckoutCartRequest r;
    r.set_cart_id(cart.id());
    r.set_request_id(NewUuid());
    r.set_payment_method(method);
    return cart_stub_->CheckoutCart(Ctx().get(), r, out);
  }
};

TEST_F(CartCheckoutGuardsTest, ABlacklistedGuestCannotCheckOut) {
  customers().Blacklist("eve@example.com");
  v1::Cart cart = Cart("", "eve@example.com");
  v1::Order order;
  grpc::Status s = Checkout(cart, v1::PAYMENT_METHOD_CARD, &order);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "CUSTOMER_BLACKLISTED");
  ExpectNothingStored();
  EXPECT_EQ(Count("SELECT count(*) FROM carts WHERE state = 1"), 1);
}

TEST_F(CartCheckoutGuardsTest, GroupDiscountAndStoreCreditApplyToACart) {
  customers().AddCustomer(kAnn, /*balance=*/10000, /*discount_bp=*/1000, "Wholesale");
  v1::Cart cart = Cart(kAnn, "ann@example.com");
  v1::Order order;
  grpc::Status s = Checkout(cart, v1::PAYMENT_METHOD_STORE_CREDIT, &order);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(order.discounts_size(), 1);
  EXPECT_EQ(order.discounts(0).code(), "GROUP");
  EXPECT_EQ(order.totals().total().amount_minor(), 2500 - 250 + 500);
  EXPECT_EQ(order.status(), v1::ORDER_STATUS_PROCESSING);  // paid from the wallet
  EXPECT_EQ(customers().Balance(kAnn), 10000 - 2750);
  EXPECT_EQ(order.cart_id(), cart.id());
}

// A second checkout (another request id) of a converted cart is refused
// before the wallet is touched.
TEST_F(CartCheckoutGuardsTest, ACheckedOutCartIsNeverPaidTwice) {
  customers().AddCustomer(kAnn, /*balance=*/10000);
  v1::Cart cart = Cart(kAnn, "ann@example.com");
  v1::Order first;
  ASSERT_TRUE(Checkout(cart, v1::PAYMENT_METHOD_CARD, &first).ok());
  v1::Order second;
  grpc::Status s = Checkout(cart, v1::PAYMENT_METHOD_STORE_CREDIT, &second);
  EXPECT_EQ(ReasonOf(s), "CART_CONVERTED");
  EXPECT_EQ(customers().Balance(kAnn), 10000);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
}

}  // namespace
}  // namespace store::order
