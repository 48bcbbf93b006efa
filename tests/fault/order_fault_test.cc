// Fault tests of the order service as a real process (REL-1, REL-2, REL-3, REL-5, REL-6,
// REL-7, REL-8, REL-10):
// clients place orders (or a bulk job runs) while the service is killed with
// SIGKILL at random points, or stopped with SIGTERM, and restarted. Each test
// prints its figures.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/consumer.h"
#include "libs/events/envelope.h"
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/testing/private_postgres.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "services/invoicing/migrations.h"
#include "services/order/app/order_app.h"
#include "services/order/migrations.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "store/order/v1/events.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/fault/fault_support.h"

namespace store::order {
namespace {

class OrderFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    order_url_ = db_->url();
    kafka_ = std::make_unique<testing::TestKafka>();
    kafka_->CreateTopic(order::v1::kOrdersTopic, 3);
    kafka_->CreateTopic(customer::v1::kCustomersTopic, 3);  // the erasure consumer's
  }

  // Starts the order service (again, on the same address, after a kill);
  // `extra_env` counts at the first start.
  void StartService(const std::map<std::string, std::string>& extra_env = {}) {
    if (service_ == nullptr) {
      std::map<std::string, std::string> env = {
          {"DATABASE_URL", order_url_},
          {"KAFKA_BROKERS", kafka_->brokers()},
          {"CUSTOMER_SERVICE_ADDR", "disabled"}};  // no customer service here
      for (const auto& [k, v] : extra_env) env[k] = v;
      service_ = std::make_unique<testing::ServiceProcess>("order", env);
      addr_ = service_->addr();
      log_ = service_->log();
    }
    const absl::Status started = service_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // The invoicing service as a process of its own, consuming the same topic,
  // issuing an invoice for every placed order; on a fresh database of the
  // shared test cluster unless `url` names one.
  void StartInvoicing(const std::string& url = "") {
    invoicing_url_ = url;
    if (url.empty()) {
      auto db = testing::TestDatabase::Create(
          {{"events", &EventsMigrations()}, {"invoicing", &InvoicingMigrations()}});
      ASSERT_TRUE(db.ok()) << db.status();
      invoicing_db_ = std::move(*db);
      invoicing_url_ = invoicing_db_->url();
    }
    invoicing_ = std::make_unique<testing::ServiceProcess>(
        "invoicing", std::map<std::string, std::string>{{"DATABASE_URL", invoicing_url_},
                                                        {"KAFKA_BROKERS", kafka_->brokers()},
                                                        {"ORDER_SERVICE_ADDR", addr_}});
    const absl::Status started = invoicing_->Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_TRUE(
        testing::SetInvoicingMode(invoicing_->channel(), invoicing::v1::ISSUE_MODE_ON_ORDER_PLACED)
            .ok());
  }

  static v1::PlaceOrderRequest Request(const std::string& request_id) {
    return testing::SampleOrder(request_id);
  }

  // Clients place orders until `stop`; each retries a failed call with the
  // same request_id (what a correct client does) until it succeeds.
  struct Load {
    std::mutex mu;
    std::map<std::string, std::string> acked;  // request_id -> order id
    std::atomic<int> retryable_failures{0};
    std::atomic<int> other_failures{0};
    std::atomic<int64_t> slowest_failure_ms{0};  // how long a failed call took, at most
  };
  // `pause` between a client's orders keeps the load at a pace the test's
  // checks (every event read back, every invoice issued) can follow.
  void RunClients(Load& load, std::atomic<bool>& stop, int clients,
                  absl::Duration pause = absl::ZeroDuration()) {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        auto stub = v1::OrderService::NewStub(grpcx::MakeChannel(addr_));
        while (!stop) {
          if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
          const std::string request_id = NewUuid();
          const v1::PlaceOrderRequest req = Request(request_id);
          const absl::Time give_up = absl::Now() + absl::Seconds(60);
          while (absl::Now() < give_up) {
            const absl::Time sent = absl::Now();
            grpc::ClientContext ctx;
            ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
            v1::Order o;
            grpc::Status s = stub->PlaceOrder(&ctx, req, &o);
            if (s.ok()) {
              std::lock_guard<std::mutex> lock(load.mu);
              load.acked[request_id] = o.id();
              break;
            }
            const int64_t took = absl::ToInt64Milliseconds(absl::Now() - sent);
            int64_t slowest = load.slowest_failure_ms.load();
            while (took > slowest &&
                   !load.slowest_failure_ms.compare_exchange_weak(slowest, took)) {
            }
            // CANCELLED: the draining server dropped a call it had not started
            // (nothing was done); the request_id makes the retry safe.
            if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::CANCELLED ||
                s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                s.error_code() == grpc::StatusCode::ABORTED) {
              ++load.retryable_failures;
            } else {
              ++load.other_failures;
              std::fprintf(stderr, "non-retryable failure: code %d: %s\n",
                           static_cast<int>(s.error_code()), s.error_message().c_str());
            }
            absl::SleepFor(absl::Milliseconds(20));  // client retry backoff
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  static int64_t CountAt(const std::string& url, const std::string& sql) {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  int64_t Count(const std::string& sql) { return CountAt(order_url_, sql); }
  int64_t InvoicingCount(const std::string& sql) { return CountAt(invoicing_url_, sql); }

  // One invoice per acknowledged order, numbered 1..n without gaps, once
  // the invoicing service caught up. Returns how many.
  int64_t VerifyOneInvoicePerOrder(Load& load) {
    const auto acked = static_cast<int64_t>(load.acked.size());
    EXPECT_TRUE(
        testing::WaitFor([&] { return InvoicingCount("SELECT count(*) FROM invoices") >= acked; },
                         absl::Seconds(60)));
    const int64_t invoices = InvoicingCount("SELECT count(*) FROM invoices");
    EXPECT_EQ(invoices, acked);
    EXPECT_EQ(InvoicingCount("SELECT count(DISTINCT order_id) FROM invoices"), invoices);
    EXPECT_EQ(InvoicingCount("SELECT coalesce(max(seq), 0) FROM invoices"), invoices);
    pqxx::connection conn(invoicing_url_);
    pqxx::nontransaction tx(conn);
    for (const auto& [request_id, id] : load.acked) {
      EXPECT_EQ(tx.exec_params("SELECT 1 FROM invoices WHERE order_id = $1::uuid", id).size(), 1u);
    }
    return invoices;
  }

  // Every acknowledged order is stored once, and has exactly one OrderPlaced
  // event (by event id) on the topic. Returns the number of redeliveries of
  // an already published event (same event id), which consumers drop.
  int VerifyNothingLostOrDuplicated(Load& load) {
    EXPECT_TRUE(testing::WaitFor(
        [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
        absl::Seconds(60)));
    const int64_t orders = Count("SELECT count(*) FROM orders");
    EXPECT_EQ(orders, static_cast<int64_t>(load.acked.size()));
    {
      pqxx::connection conn(order_url_);
      pqxx::nontransaction tx(conn);
      for (const auto& [request_id, id] : load.acked) {
        auto r = tx.exec_params("SELECT id::text FROM orders WHERE request_id = $1::uuid", request_id);
        EXPECT_EQ(r.size(), 1u) << request_id;
        if (r.size() == 1) {
          EXPECT_EQ(r[0][0].as<std::string>(), id);
        }
      }
    }
    std::map<std::string, std::set<std::string>> placed_events;  // order id -> event ids
    int records = 0;
    for (const auto& rec : kafka_->ReadTopic(order::v1::kOrdersTopic, orders, absl::Seconds(30))) {
      auto env = events::ParseEnvelope(rec.value);
      if (!env.ok() || env->type() != "store.order.v1.OrderPlaced") continue;
      placed_events[env->aggregate_id()].insert(env->event_id());
      ++records;
    }
    EXPECT_EQ(placed_events.size(), load.acked.size());
    for (const auto& [request_id, id] : load.acked) {
      EXPECT_EQ(placed_events[id].size(), 1u) << id;
    }
    return records - static_cast<int>(placed_events.size());
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::TestDatabase> invoicing_db_;
  std::string order_url_;      // db_'s, or a database of a private cluster
  std::string invoicing_url_;  // invoicing_db_'s, or ...
  std::unique_ptr<testing::TestKafka> kafka_;
  std::unique_ptr<testing::ServiceProcess> service_;
  std::unique_ptr<testing::ServiceProcess> invoicing_;
  std::string addr_;
  std::string log_;
};

TEST_F(OrderFaultTest, KillNineWhilePlacingLosesAndDuplicatesNothing) {  // REL-1
  StartService();
  StartInvoicing();
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop, 8); });
  std::mt19937 rng(std::random_device{}());
  int kills = 0;
  absl::Duration worst_recovery;
  const absl::Time end = absl::Now() + absl::Seconds(12);
  while (absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(300, 1200)(rng)));
    service_->Signal(SIGKILL);
    service_->Wait(absl::Seconds(10));
    ++kills;
    const absl::Time t0 = absl::Now();
    StartService();
    worst_recovery = std::max(worst_recovery, absl::Now() - t0);
  }
  stop = true;
  clients.join();
  const int redeliveries = VerifyNothingLostOrDuplicated(load);
  EXPECT_EQ(load.other_failures.load(), 0);
  const int64_t invoices = VerifyOneInvoicePerOrder(load);
  std::printf(
      "REL-1: %d kill -9, %zu orders acknowledged, %lld stored, lost 0, duplicated orders 0, "
      "OrderPlaced redelivered (same event id) %d, invoices %lld (one per order, numbers "
      "1..%lld), retried calls %d, worst restart-to-SERVING %s\n",
      kills, load.acked.size(), static_cast<long long>(Count("SELECT count(*) FROM orders")),
      redeliveries, static_cast<long long>(invoices), static_cast<long long>(invoices),
      load.retryable_failures.load(), absl::FormatDuration(worst_recovery).c_str());
}

// REL-5: records that are no event envelope at all land on every partition
// of the orders topic while orders are placed. The invoicing process sends
// each to its dead-letter topic at once and every partition keeps flowing:
// every order placed after them is invoiced. Re-driven (what `storectl dlq
// redrive` does), they go back to the orders topic, and, still poison, to the
// dead-letter topic again; nothing else changes.
TEST_F(OrderFaultTest, PoisonRecordsGoToTheDeadLetterTopicAndThePartitionsFlow) {
  StartService();
  StartInvoicing();
  const std::string dlq = absl::StrCat(order::v1::kOrdersTopic, ".invoicing.dlq");
  constexpr int kPoison = 12;  // keys spread over the topic's 3 partitions
  std::vector<std::pair<std::string, std::string>> poison;
  for (int i = 0; i < kPoison; ++i) {
    poison.emplace_back(absl::StrCat("poison-", i), absl::StrCat("not an envelope #", i));
  }
  kafka_->ProduceAll(order::v1::kOrdersTopic, poison);
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop, 4, absl::Milliseconds(20)); });
  absl::SleepFor(absl::Seconds(3));
  stop = true;
  clients.join();
  EXPECT_EQ(load.other_failures.load(), 0);
  const absl::Time t0 = absl::Now();
  const int64_t invoices = VerifyOneInvoicePerOrder(load);
  const absl::Duration caught_up = absl::Now() - t0;
  std::vector<testing::Record> dead = kafka_->ReadTopic(dlq, kPoison, absl::Seconds(30));
  std::set<std::string> dead_values;
  std::set<int> partitions;
  for (const auto& r : dead) {
    dead_values.insert(r.value);
    EXPECT_EQ(r.headers.count("dlq-error"), 1u);
  }
  for (const auto& r : kafka_->ReadTopic(order::v1::kOrdersTopic, 0, absl::Seconds(5))) {
    if (absl::StartsWith(r.value, "not an envelope")) partitions.insert(r.partition);
  }
  EXPECT_EQ(dead.size(), static_cast<size_t>(kPoison));
  EXPECT_EQ(dead_values.size(), static_cast<size_t>(kPoison));
  EXPECT_EQ(partitions.size(), 3u) << "the poison did not reach every partition";

  // The records fail again as soon as they are back: the redrive copies
  // each once, not round and round.
  absl::StatusOr<int> redriven =
      events::RedriveDeadLetters(kafka_->brokers(), dlq, 1000, absl::Seconds(3));
  ASSERT_TRUE(redriven.ok()) << redriven.status();
  EXPECT_EQ(*redriven, kPoison);
  ASSERT_TRUE(testing::WaitFor(
      [&] { return kafka_->ReadTopic(dlq, 2 * kPoison, absl::Seconds(2)).size() >= 2 * kPoison; },
      absl::Seconds(30)));
  EXPECT_EQ(kafka_->ReadTopic(dlq, 2 * kPoison, absl::Seconds(2)).size(),
            static_cast<size_t>(2 * kPoison));
  EXPECT_EQ(InvoicingCount("SELECT count(*) FROM invoices"), invoices);
  std::printf(
      "REL-5: %d poison records on %zu partitions, all %zu in the dead-letter topic with their "
      "error; %zu orders placed after them, %lld invoiced (the partitions kept flowing; last "
      "invoice %s after the load), re-driven %d, back in the dead-letter topic %d, invoices "
      "unchanged\n",
      kPoison, partitions.size(), dead.size(), load.acked.size(), static_cast<long long>(invoices),
      absl::FormatDuration(caught_up).c_str(), *redriven, kPoison);
}

