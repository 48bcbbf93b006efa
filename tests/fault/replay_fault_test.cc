// REL-4: every consumer group of every service sent back to offset 0 and
// replayed. The five services run as processes on one broker; customers
// (with marketing consent), orders paid, shipped, cancelled and rejected,
// and an erasure make events on every topic that has consumers. Once every
// group has caught up, a checksum of every business table of every service
// is taken; the services stop, every group's offsets go back to the
// beginning of each topic it reads, the services start again and read it
// all once more. Every table's checksum must be what it was: the inbox
// skips what was applied before, so a replay changes nothing.
#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/events/migrations.h"
#include "libs/events/replay.h"
#include "libs/testing/service_process.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/test_smtp.h"
#include "libs/testing/wait.h"
#include "services/customer/migrations.h"
#include "services/invoicing/migrations.h"
#include "services/newsletter/migrations.h"
#include "services/order/migrations.h"
#include "services/reporting/migrations.h"
#include "store/customer/v1/customer_service.grpc.pb.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"
#include "tests/fault/fault_support.h"

namespace store {
namespace {

namespace cv1 = customer::v1;
namespace ov1 = order::v1;

// Tables of the platform, not of the business: what was published and
// consumed, and which migrations ran.
bool Infrastructure(const std::string& table) {
  return table == "outbox" || table == "inbox" || table == "schema_migrations";
}

// table -> md5 over its rows (each row's text form, sorted).
std::map<std::string, std::string> Checksums(const testing::TestDatabase& db) {
  std::map<std::string, std::string> out;
  for (const auto& row : db.Query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                  "ORDER BY tablename")) {
    const std::string table = row[0].as<std::string>();
    if (Infrastructure(table)) continue;
    const auto r = db.Query(absl::StrCat(
        "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "
        "FROM public.",
        table, " t"));
    out[table] = absl::StrCat(r[0][0].as<int64_t>(), ":", r[0][1].as<std::string>());
  }
  return out;
}

struct Group {
  std::string service;
  std::string group;
  std::string topic;
};

class ReplayFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [name, migrations] :
         std::vector<std::pair<std::string, const std::vector<pg::Migration>*>>{
             {"order", &OrderMigrations()},
             {"customer", &CustomerMigrations()},
             {"invoicing", &InvoicingMigrations()},
             {"newsletter", &NewsletterMigrations()},
             {"reporting", &ReportingMigrations()}}) {
      auto db =
          testing::TestDatabase::Create({{"events", &EventsMigrations()}, {name, migrations}});
      ASSERT_TRUE(db.ok()) << db.status();
      dbs_[name] = std::move(*db);
    }
    for (const TopicSpec& t : kTopics) kafka_.CreateTopic(t.name, t.partitions);
    auto smtp = testing::TestSmtp::Start();
    ASSERT_TRUE(smtp.ok()) << smtp.status();
    smtp_ = std::move(*smtp);
    secret_file_ = absl::StrCat(::testing::TempDir(), "/newsletter-token-", NewUuid());
    std::ofstream(secret_file_) << "a-test-secret-of-at-least-32-bytes-long";
    std::map<std::string, std::string> addr;
    for (const char* name : {"order", "customer", "invoicing", "newsletter", "reporting"}) {
      addr[name] = absl::StrCat("127.0.0.1:", testing::FreePort());
    }
    auto env = [&](const std::string& name, std::map<std::string, std::string> extra) {
      extra["DATABASE_URL"] = dbs_[name]->url();
      extra["KAFKA_BROKERS"] = kafka_.brokers();
      extra["GRPC_LISTEN"] = addr[name];
      extra["STORE_CURRENCY"] = "EUR";
      extra["STORE_TIME_ZONE"] = "UTC";
      // Five services on the shared test cluster beside other tests: few
      // connections each (the default 16 each could exhaust its slots).
      extra["DB_POOL_SIZE"] = "4";
      extra["LOG_LEVEL"] = "info";  // start-up steps in the log, should one not come up
      return extra;
    };
    services_["order"] = std::make_unique<testing::ServiceProcess>(
        "order", env("order", {{"CUSTOMER_SERVICE_ADDR", addr["customer"]}}));
    services_["customer"] = std::make_unique<testing::ServiceProcess>(
        "customer", env("customer", {{"ORDER_SERVICE_ADDR", addr["order"]},
                                     {"NEWSLETTER_SERVICE_ADDR", addr["newsletter"]}}));
    services_["invoicing"] = std::make_unique<testing::ServiceProcess>(
        "invoicing", env("invoicing", {{"ORDER_SERVICE_ADDR", addr["order"]}}));
    services_["newsletter"] = std::make_unique<testing::ServiceProcess>(
        "newsletter", env("newsletter", {{"CUSTOMER_SERVICE_ADDR", addr["customer"]},
                                         {"SMTP_URL", smtp_->url()},
                                         {"MAIL_FROM", "shop@replay.example"},
                                         {"MAIL_RATE_PER_SECOND", "0"},
                                         {"NEWSLETTER_TOKEN_SECRET_FILE", secret_file_}}));
    services_["reporting"] = std::make_unique<testing::ServiceProcess>(
        "reporting", env("reporting", {{"ORDER_SERVICE_ADDR", addr["order"]}}));
    for (auto& [name, svc] : services_) {
      const absl::Status started = svc->Start();
      ASSERT_TRUE(started.ok()) << started;
    }
  }

  void TearDown() override { std::remove(secret_file_.c_str()); }

  // Every group has read every record of its topics, every outbox is
  // drained, and no mail is waiting to be sent.
  bool Settled(int64_t* remaining_out = nullptr) {
    int64_t remaining = 0;
    for (const Group& g : kGroups) {
      auto offsets = events::GroupOffsets(kafka_.brokers(), g.group, g.topic, absl::Seconds(5));
      if (!offsets.ok()) return false;
      for (const auto& p : *offsets) remaining += p.Remaining();
    }
    if (remaining_out != nullptr) *remaining_out = remaining;
    if (remaining > 0) return false;
    for (auto& [name, db] : dbs_) {
      if (db->Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") > 0) return false;
    }
    return dbs_["newsletter"]->Count("SELECT count(*) FROM mails WHERE status IN (1, 2)") == 0;
  }

  std::map<std::string, std::map<std::string, std::string>> AllChecksums() {
    std::map<std::string, std::map<std::string, std::string>> out;
    for (auto& [name, db] : dbs_) out[name] = Checksums(*db);
    return out;
  }

  const std::vector<Group> kGroups = {
      {"order", "order-erasure", customer::v1::kCustomersTopic},
      {"customer", "customer-facts", ov1::kOrdersTopic},
      {"customer", "customer-erasures", customer::v1::kErasuresTopic},
      {"customer", "customer-newsletter", newsletter::v1::kSubscribersTopic},
      {"invoicing", "invoicing", ov1::kOrdersTopic},
      {"invoicing", "invoicing-erasure", customer::v1::kCustomersTopic},
      {"newsletter", "newsletter", ov1::kOrdersTopic},
      {"newsletter", "newsletter", ov1::kCartsTopic},
      {"newsletter", "newsletter", customer::v1::kCustomersTopic},
      {"reporting", "reporting-orders", ov1::kOrdersTopic},
      {"reporting", "reporting-customers", customer::v1::kCustomersTopic},
      {"reporting", "reporting-campaigns", newsletter::v1::kCampaignsTopic},
  };

  std::map<std::string, std::unique_ptr<testing::TestDatabase>> dbs_;
  testing::TestKafka kafka_;
  std::unique_ptr<testing::TestSmtp> smtp_;
  std::string secret_file_;
  std::map<std::string, std::unique_ptr<testing::ServiceProcess>> services_;
};

