// The customer service as a real process, stopped again and again while
// orders paid with store credit are placed through a real order service
// (REL-9 with kill -9, REL-8 with SIGTERM). Half the clients retry a failed
// placement with the same request_id until it succeeds; the other half give
// up at the first failure, as a shopper who closes the tab. Afterwards the
// wallet ledger must match the orders exactly: every unreversed debit pays a
// stored order, every stored order has exactly one, every balance is the
// credit minus the orders. And the customer service's order facts (its
// consumer of the order topic) count every order once.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/migrations.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "services/customer/migrations.h"
#include "services/order/migrations.h"
#include "store/customer/v1/customer_service.grpc.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/fault/fault_support.h"

namespace store {
namespace {

namespace cv1 = customer::v1;
namespace ov1 = order::v1;

constexpr int kCustomers = 8;
constexpr int64_t kCredit = 100'000'000;  // each customer's wallet, minor units

class CustomerFaultTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    auto customer_db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"customer", &CustomerMigrations()}});
    ASSERT_TRUE(customer_db.ok()) << customer_db.status();
    customer_db_ = std::move(*customer_db);
    auto order_db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}});
    ASSERT_TRUE(order_db.ok()) << order_db.status();
    order_db_ = std::move(*order_db);
    for (const TopicSpec& t : kTopics) kafka_.CreateTopic(t.name, t.partitions);
    const std::string order_addr = absl::StrCat("127.0.0.1:", testing::FreePort());
    customer_ = std::make_unique<testing::ServiceProcess>(
        "customer", std::map<std::string, std::string>{{"DATABASE_URL", customer_db_->url()},
                                                       {"KAFKA_BROKERS", kafka_.brokers()},
                                                       {"ORDER_SERVICE_ADDR", order_addr},
                                                       {"STORE_CURRENCY", "EUR"}});
    order_ = std::make_unique<testing::ServiceProcess>(
        "order", std::map<std::string, std::string>{
                     {"DATABASE_URL", order_db_->url()},
                     {"KAFKA_BROKERS", kafka_.brokers()},
                     {"GRPC_LISTEN", order_addr},
                     {"CUSTOMER_SERVICE_ADDR", customer_->addr()},
                     {"CUSTOMER_CHECK_TIMEOUT", "1s"},
                     {"STORE_CURRENCY", "EUR"},
                     // Debits whose order never came are given back after 3 s.
                     {"WALLET_DEBIT_WAIT", "3s"},
                     {"WALLET_REVERSAL_INTERVAL", "500ms"}});
    absl::Status started = customer_->Start();
    ASSERT_TRUE(started.ok()) << started;
    started = order_->Start();
    ASSERT_TRUE(started.ok()) << started;
    auto stub = cv1::CustomerService::NewStub(customer_->channel());
    for (int i = 0; i < kCustomers; ++i) {
      cv1::CreateCustomerRequest create;
      create.set_request_id(NewUuid());
      create.mutable_customer()->set_email(absl::StrCat("wallet", i, "@fault.example"));
      create.mutable_customer()->set_name(absl::StrCat("Wallet Holder ", i));
      cv1::Customer c;
      grpc::ClientContext ctx;
      ctx.AddMetadata("x-actor", "staff:fault");
      grpc::Status s = stub->CreateCustomer(&ctx, create, &c);
      ASSERT_TRUE(s.ok()) << s.error_message();
      cv1::CreditWalletRequest credit;
      credit.set_customer_id(c.id());
      credit.mutable_amount()->set_amount_minor(kCredit);
      credit.mutable_amount()->set_currency_code("EUR");
      credit.set_reason("fault test credit");
      cv1::WalletEntry e;
      grpc::ClientContext ctx2;
      ctx2.AddMetadata("x-actor", "staff:fault");
      s = stub->CreditWallet(&ctx2, credit, &e);
      ASSERT_TRUE(s.ok()) << s.error_message();
      customer_ids_.push_back(c.id());
    }
  }

  static ov1::PlaceOrderRequest Request(const std::string& customer_id, int n) {
    ov1::PlaceOrderRequest r = testing::SampleOrder(NewUuid(), n);
    r.mutable_customer()->set_customer_id(customer_id);
    r.set_payment_method(ov1::PAYMENT_METHOD_STORE_CREDIT);
    return r;
  }

  struct Load {
    std::mutex mu;
    std::map<std::string, std::string> acked;  // request_id -> order id
    int abandoned = 0;                         // impatient clients' failed placements
    std::atomic<int> retried{0};
    std::atomic<int> unexpected{0};
  };

  void RunClients(Load& load, std::atomic<bool>& stop) {
    std::vector<std::thread> threads;
    for (int c = 0; c < 8; ++c) {
      threads.emplace_back([&, c] {
        const bool patient = c % 2 == 0;
        auto stub = ov1::OrderService::NewStub(order_->channel());
        for (int n = 0; !stop; ++n) {
          const ov1::PlaceOrderRequest req = Request(customer_ids_[(c + n) % kCustomers], n);
          const absl::Time give_up = absl::Now() + absl::Seconds(60);
          while (true) {
            grpc::ClientContext ctx;
            ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
            ctx.AddMetadata("x-actor", "staff:fault");
            ov1::Order o;
            const grpc::Status s = stub->PlaceOrder(&ctx, req, &o);
            if (s.ok()) {
              std::lock_guard<std::mutex> lock(load.mu);
              load.acked[req.request_id()] = o.id();
              break;
            }
            if (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
                s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
                s.error_code() != grpc::StatusCode::ABORTED) {
              ++load.unexpected;
              std::fprintf(stderr, "unexpected failure: code %d: %s\n",
                           static_cast<int>(s.error_code()), s.error_message().c_str());
            }
            absl::SleepFor(absl::Milliseconds(50));  // a retry, or the next shopper
            if (!patient) {
              std::lock_guard<std::mutex> lock(load.mu);
              ++load.abandoned;
              break;
            }
            ++load.retried;
            if (absl::Now() > give_up) break;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  std::unique_ptr<testing::TestDatabase> customer_db_;
  std::unique_ptr<testing::TestDatabase> order_db_;
  testing::TestKafka kafka_;
  std::unique_ptr<testing::ServiceProcess> customer_;
  std::unique_ptr<testing::ServiceProcess> order_;
  std::vector<std::string> customer_ids_;
};

TEST_P(CustomerFaultTest, StoreCreditLedgerMatchesTheOrders) {
  const int sig = GetParam();
  const char* what = sig == SIGKILL ? "REL-9 (kill -9)" : "REL-8 (SIGTERM)";
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop); });
  std::mt19937 rng(std::random_device{}());
  int stops = 0;
  absl::Duration worst_restart;
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(300, 1000)(rng)));
    customer_->Signal(sig);
    const int code = customer_->Wait(absl::Seconds(20));
    if (sig == SIGTERM) {
      EXPECT_EQ(code, 0) << "customer-service; log: " << customer_->log();
    }
    ++stops;
    const absl::Time t0 = absl::Now();
    const absl::Status started = customer_->Start();
    ASSERT_TRUE(started.ok()) << started;
    worst_restart = std::max(worst_restart, absl::Now() - t0);
  }
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  clients.join();

  // Every debit left waiting is settled: given back, or its order stored.
  const absl::Time settling = absl::Now();
  EXPECT_TRUE(testing::WaitFor(
      [&] { return order_db_->Count("SELECT count(*) FROM pending_wallet_debits") == 0; },
      absl::Seconds(30)))
      << "debits still waiting; order-service log: " << order_->log();
  const absl::Duration settled_in = absl::Now() - settling;

  // request_id -> amount of every stored store-credit order.
  std::map<std::string, int64_t> paid;
  for (const auto& row : order_db_->Query(
           "SELECT o.request_id::text, p.amount_minor FROM order_payments p JOIN orders o "
           "ON o.id = p.order_id WHERE p.provider = 'store_credit'")) {
    paid[row[0].as<std::string>()] = row[1].as<int64_t>();
  }
  EXPECT_EQ(static_cast<int64_t>(paid.size()), order_db_->Count("SELECT count(*) FROM orders"));
  for (const auto& [request_id, order_id] : load.acked) {
    EXPECT_EQ(paid.count(request_id), 1u) << "acknowledged order " << order_id << " not stored";
  }
  // Unreversed debits, by key (the request_id), with their amounts.
  std::map<std::string, int64_t> debits;
  int reversed = 0;
  for (const auto& row : customer_db_->Query(
           "SELECT d.idempotency_key, d.amount, EXISTS (SELECT 1 FROM wallet_entries r "
           "WHERE r.reverses = d.id) FROM wallet_entries d WHERE d.kind = 2")) {
    if (row[2].as<bool>()) {
      ++reversed;
      continue;
    }
    const std::string key = row[0].as<std::string>();
    EXPECT_EQ(debits.count(key), 0u) << "two standing debits for " << key;
    debits[key] = -row[1].as<int64_t>();
  }
  int debits_without_order = 0;
  for (const auto& [key, amount] : debits) {
    auto it = paid.find(key);
    if (it == paid.end()) {
      ++debits_without_order;
      ADD_FAILURE() << "debit " << key << " of " << amount << " has no order and no reversal";
    } else {
      EXPECT_EQ(it->second, amount) << key;
    }
  }
  int orders_without_debit = 0;
  for (const auto& [request_id, order] : paid) {
    if (debits.count(request_id) == 0) {
      ++orders_without_debit;
      ADD_FAILURE() << "order " << request_id << " paid with store credit has no debit";
    }
  }
  // Balances: the credit minus what the customer's orders cost.
  int64_t spent = 0;
  for (const auto& [key, amount] : debits) spent += amount;
  EXPECT_EQ(customer_db_->Count("SELECT sum(wallet_balance) FROM customers"),
            kCustomers * kCredit - spent);
  EXPECT_EQ(customer_db_->Count("SELECT count(*) FROM customers WHERE wallet_balance <> "
                                "(SELECT coalesce(sum(amount), 0) FROM wallet_entries e "
                                "WHERE e.customer_id = customers.id)"),
            0);
  // The customer service's consumer of the order topic saw every order once.
  const int64_t orders = static_cast<int64_t>(paid.size());
  EXPECT_TRUE(testing::WaitFor(
      [&] { return customer_db_->Count("SELECT count(*) FROM customer_orders") == orders; },
      absl::Seconds(60)))
      << "customer facts: " << customer_db_->Count("SELECT count(*) FROM customer_orders") << " of "
      << orders << " orders; log: " << customer_->log();
  EXPECT_EQ(load.unexpected.load(), 0);
  EXPECT_GT(load.acked.size(), 0u);
  // Who gave the reversed debits back (the order service logs each).
  int at_once = 0, by_job = 0;
  {
    std::ifstream log(order_->log());
    for (std::string line; std::getline(log, line);) {
      if (line.find("debit given back: the order was not placed") != std::string::npos) ++at_once;
      if (line.find("debit given back: its order was never stored") != std::string::npos) ++by_job;
    }
  }
  std::printf(
      "%s of the customer service: %d stops, worst restart to SERVING %s; store-credit orders "
      "acknowledged %zu, stored %lld, abandoned by impatient clients %d, retried calls %d; "
      "debits standing %zu (each pays one stored order, amounts equal), reversed %d (%d at once, "
      "%d by the wallet-reversals job), without order %d, orders without debit %d; debits left "
      "waiting settled in %s; customer facts "
      "%lld of %lld orders\n",
      what, stops, absl::FormatDuration(worst_restart).c_str(), load.acked.size(),
      static_cast<long long>(orders), load.abandoned, load.retried.load(), debits.size(), reversed,
      at_once, by_job, debits_without_order, orders_without_debit,
      absl::FormatDuration(settled_in).c_str(),
      static_cast<long long>(customer_db_->Count("SELECT count(*) FROM customer_orders")),
      static_cast<long long>(orders));
}

INSTANTIATE_TEST_SUITE_P(Signals, CustomerFaultTest, ::testing::Values(SIGKILL, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGKILL ? "Kill9" : "Sigterm");
                         });

}  // namespace
}  // namespace store
