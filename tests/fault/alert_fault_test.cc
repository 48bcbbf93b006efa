// What the SRE sees during a fault (OPS-03): Debian's Prometheus scrapes the
// order and invoicing services (real processes) every second and evaluates
// the repository's alert rules (deploy/prometheus/rules/store-alerts.yml)
// every second, with each rule's `for:` hold cut to 0 s so a bounded test can
// see it (the expressions are the repository's, unchanged). The invoicing
// service is killed: StoreServiceDown fires for it (and not for the order
// service), and resolves once it runs again. A backlog of OrderPlaced events
// far larger than a second's work lands on the invoicing consumer's topic:
// StoreConsumerLagging fires for it and resolves once it has caught up.
// The brokers go down for a minute while orders are placed (REL-2): the
// outbox alerts StoreOutboxBacklogGrowing and StoreOutboxEventsDelayed fire
// for the order service, and resolve once the relay has drained it.
#include <curl/curl.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/migrations.h"
#include "libs/testing/process.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "services/invoicing/migrations.h"
#include "services/order/domain/order_rules.h"
#include "services/order/migrations.h"
#include "store/order/v1/events.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/fault/fault_support.h"

namespace store {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET url; "" when it fails.
std::string HttpGet(const std::string& url) {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return rc == CURLE_OK ? body : "";
}

class AlertFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto order_db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}});
    ASSERT_TRUE(order_db.ok()) << order_db.status();
    order_db_ = std::move(*order_db);
    auto invoicing_db = testing::TestDatabase::Create(
        {{"events", &EventsMigrations()}, {"invoicing", &InvoicingMigrations()}});
    ASSERT_TRUE(invoicing_db.ok()) << invoicing_db.status();
    invoicing_db_ = std::move(*invoicing_db);
    for (const TopicSpec& t : kTopics) kafka_.CreateTopic(t.name, t.partitions);
    order_ = std::make_unique<testing::ServiceProcess>(
        "order", std::map<std::string, std::string>{{"DATABASE_URL", order_db_->url()},
                                                    {"KAFKA_BROKERS", kafka_.brokers()},
                                                    {"CUSTOMER_SERVICE_ADDR", "disabled"}});
    invoicing_ = std::make_unique<testing::ServiceProcess>(
        "invoicing", std::map<std::string, std::string>{{"DATABASE_URL", invoicing_db_->url()},
                                                        {"KAFKA_BROKERS", kafka_.brokers()},
                                                        {"ORDER_SERVICE_ADDR", order_->addr()}});
    for (auto* svc : {order_.get(), invoicing_.get()}) {
      const absl::Status started = svc->Start();
      ASSERT_TRUE(started.ok()) << started;
    }
    StartPrometheus();
  }

  // The repository's rules with every `for:` cut to 1s, and a scrape config
  // labelling targets as the deployments do (system=store, service=<job>).
  void StartPrometheus() {
    dir_ = absl::StrCat(::testing::TempDir(), "/prometheus-", NewUuid());
    std::filesystem::create_directories(dir_ + "/data");
    std::ifstream in(testing::RepoPath("deploy/prometheus/rules/store-alerts.yml"));
    std::stringstream rules;
    rules << in.rdbuf();
    ASSERT_FALSE(rules.str().empty()) << "deploy/prometheus/rules/store-alerts.yml not found";
    std::ofstream(dir_ + "/rules.yml")
        << std::regex_replace(rules.str(), std::regex(R"((\n\s+for:) \S+)"), "$1 0s");
    std::ofstream config(dir_ + "/prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
           << "  evaluation_interval: 1s\nrule_files:\n  - " << dir_ << "/rules.yml\n"
           << "scrape_configs:\n";
    for (auto* svc : {order_.get(), invoicing_.get()}) {
      config << "  - job_name: " << svc->name() << "\n    static_configs:\n"
             << "      - targets: [\"" << svc->metrics_addr() << "\"]\n"
             << "        labels: {system: store}\n"
             << "    relabel_configs:\n      - source_labels: [job]\n"
             << "        target_label: service\n";
    }
    config.close();
    prometheus_addr_ = absl::StrCat("127.0.0.1:", testing::FreePort());
    prometheus_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                                 "--storage.tsdb.path=" + dir_ + "/data",
                                 "--web.listen-address=" + prometheus_addr_},
        std::map<std::string, std::string>{}, dir_ + "/prometheus.log");
    ASSERT_TRUE(testing::WaitFor(
        [&] { return !HttpGet(absl::StrCat("http://", prometheus_addr_, "/-/ready")).empty(); },
        absl::Seconds(30)))
        << "Prometheus did not start; log: " << dir_ << "/prometheus.log";
  }

  void TearDown() override {
    prometheus_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // Whether alert `name` is firing for service `service` now (Prometheus's
  // ALERTS series).
  bool Firing(const std::string& name, const std::string& service) {
    const std::string query = absl::StrCat("ALERTS{alertname=\"", name, "\",service=\"", service,
                                           "\",alertstate=\"firing\"}");
    return Query(query).find("\"result\":[{") != std::string::npos;
  }

  // Prometheus's answer to an instant PromQL query ("" when it fails).
  std::string Query(const std::string& promql) {
    char* escaped = curl_easy_escape(nullptr, promql.c_str(), static_cast<int>(promql.size()));
    const std::string body =
        HttpGet(absl::StrCat("http://", prometheus_addr_, "/api/v1/query?query=", escaped));
    curl_free(escaped);
    return body;
  }

  // The value of a one-series PromQL query now; -1 when it has none.
  double Value(const std::string& query) {
    const std::string body = Query(query);
    std::smatch m;
    static const std::regex kValue(R"re("value":\[[^,]+,"([^"]+)"\])re");
    return std::regex_search(body, m, kValue) ? std::stod(m[1]) : -1;
  }

  std::unique_ptr<testing::TestDatabase> order_db_;
  std::unique_ptr<testing::TestDatabase> invoicing_db_;
  testing::TestKafka kafka_;
  std::unique_ptr<testing::ServiceProcess> order_;
  std::unique_ptr<testing::ServiceProcess> invoicing_;
  std::string dir_;
  std::string prometheus_addr_;
  std::unique_ptr<testing::ChildProcess> prometheus_;
};

TEST_F(AlertFaultTest, ServiceDownFiresAndResolves) {
  EXPECT_FALSE(Firing("StoreServiceDown", "invoicing"));
  invoicing_->Signal(SIGKILL);
  invoicing_->Wait(absl::Seconds(10));
  const absl::Time down_at = absl::Now();
  EXPECT_TRUE(
      testing::WaitFor([&] { return Firing("StoreServiceDown", "invoicing"); }, absl::Seconds(30)))
      << "StoreServiceDown never fired for invoicing; " << dir_ << "/prometheus.log";
  const absl::Duration fired = absl::Now() - down_at;
  EXPECT_FALSE(Firing("StoreServiceDown", "order")) << "the order service is up";
  const absl::Time started_at = absl::Now();
  const absl::Status started = invoicing_->Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(
      testing::WaitFor([&] { return !Firing("StoreServiceDown", "invoicing"); }, absl::Seconds(30)))
      << "StoreServiceDown did not resolve";
  const absl::Duration resolved = absl::Now() - started_at;
  std::printf(
      "alerts (repository rules, holds 0s): invoicing killed -> StoreServiceDown{invoicing} "
      "firing after %s; restarted -> resolved after %s; none for order\n",
      absl::FormatDuration(fired).c_str(), absl::FormatDuration(resolved).c_str());
}

TEST_F(AlertFaultTest, ConsumerLaggingFiresAndResolves) {
  ASSERT_TRUE(
      testing::SetInvoicingMode(invoicing_->channel(), invoicing::v1::ISSUE_MODE_ON_ORDER_PLACED)
          .ok());
  // OrderPlaced events as the order service publishes them, produced
  // straight to the topic: far faster than orders can be placed, so the
  // consumer is some seconds of work behind.
  constexpr int kEvents = 30000;
  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(kEvents);
  for (int i = 0; i < kEvents; ++i) {
    auto order = order::BuildNewOrder(testing::SampleOrder(NewUuid(), i));
    ASSERT_TRUE(order.ok()) << order.status();
    order->set_id(NewUuid());
    order->set_number(i + 1);
    order->set_status(order::v1::ORDER_STATUS_PENDING);
    order->set_version(1);
    order::v1::OrderPlaced placed;
    *placed.mutable_order() = *order;
    records.emplace_back(order->id(),
                         events::MakeEnvelope(placed, order->id(), 1, "order-service", absl::Now())
                             .SerializeAsString());
  }
  EXPECT_FALSE(Firing("StoreConsumerLagging", "invoicing"));
  const absl::Time produced_at = absl::Now();
  kafka_.ProduceAll(order::v1::kOrdersTopic, records);
  const absl::Duration produce_took = absl::Now() - produced_at;

  const std::string lag_query =
      "sum(consumer_lag_messages{service=\"invoicing\",consumer=\"invoicing\"})";
  double peak_lag = 0;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        peak_lag = std::max(peak_lag, Value(lag_query));
        return Firing("StoreConsumerLagging", "invoicing");
      },
      absl::Seconds(60)))
      << "StoreConsumerLagging never fired for invoicing (peak lag seen " << peak_lag << "); "
      << dir_ << "/prometheus.log";
  const absl::Duration fired = absl::Now() - produced_at;
  EXPECT_FALSE(Firing("StoreConsumerLagging", "order"))
      << "the order service consumes nothing late";
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        peak_lag = std::max(peak_lag, Value(lag_query));
        return invoicing_db_->Count("SELECT count(*) FROM invoices") >= kEvents &&
               !Firing("StoreConsumerLagging", "invoicing");
      },
      absl::Seconds(180)))
      << "invoicing did not catch up, or the alert did not resolve: "
      << invoicing_db_->Count("SELECT count(*) FROM invoices") << " invoices";
  const absl::Duration resolved = absl::Now() - produced_at;
  EXPECT_EQ(invoicing_db_->Count("SELECT count(DISTINCT order_id) FROM invoices"), kEvents);
  EXPECT_GT(peak_lag, 1000);
  std::printf(
      "alerts (repository rules, holds 0s): %d OrderPlaced produced in %s -> "
      "StoreConsumerLagging{invoicing} firing after %s (peak lag seen %.0f); caught up, "
      "%d invoices, resolved after %s\n",
      kEvents, absl::FormatDuration(produce_took).c_str(), absl::FormatDuration(fired).c_str(),
      peak_lag, kEvents, absl::FormatDuration(resolved).c_str());
}