// REL-6: 50 clients place the same order (one request_id) at the same
// moment, each on its own connection: one order, one OrderPlaced, and every
// client gets that order back.
TEST_F(OrderFaultTest, FiftyConcurrentPlacementsWithOneRequestIdMakeOneOrder) {
  StartService();
  constexpr int kClients = 50;
  const v1::PlaceOrderRequest req = Request(NewUuid());
  std::vector<std::unique_ptr<v1::OrderService::Stub>> stubs;
  for (int i = 0; i < kClients; ++i) {
    stubs.push_back(v1::OrderService::NewStub(
        grpcx::MakeChannel(addr_, /*own_connections=*/true)));  // a connection each
  }
  std::mutex mu;
  std::map<std::string, int> answers;  // order id -> clients that got it
  std::atomic<int> retried{0}, failed{0}, ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go) std::this_thread::yield();
      for (int attempt = 0; attempt < 20; ++attempt) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::Order o;
        const grpc::Status s = stubs[i]->PlaceOrder(&ctx, req, &o);
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          ++answers[o.id()];
          return;
        }
        if (s.error_code() != grpc::StatusCode::ABORTED &&
            s.error_code() != grpc::StatusCode::UNAVAILABLE) {
          std::fprintf(stderr, "PlaceOrder: code %d: %s\n", static_cast<int>(s.error_code()),
                       s.error_message().c_str());
          break;
        }
        ++retried;
        absl::SleepFor(absl::Milliseconds(10));
      }
      ++failed;
    });
  }
  while (ready < kClients) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_EQ(answers.size(), 1u) << "clients got different orders";
  EXPECT_EQ(answers.begin()->second, kClients);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE event_type = 'store.order.v1.OrderPlaced'"),
            1);
  std::printf(
      "REL-6: %d concurrent PlaceOrder with one request_id on %d connections: %d answered, "
      "distinct orders %zu, orders stored %lld, OrderPlaced events 1, retried calls %d\n",
      kClients, kClients, answers.begin()->second, answers.size(),
      static_cast<long long>(Count("SELECT count(*) FROM orders")), retried.load());
}

