// The event-driven services as real processes, stopped again and again in
// the middle of their work (REL-9 with kill -9, REL-8 with SIGTERM):
// - invoicing and reporting catching up on a backlog of placed orders: one
//   invoice per order, numbered 1..n without a gap; every order in the
//   reports once, the daily sums equal to the orders' (nothing applied twice);
// - the newsletter service sending a campaign: nobody gets it twice, every
//   subscriber's mail is sent or (a mail in a dead sender's hands) marked
//   interrupted, and what reached the SMTP sink matches the mail log.
// Each prints its figures.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/migrations.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/test_smtp.h"
#include "libs/testing/wait.h"
#include "services/invoicing/migrations.h"
#include "services/newsletter/migrations.h"
#include "services/order/migrations.h"
#include "services/reporting/migrations.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "store/newsletter/v1/newsletter_service.grpc.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/fault/fault_support.h"

namespace store {
namespace {

const char* SignalName(int sig) { return sig == SIGKILL ? "REL-9 (kill -9)" : "REL-8 (SIGTERM)"; }

std::unique_ptr<testing::TestDatabase> FreshDatabase(const std::string& name,
                                                     const std::vector<pg::Migration>& own) {
  auto db = testing::TestDatabase::Create({{"events", &EventsMigrations()}, {name, &own}});
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

// Stops `svc` with `sig` and starts it again; for SIGTERM the exit must be
// clean.
void StopAndRestart(testing::ServiceProcess& svc, int sig) {
  svc.Signal(sig);
  const int code = svc.Wait(absl::Seconds(20));
  if (sig == SIGTERM) {
    EXPECT_EQ(code, 0) << svc.name() << "-service did not exit cleanly; log: " << svc.log();
  }
  const absl::Status started = svc.Start();
  ASSERT_TRUE(started.ok()) << started;
}

class ConsumerFaultTest : public ::testing::TestWithParam<int> {};

TEST_P(ConsumerFaultTest, InvoicingAndReportingCatchUpWhenStoppedMidBatch) {
  const int sig = GetParam();
  auto order_db = FreshDatabase("order", OrderMigrations());
  auto invoicing_db = FreshDatabase("invoicing", InvoicingMigrations());
  auto reporting_db = FreshDatabase("reporting", ReportingMigrations());
  ASSERT_TRUE(order_db && invoicing_db && reporting_db);
  testing::TestKafka kafka;
  for (const TopicSpec& t : kTopics) kafka.CreateTopic(t.name, t.partitions);
  const std::string nowhere = absl::StrCat("127.0.0.1:", testing::FreePort());
  testing::ServiceProcess order("order", {{"DATABASE_URL", order_db->url()},
                                          {"KAFKA_BROKERS", kafka.brokers()},
                                          {"CUSTOMER_SERVICE_ADDR", "disabled"}});
  testing::ServiceProcess invoicing("invoicing", {{"DATABASE_URL", invoicing_db->url()},
                                                  {"KAFKA_BROKERS", kafka.brokers()},
                                                  {"ORDER_SERVICE_ADDR", order.addr()}});
  testing::ServiceProcess reporting("reporting", {{"DATABASE_URL", reporting_db->url()},
                                                  {"KAFKA_BROKERS", kafka.brokers()},
                                                  {"ORDER_SERVICE_ADDR", nowhere},
                                                  {"STORE_TIME_ZONE", "UTC"}});
  for (auto* svc : {&order, &invoicing, &reporting}) {
    const absl::Status started = svc->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  ASSERT_TRUE(
      testing::SetInvoicingMode(invoicing.channel(), invoicing::v1::ISSUE_MODE_ON_ORDER_PLACED)
          .ok());
  // The consumers stop; a backlog of placed orders builds up.
  for (auto* svc : {&invoicing, &reporting}) {
    svc->Signal(SIGTERM);
    ASSERT_EQ(svc->Wait(absl::Seconds(20)), 0);
  }
  constexpr int kOrders = 2000;
  {
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        auto stub = order::v1::OrderService::NewStub(order.channel());
        for (int i = next++; i < kOrders; i = next++) {
          grpc::ClientContext ctx;
          order::v1::Order o;
          const grpc::Status s = stub->PlaceOrder(&ctx, testing::SampleOrder(NewUuid(), i), &o);
          ASSERT_TRUE(s.ok()) << s.error_message();
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const absl::Time t0 = absl::Now();
  for (auto* svc : {&invoicing, &reporting}) {
    const absl::Status started = svc->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  // Stop each three times while it works through the backlog. Invoicing
  // once it has made progress since its last start, a moment later.
  // Reporting applies what it reads in large transactions (the count jumps
  // from 0 to all): it is stopped while one of them has written and not
  // committed yet (seen in pg_stat_activity).
  std::mt19937 rng(std::random_device{}());
  std::vector<int64_t> invoices_at_stop, reported_at_stop;
  int reporting_mid_transaction = 0;
  auto stop_mid_work = [&](testing::ServiceProcess& svc, const testing::TestDatabase& db,
                           const std::string& count_sql, std::vector<int64_t>& at_stop) {
    const int64_t last = at_stop.empty() ? 0 : at_stop.back();
    if (last >= kOrders) return;
    EXPECT_TRUE(testing::WaitFor([&] { return db.Count(count_sql) > last; }, absl::Seconds(60)))
        << svc.name() << " made no progress; log: " << svc.log();
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 100)(rng)));
    at_stop.push_back(db.Count(count_sql));
    StopAndRestart(svc, sig);
  };
  std::thread reporting_stops([&] {
    for (int round = 0; round < 3; ++round) {
      if (reporting_db->Count("SELECT count(*) FROM report_orders") >= kOrders) break;
      const bool writing = testing::WaitFor(
          [&] {
            return reporting_db->Count(
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT "
                       "NULL") > 0;
          },
          absl::Seconds(30));
      reporting_mid_transaction += writing ? 1 : 0;
      reported_at_stop.push_back(reporting_db->Count("SELECT count(*) FROM report_orders"));
      StopAndRestart(reporting, sig);
    }
  });
  for (int round = 0; round < 3; ++round) {
    stop_mid_work(invoicing, *invoicing_db, "SELECT count(*) FROM invoices", invoices_at_stop);
  }
  reporting_stops.join();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return invoicing_db->Count("SELECT count(*) FROM invoices") >= kOrders &&
               reporting_db->Count("SELECT count(*) FROM report_orders") >= kOrders;
      },
      absl::Seconds(120)))
      << "not caught up; logs: " << invoicing.log() << ", " << reporting.log();
  const absl::Duration caught_up = absl::Now() - t0;
  // Invoicing: one per order, 1..n.
  EXPECT_EQ(invoicing_db->Count("SELECT count(*) FROM invoices"), kOrders);
  EXPECT_EQ(invoicing_db->Count("SELECT count(DISTINCT order_id) FROM invoices"), kOrders);
  EXPECT_EQ(invoicing_db->Count("SELECT min(seq) FROM invoices"), 1);
  EXPECT_EQ(invoicing_db->Count("SELECT max(seq) FROM invoices"), kOrders);
  // Reporting: each order once, and the daily sums (kept incrementally:
  // an event applied twice would count twice) equal to the orders'.
  EXPECT_EQ(reporting_db->Count("SELECT count(*) FROM report_orders"), kOrders);
  const int64_t day_orders = reporting_db->Count("SELECT sum(orders) FROM report_days");
  const int64_t day_units = reporting_db->Count("SELECT sum(units) FROM report_days");
  EXPECT_EQ(day_orders, kOrders);
  EXPECT_EQ(day_units, order_db->Count("SELECT sum(quantity) FROM order_items"));
  EXPECT_EQ(day_units, reporting_db->Count("SELECT sum(units) FROM report_orders"));
  for (auto* svc : {&invoicing, &reporting}) EXPECT_TRUE(svc->Serving()) << svc->name();
  // Invoicing was stopped at least once in the middle of the backlog.
  bool mid = false;
  for (int64_t n : invoices_at_stop) mid |= n > 0 && n < kOrders;
  EXPECT_TRUE(mid) << "no stop of invoicing landed mid-backlog";
  EXPECT_GT(reporting_mid_transaction, 0) << "reporting was never stopped mid-transaction";
  std::printf(
      "%s of invoicing and reporting while catching up on %d placed orders (stopped with %s "
      "invoices; reporting with %s orders reported, %d times in an open writing transaction); "
      "caught up %s after the first start: invoices %d, one "
      "per order, numbers 1..%d; reported orders %d, daily sums %lld orders, %lld units (equal "
      "to the orders')\n",
      SignalName(sig), kOrders, absl::StrJoin(invoices_at_stop, ", ").c_str(),
      absl::StrJoin(reported_at_stop, ", ").c_str(), reporting_mid_transaction,
      absl::FormatDuration(caught_up).c_str(), kOrders, kOrders, kOrders,
      static_cast<long long>(day_orders), static_cast<long long>(day_units));
}

TEST_P(ConsumerFaultTest, CampaignReachesEverySubscriberAtMostOnce) {
  const int sig = GetParam();
  auto db = FreshDatabase("newsletter", NewsletterMigrations());
  ASSERT_TRUE(db);
  testing::TestKafka kafka;
  for (const TopicSpec& t : kTopics) kafka.CreateTopic(t.name, t.partitions);
  auto smtp = testing::TestSmtp::Start();
  ASSERT_TRUE(smtp.ok()) << smtp.status();
  const std::string secret_file =
      absl::StrCat(::testing::TempDir(), "/newsletter-token-", NewUuid());
  std::ofstream(secret_file) << "a-test-secret-of-at-least-32-bytes-long";
  testing::ServiceProcess newsletter(
      "newsletter", {{"DATABASE_URL", db->url()},
                     {"KAFKA_BROKERS", kafka.brokers()},
                     {"SMTP_URL", (*smtp)->url()},
                     {"MAIL_FROM", "shop@fault.example"},
                     {"NEWSLETTER_TOKEN_SECRET_FILE", secret_file},
                     {"CUSTOMER_SERVICE_ADDR", absl::StrCat("127.0.0.1:", testing::FreePort())},
                     {"MAIL_RATE_PER_SECOND", "300"},  // about 5 s for the campaign
                     {"CAMPAIGN_BATCH", "200"},
                     // A dead sender's claims turn INTERRUPTED after 3 s, not 5 min.
                     {"MAIL_CLAIM_LEASE", "3s"}});
  absl::Status started = newsletter.Start();
  ASSERT_TRUE(started.ok()) << started;
  auto stub = newsletter::v1::NewsletterService::NewStub(newsletter.channel());
  constexpr int kSubscribers = 1500;
  {
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < kSubscribers; i = next++) {
          newsletter::v1::CreateSubscriberRequest req;
          req.set_request_id(NewUuid());
          req.set_email(absl::StrCat("reader", i, "@fault.example"));
          req.set_first_name("Reader");
          req.set_source("import");
          grpc::ClientContext ctx;
          ctx.AddMetadata("x-actor", "staff:fault");
          newsletter::v1::Subscriber out;
          const grpc::Status s = stub->CreateSubscriber(&ctx, req, &out);
          ASSERT_TRUE(s.ok()) << s.error_message();
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  newsletter::v1::Campaign campaign;
  {
    newsletter::v1::CreateCampaignRequest req;
    req.set_request_id(NewUuid());
    req.mutable_campaign()->set_name("Winter sale");
    req.mutable_campaign()->set_subject("Winter sale starts now");
    req.mutable_campaign()->set_text_body("Hello {firstname}, everything is 20% off.");
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-actor", "staff:fault");
    grpc::Status s = stub->CreateCampaign(&ctx, req, &campaign);
    ASSERT_TRUE(s.ok()) << s.error_message();
    newsletter::v1::SendCampaignRequest send;
    send.set_id(campaign.id());
    grpc::ClientContext ctx2;
    ctx2.AddMetadata("x-actor", "staff:fault");
    s = stub->SendCampaign(&ctx2, send, &campaign);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const absl::Time t0 = absl::Now();
  // Stop the service three times while the campaign goes out.
  std::vector<size_t> delivered_at_stop;
  for (int round = 1; round <= 3; ++round) {
    const size_t target = kSubscribers * round / 5;
    EXPECT_TRUE(
        testing::WaitFor([&] { return (*smtp)->Messages().size() >= target; }, absl::Seconds(60)))
        << "the campaign stalled; log: " << newsletter.log();
    delivered_at_stop.push_back((*smtp)->Messages().size());
    StopAndRestart(newsletter, sig);
  }
  // Done when nothing is queued or in a sender's hands any more.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return db->Count("SELECT count(*) FROM mails WHERE status IN (1, 2)") == 0 &&
               db->Count("SELECT count(*) FROM mails") >= kSubscribers;
      },
      absl::Seconds(90)))
      << "mails still queued or sending; log: " << newsletter.log();
  const absl::Duration took = absl::Now() - t0;
  // The sink's messages by Message-ID (<mail id>@domain).
  std::map<std::string, int> received;
  for (const std::string& m : (*smtp)->Messages()) {
    const size_t at = m.find("Message-ID: <");
    ASSERT_NE(at, std::string::npos);
    const size_t start = at + 13;
    ++received[m.substr(start, m.find('@', start) - start)];
  }
  std::set<std::string> sent, interrupted;
  for (const auto& row : db->Query("SELECT id::text, status FROM mails")) {
    (row[1].as<int>() == 3 ? sent : interrupted).insert(row[0].as<std::string>());
  }
  EXPECT_EQ(db->Count("SELECT count(*) FROM mails"), kSubscribers);
  EXPECT_EQ(db->Count("SELECT count(DISTINCT recipient) FROM mails"), kSubscribers);
  EXPECT_EQ(db->Count("SELECT count(*) FROM mails WHERE status NOT IN (3, 6)"), 0);
  int twice = 0, unknown = 0, sent_not_received = 0, interrupted_received = 0;
  for (const auto& [id, n] : received) {
    if (n > 1) ++twice;
    if (sent.count(id) == 0 && interrupted.count(id) == 0) ++unknown;
    if (interrupted.count(id) > 0) ++interrupted_received;
  }
  for (const std::string& id : sent) {
    if (received.count(id) == 0) ++sent_not_received;
  }
  EXPECT_EQ(twice, 0) << "somebody got the campaign twice";
  EXPECT_EQ(unknown, 0) << "the sink got a mail the log does not have";
  EXPECT_EQ(sent_not_received, 0) << "a mail logged SENT never reached the sink";
  if (sig == SIGTERM) {
    // A clean stop hands over or gives back what it claimed.
    EXPECT_EQ(interrupted.size(), 0u);
  }
  std::printf(
      "%s of the newsletter service, 3 stops during a campaign to %d subscribers (after %zu, "
      "%zu, %zu mails): done in %s; mails sent %zu, interrupted %zu (in a dead sender's hands: "
      "never retried; %d of them had reached the sink), received by the sink %zu, nobody "
      "twice\n",
      SignalName(sig), kSubscribers, delivered_at_stop[0], delivered_at_stop[1],
      delivered_at_stop[2], absl::FormatDuration(took).c_str(), sent.size(), interrupted.size(),
      interrupted_received, received.size());
  std::remove(secret_file.c_str());
}

INSTANTIATE_TEST_SUITE_P(Signals, ConsumerFaultTest, ::testing::Values(SIGKILL, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGKILL ? "Kill9" : "Sigterm");
                         });

}  // namespace
}  // namespace store