TEST_F(AlertFaultTest, OutboxAlertsFireWhileTheBrokersAreDownAndResolveAfter) {
  auto stub = order::v1::OrderService::NewStub(order_->channel());
  int placed = 0, failed = 0;
  auto place = [&](int n) {
    for (int i = 0; i < n; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      order::v1::Order o;
      const grpc::Status s =
          stub->PlaceOrder(&ctx, testing::SampleOrder(NewUuid(), placed + failed), &o);
      s.ok() ? ++placed : ++failed;
    }
  };
  const std::string pending = "select count(*) from outbox where sent_at is null";
  EXPECT_FALSE(Firing("StoreOutboxBacklogGrowing", "order"));
  EXPECT_FALSE(Firing("StoreOutboxEventsDelayed", "order"));
  kafka_.SetAllBrokersDown(true);
  const absl::Time down_at = absl::Now();
  // Orders keep coming while the brokers are away: the backlog grows past
  // the rule's 100 events, and its oldest event ages past 60 s.
  absl::Duration growing = absl::InfiniteDuration(), delayed = absl::InfiniteDuration();
  while (absl::Now() - down_at < absl::Seconds(100) && delayed == absl::InfiniteDuration()) {
    place(10);
    if (growing == absl::InfiniteDuration() && Firing("StoreOutboxBacklogGrowing", "order")) {
      growing = absl::Now() - down_at;
    }
    if (Firing("StoreOutboxEventsDelayed", "order")) delayed = absl::Now() - down_at;
    absl::SleepFor(absl::Milliseconds(500));  // a steady trickle, ~20 orders/s
  }
  const int64_t backlog = order_db_->Count(pending);
  EXPECT_LT(growing, absl::Seconds(60))
      << "StoreOutboxBacklogGrowing never fired; backlog " << backlog;
  EXPECT_LT(delayed, absl::Seconds(100)) << "StoreOutboxEventsDelayed never fired";
  EXPECT_EQ(failed, 0) << "orders are accepted while the brokers are down";
  kafka_.SetAllBrokersDown(false);
  const absl::Time up_at = absl::Now();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return order_db_->Count(pending) == 0 && !Firing("StoreOutboxBacklogGrowing", "order") &&
               !Firing("StoreOutboxEventsDelayed", "order");
      },
      absl::Seconds(60)))
      << "the outbox did not drain or the alerts did not resolve: " << order_db_->Count(pending)
      << " pending";
  const absl::Duration resolved = absl::Now() - up_at;
  EXPECT_EQ(order_db_->Count("select count(*) from orders"), placed);
  std::printf(
      "alerts (repository rules, holds 0s): brokers down, %d orders accepted (0 failed), backlog "
      "%lld "
      "-> StoreOutboxBacklogGrowing{order} firing after %s, StoreOutboxEventsDelayed{order} after "
      "%s; brokers back -> drained and both resolved after %s\n",
      placed, static_cast<long long>(backlog), absl::FormatDuration(growing).c_str(),
      absl::FormatDuration(delayed).c_str(), absl::FormatDuration(resolved).c_str());
}

}  // namespace
}  // namespace store