// REL-7: 1,000 orders invoiced by hand from 8 concurrent workers against the
// real invoicing process, a third of the calls abandoned by their client at
// a random moment (a deadline of 1-20 ms: the server may or may not have
// committed) and tried again: one invoice per order, numbers unique and
// contiguous.
TEST_F(OrderFaultTest, ConcurrentInvoiceIssuingWithRandomAbortsKeepsNumbersContiguous) {
  StartService();
  StartInvoicing();
  ASSERT_TRUE(testing::SetInvoicingMode(invoicing_->channel(), invoicing::v1::ISSUE_MODE_OFF).ok());
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop, 8); });
  ASSERT_TRUE(testing::WaitFor([&] { return load.acked.size() >= 1000; }, absl::Seconds(60)));
  stop = true;
  clients.join();
  std::vector<std::string> orders;
  for (const auto& [request_id, id] : load.acked) orders.push_back(id);
  orders.resize(1000);
  constexpr int kWorkers = 8;
  std::atomic<int> abandoned{0}, issued{0}, failed{0};
  std::atomic<size_t> next{0};
  const absl::Time t0 = absl::Now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      auto stub = invoicing::v1::InvoicingService::NewStub(invoicing_->channel());
      std::mt19937 rng(w * 7919 + 1);
      for (size_t i = next++; i < orders.size(); i = next++) {
        invoicing::v1::IssueInvoiceRequest req;
        req.set_order_id(orders[i]);
        bool done = false;
        for (int attempt = 0; attempt < 50 && !done; ++attempt) {
          grpc::ClientContext ctx;
          ctx.AddMetadata("x-actor", "staff:fault");
          const bool abandon = std::uniform_int_distribution<int>(0, 2)(rng) == 0;
          ctx.set_deadline(
              std::chrono::system_clock::now() +
              (abandon ? std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 20)(rng))
                       : std::chrono::milliseconds(10000)));
          invoicing::v1::Invoice out;
          const grpc::Status s = stub->IssueInvoice(&ctx, req, &out);
          if (s.ok()) {
            done = true;
          } else if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                     s.error_code() == grpc::StatusCode::CANCELLED ||
                     s.error_code() == grpc::StatusCode::ABORTED ||
                     s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            ++abandoned;
          } else {
            std::fprintf(stderr, "IssueInvoice: code %d: %s\n", static_cast<int>(s.error_code()),
                         s.error_message().c_str());
            break;
          }
        }
        ++(done ? issued : failed);
      }
    });
  }
  for (auto& t : workers) t.join();
  const absl::Duration took = absl::Now() - t0;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(issued.load(), 1000);
  EXPECT_EQ(InvoicingCount("SELECT count(*) FROM invoices"), 1000);
  EXPECT_EQ(InvoicingCount("SELECT count(DISTINCT order_id) FROM invoices"), 1000);
  EXPECT_EQ(InvoicingCount("SELECT count(DISTINCT seq) FROM invoices"), 1000);
  EXPECT_EQ(InvoicingCount("SELECT min(seq) FROM invoices"), 1);
  EXPECT_EQ(InvoicingCount("SELECT max(seq) FROM invoices"), 1000);
  std::printf(
      "REL-7: 1000 orders invoiced by %d workers in %s, %d calls abandoned by the client "
      "(deadline 1-20 ms) and retried, invoices %lld, numbers 1..%lld unique and contiguous\n",
      kWorkers, absl::FormatDuration(took).c_str(), abandoned.load(),
      static_cast<long long>(InvoicingCount("SELECT count(*) FROM invoices")),
      static_cast<long long>(InvoicingCount("SELECT max(seq) FROM invoices")));
}

