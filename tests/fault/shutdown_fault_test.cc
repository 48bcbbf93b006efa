// Shutdown with the broker gone, for every service but the order service
// (order_fault_test.cc has its own, with events held in the outbox): each
// service runs as a real process with its consumers in their groups, every
// broker goes down, and SIGTERM must end it within its grace period with exit
// code 0: a consumer's close() or a producer's flush that waits on an absent
// broker is bounded. Prints each service's figures.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/migrations.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "services/customer/migrations.h"
#include "services/invoicing/migrations.h"
#include "services/newsletter/migrations.h"
#include "services/reporting/migrations.h"
#include "store/topics.h"

namespace store {
namespace {

struct ServiceUnderTest {
  std::string name;  // "customer" -> customer-service
  const std::vector<pg::Migration>& (*migrations)();
};

void PrintTo(const ServiceUnderTest& s, std::ostream* os) { *os << s.name; }

class ShutdownFaultTest : public ::testing::TestWithParam<ServiceUnderTest> {};

TEST_P(ShutdownFaultTest, SigtermWithTheBrokerGoneExitsWithinTheGrace) {
  const ServiceUnderTest& svc = GetParam();
  auto db = testing::TestDatabase::Create(
      {{"events", &EventsMigrations()}, {svc.name, &svc.migrations()}});
  ASSERT_TRUE(db.ok()) << db.status();
  testing::TestKafka kafka;
  for (const TopicSpec& t : kTopics) kafka.CreateTopic(t.name, t.partitions);
  const std::string dir = ::testing::TempDir();
  const std::string secret_file = absl::StrCat(dir, "/newsletter-token-", NewUuid());
  std::ofstream(secret_file) << "a-test-secret-of-at-least-32-bytes-long";
  // Other services' addresses point at nothing: this test is about the
  // broker, and no call leaves the service while it idles.
  const std::string nowhere = absl::StrCat("127.0.0.1:", testing::FreePort());
  testing::ServiceProcess process(svc.name, {{"DATABASE_URL", (*db)->url()},
                                             {"KAFKA_BROKERS", kafka.brokers()},
                                             {"ORDER_SERVICE_ADDR", nowhere},
                                             {"CUSTOMER_SERVICE_ADDR", nowhere},
                                             {"NEWSLETTER_SERVICE_ADDR", nowhere},
                                             {"SMTP_URL", absl::StrCat("smtp://", nowhere)},
                                             {"MAIL_FROM", "shop@fault.example"},
                                             {"NEWSLETTER_TOKEN_SECRET_FILE", secret_file},
                                             {"STORE_TIME_ZONE", "UTC"}});
  const std::string& log = process.log();
  const absl::Status started = process.Start();
  ASSERT_TRUE(started.ok()) << started;
  // Let the consumers join their groups before the brokers go.
  absl::SleepFor(absl::Seconds(3));
  kafka.SetAllBrokersDown(true);
  ASSERT_TRUE(testing::WaitFor([&] { return !process.Serving("kafka"); }, absl::Seconds(30)))
      << svc.name << "-service never noticed the brokers were gone; log: " << log;
  const bool still_ready = process.Serving();
  const absl::Time t0 = absl::Now();
  process.Signal(SIGTERM);
  const int code = process.Wait(absl::Seconds(40));
  const absl::Duration took = absl::Now() - t0;
  EXPECT_EQ(code, 0) << svc.name << "-service did not exit cleanly; log: " << log;
  EXPECT_LT(took, absl::Seconds(15)) << "SHUTDOWN_GRACE is 10s; log: " << log;
  EXPECT_TRUE(still_ready) << "readiness follows the database, not the broker";
  std::printf(
      "%s-service, brokers down: health kafka NOT_SERVING, still ready: %s; SIGTERM -> "
      "exit %d after %s (grace 10s)\n",
      svc.name.c_str(), still_ready ? "yes" : "no", code, absl::FormatDuration(took).c_str());
  std::remove(secret_file.c_str());
}

INSTANTIATE_TEST_SUITE_P(EveryService, ShutdownFaultTest,
                         ::testing::Values(ServiceUnderTest{"customer", &CustomerMigrations},
                                           ServiceUnderTest{"invoicing", &InvoicingMigrations},
                                           ServiceUnderTest{"newsletter", &NewsletterMigrations},
                                           ServiceUnderTest{"reporting", &ReportingMigrations}),
                         [](const ::testing::TestParamInfo<ServiceUnderTest>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace store