std::unique_ptr<grpc::ClientContext> Staff() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-actor", "staff:replay");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return ctx;
}

TEST_F(ReplayFaultTest, ReplayingEveryGroupFromZeroChangesNoTable) {
  ASSERT_TRUE(testing::SetInvoicingMode(services_["invoicing"]->channel(),
                                        invoicing::v1::ISSUE_MODE_ON_PAYMENT)
                  .ok());
  // Customers with marketing consent (newsletter subscribers, customer facts).
  auto customers = cv1::CustomerService::NewStub(services_["customer"]->channel());
  std::vector<std::string> customer_ids;
  for (int i = 0; i < 6; ++i) {
    cv1::CreateCustomerRequest req;
    req.set_request_id(NewUuid());
    req.mutable_customer()->set_email(absl::StrCat("buyer", i, "@replay.example"));
    req.mutable_customer()->set_name(absl::StrCat("Buyer ", i));
    req.set_accepts_marketing(i % 2 == 0);
    cv1::Customer c;
    const grpc::Status s = customers->CreateCustomer(Staff().get(), req, &c);
    ASSERT_TRUE(s.ok()) << s.error_message();
    customer_ids.push_back(c.id());
  }
  // Orders of customers and guests; paid, shipped, cancelled, rejected.
  auto orders = ov1::OrderService::NewStub(services_["order"]->channel());
  int placed = 0;
  for (int i = 0; i < 60; ++i) {
    ov1::PlaceOrderRequest req = testing::SampleOrder(NewUuid(), i);
    if (i % 3 != 2) {
      req.mutable_customer()->set_customer_id(customer_ids[i % customer_ids.size()]);
      req.mutable_customer()->set_email(absl::StrCat("buyer", i % 6, "@replay.example"));
    } else {
      req.mutable_customer()->set_email(absl::StrCat("guest", i, "@replay.example"));
    }
    ov1::Order o;
    grpc::Status s = orders->PlaceOrder(Staff().get(), req, &o);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++placed;
    if (i % 10 == 9) {
      ov1::RejectOrderRequest reject;
      reject.set_order_id(o.id());
      reject.set_reason("out of stock");
      ASSERT_TRUE(orders->RejectOrder(Staff().get(), reject, &o).ok());
      continue;
    }
    if (i % 2 == 0) {
      ov1::RecordPaymentRequest pay;
      pay.set_order_id(o.id());
      pay.set_provider("card");
      pay.set_reference(o.id());
      *pay.mutable_amount() = o.totals().total();
      pay.set_outcome(ov1::PAYMENT_OUTCOME_SUCCEEDED);
      ov1::RecordPaymentResponse paid;
      s = orders->RecordPayment(Staff().get(), pay, &paid);
      ASSERT_TRUE(s.ok()) << s.error_message();
      if (i % 4 == 0) {
        ov1::ShipOrderRequest ship;
        ship.set_order_id(o.id());
        ship.set_carrier("ups");
        ship.set_tracking_number(absl::StrCat("1Z", i));
        s = orders->ShipOrder(Staff().get(), ship, &o);
        ASSERT_TRUE(s.ok()) << s.error_message();
      }
    } else if (i % 7 == 0) {
      ov1::CancelOrderRequest cancel;
      cancel.set_order_id(o.id());
      cancel.set_reason("changed their mind");
      ASSERT_TRUE(orders->CancelOrder(Staff().get(), cancel, &o).ok());
    }
  }
  // One customer erased: every service anonymises them and reports back.
  {
    cv1::EraseCustomerRequest req;
    req.set_customer_id(customer_ids[1]);
    req.set_reason("REQ-1 right to erasure");
    cv1::ErasureRecord record;
    const grpc::Status s = customers->EraseCustomer(Staff().get(), req, &record);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(testing::WaitFor([&] { return Settled(); }, absl::Seconds(90)))
      << "the services did not catch up";
  const auto before = AllChecksums();
  // Nothing moves on its own: a second look finds the same.
  ASSERT_EQ(AllChecksums(), before) << "the tables change without events; nothing to compare";

  // Service by service: stop it (its groups must have no live members),
  // send each of its groups back to offset 0, start it again. (One at a
  // time keeps each one's port free only for seconds.)
  int64_t records = 0;
  const absl::Time t0 = absl::Now();
  for (auto& [name, svc] : services_) {
    svc->Signal(SIGTERM);
    ASSERT_EQ(svc->Wait(absl::Seconds(20)), 0) << name;
    for (const Group& g : kGroups) {
      if (g.service != name) continue;
      auto reset = events::ResetGroupOffsets(kafka_.brokers(), g.group, g.topic,
                                             events::ReplayFrom{}, absl::Seconds(30));
      ASSERT_TRUE(reset.ok()) << g.group << " " << g.topic << ": " << reset.status();
      for (const auto& p : *reset) records += p.high - p.reset_to;
    }
    const absl::Status started = svc->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  int64_t remaining = -1;
  EXPECT_TRUE(testing::WaitFor([&] { return Settled(&remaining); }, absl::Seconds(120)))
      << remaining << " records not read again";
  const absl::Duration replayed_in = absl::Now() - t0;
  const auto after = AllChecksums();
  int tables = 0, rows_total = 0, differ = 0;
  for (const auto& [service, sums] : before) {
    for (const auto& [table, sum] : sums) {
      ++tables;
      rows_total += std::stoi(sum.substr(0, sum.find(':')));
      const std::string now = after.at(service).count(table) ? after.at(service).at(table) : "gone";
      if (now != sum) {
        ++differ;
        ADD_FAILURE() << service << "." << table << " changed by the replay: " << sum << " -> "
                      << now;
      }
    }
  }
  EXPECT_GT(records, placed);  // the orders topic alone holds more than one event per order
  EXPECT_GT(rows_total, 0);
  std::printf(
      "REL-4: %zu consumer groups x topics of 5 services reset to offset 0 (service by service), "
      "%lld records read "
      "again in %s; %d business tables (%d rows) checksummed before and after: %d differ\n",
      kGroups.size(), static_cast<long long>(records), absl::FormatDuration(replayed_in).c_str(),
      tables, rows_total, differ);
}

}  // namespace
}  // namespace store