TEST_F(OrderFaultTest, SigtermUnderLoadDrainsCleanly) {  // REL-8
  StartService();
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop, 8); });
  int restarts = 0;
  for (int i = 0; i < 3; ++i) {
    absl::SleepFor(absl::Seconds(1));
    const size_t before = load.acked.size();
    service_->Signal(SIGTERM);
    const int code = service_->Wait(absl::Seconds(20));
    EXPECT_EQ(code, 0) << "order-service did not exit cleanly on SIGTERM; log: " << log_;
    StartService();
    ++restarts;
    EXPECT_GT(load.acked.size(), before);
  }
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  clients.join();
  const int redeliveries = VerifyNothingLostOrDuplicated(load);
  // Only retryable errors (connection refused while restarting) reach clients.
  EXPECT_EQ(load.other_failures.load(), 0);
  std::printf("REL-8: %d rolling restarts by SIGTERM, %zu orders acknowledged, non-retryable "
              "failures %d, retried calls %d, redelivered events %d\n",
              restarts, load.acked.size(), load.other_failures.load(),
              load.retryable_failures.load(), redeliveries);
}

// REL-2: every broker down for 15 s while four clients place orders (about
// 25 a second each). The
// order service stays ready (health "" SERVING throughout, health "kafka"
// NOT_SERVING meanwhile), every order is accepted, the outbox backlog grows
// and drains after; the invoicing process catches up: one invoice per order,
// nothing lost, nothing doubled.
TEST_F(OrderFaultTest, BrokerDownWhilePlacingKeepsServingAndLosesNothing) {
  StartService();
  StartInvoicing();
  auto channel = grpcx::MakeChannel(addr_);
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop, 4, absl::Milliseconds(40)); });
  absl::SleepFor(absl::Seconds(2));
  const size_t before_outage = load.acked.size();
  kafka_->SetAllBrokersDown(true);
  const absl::Time down_at = absl::Now();
  int not_ready = 0, polls = 0;
  bool kafka_reported_down = false;
  int64_t max_backlog = 0;
  while (absl::Now() - down_at < absl::Seconds(15)) {
    ++polls;
    if (!grpcx::CheckHealth(channel, "", absl::Seconds(1)).ok()) ++not_ready;
    if (!grpcx::CheckHealth(channel, "kafka", absl::Seconds(1)).ok()) kafka_reported_down = true;
    max_backlog = std::max(max_backlog, Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    absl::SleepFor(absl::Milliseconds(500));
  }
  size_t during_outage = 0;
  {
    std::lock_guard<std::mutex> lock(load.mu);
    during_outage = load.acked.size() - before_outage;
  }
  kafka_->SetAllBrokersDown(false);
  const absl::Time up_at = absl::Now();
  EXPECT_TRUE(
      testing::WaitFor([&] { return grpcx::CheckHealth(channel, "kafka", absl::Seconds(1)).ok(); },
                       absl::Seconds(30)))
      << "health kafka did not come back; log: " << log_;
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  clients.join();
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(60)));
  const absl::Duration drained = absl::Now() - up_at;
  const int redeliveries = VerifyNothingLostOrDuplicated(load);
  EXPECT_EQ(load.other_failures.load(), 0);
  EXPECT_EQ(not_ready, 0) << "the order service left readiness while only the broker was down";
  EXPECT_TRUE(kafka_reported_down) << "health kafka never said NOT_SERVING";
  EXPECT_GT(during_outage, 0u) << "no order was accepted while the broker was down";
  EXPECT_GT(max_backlog, 0);
  const int64_t invoices = VerifyOneInvoicePerOrder(load);
  const absl::Duration caught_up = absl::Now() - up_at;
  std::printf(
      "REL-2: brokers down 15 s; %zu orders acknowledged (%zu while down), lost 0, duplicated "
      "0; readiness checks failed %d of %d; health kafka NOT_SERVING seen: %s; outbox backlog "
      "peak %lld; drained %s after the brokers came back; invoices %lld (one per order) after "
      "%s; OrderPlaced redelivered (same event id) %d\n",
      load.acked.size(), during_outage, not_ready, polls, kafka_reported_down ? "yes" : "no",
      static_cast<long long>(max_backlog), absl::FormatDuration(drained).c_str(),
      static_cast<long long>(invoices), absl::FormatDuration(caught_up).c_str(), redeliveries);
}

