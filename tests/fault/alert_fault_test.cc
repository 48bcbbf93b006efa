// What the SRE sees during a fault (OPS-03): Debian's Prometheus scrapes the
// order and invoicing services (real processes) every second and evaluates
// the repository's alert rules (deploy/prometheus/rules/store-alerts.yml)
// every second, with each rule's `for:` hold cut to 0 s so a bounded test can
// see it (the expressions are the repository's, unchanged). The invoicing
// service is killed: StoreServiceDown fires for it (and not for the order
// service), and resolves once it runs again.
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
#include "libs/events/migrations.h"
#include "libs/testing/process.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "services/invoicing/migrations.h"
#include "services/order/migrations.h"
#include "store/topics.h"

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
    char* escaped = curl_easy_escape(nullptr, query.c_str(), static_cast<int>(query.size()));
    const std::string body =
        HttpGet(absl::StrCat("http://", prometheus_addr_, "/api/v1/query?query=", escaped));
    curl_free(escaped);
    return body.find("\"result\":[{") != std::string::npos;
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

}  // namespace
}  // namespace store