// REL-3: PostgreSQL (a cluster of this test's own, the order and invoicing
// databases on it) crashes (every server process killed) while four clients
// place orders, and comes back 6 s later. Calls during the outage fail with
// a retryable error within their deadline, both services go NOT_SERVING and
// come back by themselves (same processes), no acknowledged order is lost or
// doubled, and the invoicing consumer catches up: one invoice per order.
TEST_F(OrderFaultTest, PostgresRestartedUnderLoadRecoversWithoutARestart) {
  auto pg = testing::PrivatePostgres::Create();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto order_url = (*pg)->CreateDatabase("store_order");
  ASSERT_TRUE(order_url.ok()) << order_url.status();
  auto invoicing_url = (*pg)->CreateDatabase("store_invoicing");
  ASSERT_TRUE(invoicing_url.ok()) << invoicing_url.status();
  order_url_ = *order_url;
  StartService();
  StartInvoicing(*invoicing_url);
  const pid_t order_pid = service_->pid();
  const pid_t invoicing_pid = invoicing_->pid();
  Load load;
  std::atomic<bool> stop{false};
  std::thread clients([&] { RunClients(load, stop, 4, absl::Milliseconds(40)); });
  absl::SleepFor(absl::Seconds(2));
  const size_t before = load.acked.size();
  ASSERT_TRUE((*pg)->Stop(testing::PrivatePostgres::kImmediate).ok());
  const absl::Time down_at = absl::Now();
  const bool order_noticed =
      testing::WaitFor([&] { return !service_->Serving(); }, absl::Seconds(15));
  const absl::Duration order_not_serving_after = absl::Now() - down_at;
  const bool invoicing_noticed =
      testing::WaitFor([&] { return !invoicing_->Serving("database"); }, absl::Seconds(15));
  absl::SleepFor(down_at + absl::Seconds(6) - absl::Now());
  size_t during = 0;
  {
    std::lock_guard<std::mutex> lock(load.mu);
    during = load.acked.size();
  }
  const absl::Status restarted = (*pg)->Start();
  ASSERT_TRUE(restarted.ok()) << restarted;
  const absl::Time up_at = absl::Now();
  EXPECT_TRUE(testing::WaitFor([&] { return service_->Serving() && invoicing_->Serving(); },
                               absl::Seconds(30)))
      << "not SERVING again; logs: " << service_->log() << ", " << invoicing_->log();
  const absl::Duration serving_after = absl::Now() - up_at;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(load.mu);
        return load.acked.size() > during;
      },
      absl::Seconds(30)))
      << "no order accepted after the database came back; log: " << service_->log();
  const absl::Duration first_order_after = absl::Now() - up_at;
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  clients.join();
  EXPECT_TRUE(service_->Running() && service_->pid() == order_pid) << "the order service restarted";
  EXPECT_TRUE(invoicing_->Running() && invoicing_->pid() == invoicing_pid)
      << "the invoicing service restarted";
  EXPECT_TRUE(order_noticed) << "the order service stayed SERVING without its database";
  EXPECT_TRUE(invoicing_noticed) << "invoicing health 'database' stayed SERVING";
  const int redeliveries = VerifyNothingLostOrDuplicated(load);
  const int64_t invoices = VerifyOneInvoicePerOrder(load);
  EXPECT_EQ(load.other_failures.load(), 0) << "a call failed with a non-retryable error";
  // A client's deadline is 5 s: no call may hang past it.
  EXPECT_LE(load.slowest_failure_ms.load(), 6000);
  std::printf(
      "REL-3: PostgreSQL crashed (immediate stop) for 6 s under load; %zu orders acknowledged "
      "(%zu before, %zu while down), lost 0, duplicated 0; failed calls %d, all retryable, the "
      "slowest took %lld ms (deadline 5 s); order service NOT_SERVING after %s; SERVING again "
      "%s after the database was back, first order %s after; no service restarted; invoices "
      "%lld (one per order, numbers contiguous); OrderPlaced redelivered (same event id) %d\n",
      load.acked.size(), before, during - before, load.retryable_failures.load(),
      static_cast<long long>(load.slowest_failure_ms.load()),
      absl::FormatDuration(order_not_serving_after).c_str(),
      absl::FormatDuration(serving_after).c_str(), absl::FormatDuration(first_order_after).c_str(),
      static_cast<long long>(invoices), redeliveries);
}

// Shutdown with the broker gone (issue 16): a service holding undelivered
// events and a consumer group stops within its grace period whatever the
// broker does, and loses nothing: the events go out once the broker is back.
TEST_F(OrderFaultTest, SigtermWithTheBrokerGoneExitsWithinTheGrace) {
  StartService();
  auto stub = v1::OrderService::NewStub(grpcx::MakeChannel(addr_));
  auto place = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::Order o;
    grpc::Status s = stub->PlaceOrder(&ctx, Request(NewUuid()), &o);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  for (int i = 0; i < 5; ++i) place();
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(30)));
  kafka_->SetAllBrokersDown(true);
  for (int i = 0; i < 20; ++i) place();  // accepted: the outbox holds the events
  absl::SleepFor(absl::Seconds(2));      // the relay has tried to send them
  const absl::Time t0 = absl::Now();
  service_->Signal(SIGTERM);
  const int code = service_->Wait(absl::Seconds(40));
  const absl::Duration took = absl::Now() - t0;
  EXPECT_EQ(code, 0) << "order-service did not exit cleanly; log: " << log_;
  EXPECT_LT(took, absl::Seconds(15)) << "SHUTDOWN_GRACE is 10s; log: " << log_;
  const int64_t pending = Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
  EXPECT_GT(pending, 0);
  kafka_->SetAllBrokersDown(false);
  StartService();
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(60)));
  std::set<std::string> placed;
  for (const auto& rec : kafka_->ReadTopic(order::v1::kOrdersTopic, 25, absl::Seconds(30))) {
    auto env = events::ParseEnvelope(rec.value);
    if (env.ok() && env->type() == "store.order.v1.OrderPlaced") placed.insert(env->aggregate_id());
  }
  EXPECT_EQ(placed.size(), 25u);
  std::printf(
      "shutdown with the broker down: exit %d after %s (grace 10s), %lld events held, "
      "all 25 OrderPlaced on the topic after the restart\n",
      code, absl::FormatDuration(took).c_str(), static_cast<long long>(pending));
}

// REL-10: a bulk job killed with SIGKILL twice while it runs, and resumed by
// the restarted service: each order is changed once (one payment, one
// history entry naming the job, one OrderPaid), the ineligible ones fail
// once, nothing is left pending.
TEST_F(OrderFaultTest, BulkJobKilledHalfWayChangesEachOrderOnce) {
  // One order per transaction, so the job runs long enough to be killed
  // twice (in batches of 250 it does 2,000 orders in about a second).
  const std::map<std::string, std::string> env = {{"ORDER_JOB_BATCH_SIZE", "1"}};
  StartService(env);
  constexpr int kOrders = 2000;
  std::vector<std::string> ids(kOrders);
  {
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        auto stub = v1::OrderService::NewStub(grpcx::MakeChannel(addr_));
        for (int i = next++; i < kOrders; i = next++) {
          grpc::ClientContext ctx;
          v1::Order o;
          grpc::Status s = stub->PlaceOrder(&ctx, Request(NewUuid()), &o);
          ASSERT_TRUE(s.ok()) << s.error_message();
          ids[i] = o.id();
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  auto stub = v1::OrderService::NewStub(grpcx::MakeChannel(addr_));
  constexpr int kIneligible = 10;
  for (int i = 0; i < kIneligible; ++i) {
    v1::CancelOrderRequest cancel;
    cancel.set_order_id(ids[i * 150]);
    cancel.set_reason("cancelled before the job");
    grpc::ClientContext ctx;
    v1::Order o;
    ASSERT_TRUE(stub->CancelOrder(&ctx, cancel, &o).ok());
  }
  v1::CreateOrderJobRequest req;
  req.set_request_id(NewUuid());
  req.set_action(v1::ORDER_JOB_ACTION_MARK_PAID);
  for (const auto& id : ids) req.add_order_ids(id);
  v1::OrderJob job;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-actor", "staff:fault");
    ASSERT_TRUE(stub->CreateOrderJob(&ctx, req, &job).ok());
  }
  auto progress = [&](v1::OrderJob* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::GetOrderJobRequest get;
    get.set_job_id(job.id());
    return stub->GetOrderJob(&ctx, get, out).ok();
  };
  // Kill once a quarter is done, then again as soon as the restarted
  // service has resumed the job.
  std::vector<int> killed_at;
  absl::Duration resumed_in;
  v1::OrderJob now;
  ASSERT_TRUE(testing::WaitFor(
      [&] { return progress(&now) && now.total_count() - now.pending_count() >= kOrders / 4; },
      absl::Seconds(60)));
  for (int kill = 0; kill < 2; ++kill) {
    service_->Signal(SIGKILL);
    service_->Wait(absl::Seconds(10));
    killed_at.push_back(
        static_cast<int>(Count("SELECT count(*) FROM order_job_items WHERE outcome <> 1")));
    ASSERT_LT(killed_at.back(), kOrders) << "the job finished before kill " << kill + 1;
    const absl::Time t0 = absl::Now();
    StartService(env);
    const int before = kOrders - killed_at.back();
    ASSERT_TRUE(testing::WaitFor([&] { return progress(&now) && now.pending_count() < before; },
                                 absl::Seconds(60)))
        << "the restarted service did not resume the job; log: " << log_;
    resumed_in = std::max(resumed_in, absl::Now() - t0);
  }
  ASSERT_TRUE(
      testing::WaitFor([&] { return progress(&job) && job.state() == v1::ORDER_JOB_STATE_DONE; },
                       absl::Seconds(120)));
  EXPECT_EQ(job.changed_count(), kOrders - kIneligible);
  EXPECT_EQ(job.failed_count(), kIneligible);
  EXPECT_EQ(job.pending_count(), 0);
  const std::string in_job = absl::StrCat("'", job.id(), "'");
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT order_id FROM order_history WHERE job_id = " +
                  in_job + " GROUP BY order_id HAVING count(*) <> 1) x"),
            0);
  EXPECT_EQ(Count("SELECT count(DISTINCT order_id) FROM order_history WHERE job_id = " + in_job),
            kOrders - kIneligible);
  EXPECT_EQ(Count("SELECT count(*) FROM order_payments WHERE reference = 'job:" + job.id() + "'"),
            kOrders - kIneligible);
  EXPECT_EQ(Count("SELECT count(*) FROM orders WHERE status = 3"), kOrders - kIneligible);
  const int64_t paid_events =
      Count("SELECT count(*) FROM outbox WHERE event_type = 'store.order.v1.OrderPaid'");
  EXPECT_EQ(paid_events, kOrders - kIneligible);
  EXPECT_EQ(Count("SELECT count(DISTINCT aggregate_id) FROM outbox WHERE event_type = "
                  "'store.order.v1.OrderPaid'"),
            kOrders - kIneligible);
  // And on the topic: every changed order's OrderPaid, once by event id.
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; },
      absl::Seconds(60)));
  std::map<std::string, std::set<std::string>> paid;
  const int64_t total_events = Count("SELECT count(*) FROM outbox");
  for (const auto& rec :
       kafka_->ReadTopic(order::v1::kOrdersTopic, total_events, absl::Seconds(30))) {
    auto env_or = events::ParseEnvelope(rec.value);
    if (env_or.ok() && env_or->type() == "store.order.v1.OrderPaid") {
      paid[env_or->aggregate_id()].insert(env_or->event_id());
    }
  }
  EXPECT_EQ(paid.size(), static_cast<size_t>(kOrders - kIneligible));
  for (const auto& [order_id, events] : paid) EXPECT_EQ(events.size(), 1u) << order_id;
  std::printf(
      "REL-10: bulk job over %d orders (%d per transaction) killed with -9 after %d and %d orders, "
      "resumed by the restarted service (worst restart to progress %s); changed %d, each once "
      "(history entries, payments and OrderPaid: %d each), failed %d (cancelled before), "
      "pending 0\n",
      kOrders, 1, killed_at[0], killed_at[1], absl::FormatDuration(resumed_in).c_str(),
      job.changed_count(), static_cast<int>(paid_events), job.failed_count());
}

}  // namespace
}  // namespace store::order
