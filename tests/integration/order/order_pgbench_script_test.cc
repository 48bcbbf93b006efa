// The pgbench reference of PERF-1 (services/order/store/place_order.pgbench,
// run by `tools/dev bench orders`) is PlaceOrder's own SQL: this test writes
// the script from the service's statements and fails when the checked-in copy
// differs, then runs the checked-in copy with pgbench against a fresh
// database of the service's schema. After changing PlaceOrder's SQL, refresh
// the copy with: STORE_UPDATE_PGBENCH_SCRIPT=1 tools/dev test -R PgbenchScript
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/migrations.h"
#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "services/order/app/order_app.h"
#include "services/order/domain/order_rules.h"
#include "services/order/migrations.h"
#include "services/order/store/order_store.h"
#include "store/order/v1/events.pb.h"
#include "store/topics.h"

namespace store::order {
namespace {

constexpr char kScriptPath[] = "services/order/store/place_order.pgbench";

// The order the benchmark places: three lines, a delivery fee, a card
// payment (the request tools/loadgen sends, in substance).
v1::PlaceOrderRequest BenchRequest() {
  v1::PlaceOrderRequest r;
  r.set_request_id("00000000-0000-4000-8000-000000000001");
  r.set_currency_code("USD");
  r.mutable_customer()->set_email("load@example.com");
  r.mutable_customer()->set_name("Load Tester");
  r.mutable_customer()->set_phone("+15551239999");
  const char* skus[] = {"MUG-BLUE", "TEE-ORG-M", "TOTE-CNV"};
  for (int i = 0; i < 3; ++i) {
    v1::OrderItem* item = r.add_items();
    item->set_sku(skus[i]);
    item->set_name(absl::StrCat("Load item ", i + 1));
    item->set_quantity(1 + i);
    item->mutable_unit_price()->set_amount_minor(1000 + 250 * i);
    item->mutable_unit_price()->set_currency_code("USD");
    item->set_tax_rate_bp(2000);
  }
  common::v1::Address* a = r.mutable_shipping_address();
  a->set_name("Load Tester");
  a->set_line1("1 Bench Street");
  a->set_city("Springfield");
  a->set_country_code("US");
  r.mutable_delivery_method()->set_code("standard");
  r.mutable_delivery_method()->mutable_fee()->set_amount_minor(500);
  r.mutable_delivery_method()->mutable_fee()->set_currency_code("USD");
  r.set_payment_method(v1::PAYMENT_METHOD_CARD);
  return r;
}

std::string SqlString(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "''"}}), "'");
}

std::string SqlBytes(const std::string& s) {
  return absl::StrCat("'\\x", absl::BytesToHexString(s), "'::bytea");
}

// `sql` with each $N replaced by literals[N-1].
std::string Inline(const std::string& sql, const std::vector<std::string>& literals) {
  std::string out;
  const std::regex placeholder(R"(\$(\d+))");
  size_t last = 0;
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), placeholder);
       it != std::sregex_iterator(); ++it) {
    out += sql.substr(last, it->position() - last);
    out += literals.at(std::stoi((*it)[1]) - 1);
    last = it->position() + it->length();
  }
  return out + sql.substr(last);
}

// The script, from the service's statements (kNextOrderNumber, kInsertOrder)
// with the values PlaceOrder would bind; what differs per order is made by
// PostgreSQL (ids, time) or pgbench (the number). Deterministic: the same
// code gives the same bytes.
std::string ExpectedScript() {
  absl::StatusOr<v1::Order> built = BuildNewOrder(BenchRequest());
  EXPECT_TRUE(built.ok()) << built.status();
  v1::Order order = *built;
  const absl::Time at = absl::FromUnixSeconds(1795000000);
  order.set_id("00000000-0000-4000-8000-000000000002");
  order.set_number(10001);
  order.set_status(v1::ORDER_STATUS_PENDING);
  order.set_version(1);
  order.mutable_create_time()->set_seconds(absl::ToUnixSeconds(at));
  *order.mutable_update_time() = order.create_time();
  v1::OrderPlaced placed;
  *placed.mutable_order() = order;
  common::v1::EventEnvelope env = events::MakeEnvelope(placed, order.id(), 1, kSource, at);
  env.set_event_id("00000000-0000-4000-8000-000000000003");
  env.set_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  std::string items = "[";
  for (int i = 0; i < order.items_size(); ++i) {
    const v1::OrderItem& it = order.items(i);
    absl::StrAppend(&items, i ? "," : "", "{\"line_no\":", i + 1, ",\"sku\":\"", it.sku(),
                    "\",\"name\":\"", it.name(), "\",\"quantity\":", it.quantity(),
                    ",\"unit_price_minor\":", it.unit_price().amount_minor(),
                    ",\"total_minor\":", it.total().amount_minor(), "}");
  }
  items += "]";
  const std::string insert =
      Inline(kInsertOrder.sql, {"gen_random_uuid()",
                                ":num",
                                "gen_random_uuid()",
                                SqlString("0123456789abcdef"),
                                "1",
                                "''",
                                SqlString(order.customer().email()),
                                SqlString("USD"),
                                "1",
                                SqlString("standard"),
                                absl::StrCat(order.totals().total().amount_minor()),
                                SqlString("#10001 load@example.com load tester"),
                                SqlBytes(order.SerializeAsString()),
                                "now()",
                                SqlString(items),
                                SqlString("loadgen"),
                                "gen_random_uuid()",
                                SqlString(v1::kOrdersTopic),
                                "gen_random_uuid()::text",
                                SqlString(env.type()),
                                SqlBytes(env.SerializeAsString()),
                                SqlString(env.traceparent())});
  return absl::StrCat(
      "-- The statements of OrderApp::PlaceOrder (services/order/store/order_store.cc\n"
      "-- and libs/events/outbox.cc), one order per transaction: the pgbench\n"
      "-- reference of PERF-1 (tools/dev bench orders). Written and checked by\n"
      "-- tests/integration/order/order_pgbench_script_test.cc; do not edit.\n",
      "BEGIN;\n", kNextOrderNumber.sql, " AS num \\gset\n", insert, ";\nEND;\n");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PgbenchScriptTest, IsPlaceOrdersOwnSqlAndRuns) {
  const std::string path = testing::RepoPath(kScriptPath);
  const std::string expected = ExpectedScript();
  if (const char* update = std::getenv("STORE_UPDATE_PGBENCH_SCRIPT");
      update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << expected;
  }
  ASSERT_EQ(ReadFile(path), expected)
      << path << " is not PlaceOrder's SQL any more; refresh it with "
      << "STORE_UPDATE_PGBENCH_SCRIPT=1 tools/dev test -R PgbenchScript";

  // The checked-in script runs against the service's schema: 2 clients x 5
  // transactions are 10 orders, each with its 3 items and its outbox row.
  auto db = testing::TestDatabase::Create(
      {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}});
  ASSERT_TRUE(db.ok()) << db.status();
  const char* pg_bin = std::getenv("PG_BIN");
  const std::string pgbench = absl::StrCat(
      pg_bin != nullptr && *pg_bin ? pg_bin : "/usr/lib/postgresql/15/bin", "/pgbench");
  const std::string log = absl::StrCat(::testing::TempDir(), "/pgbench.log");
  testing::ChildProcess run(
      {pgbench, "-n", "-M", "prepared", "-c", "2", "-t", "5", "-f", path, (*db)->url()}, {}, log);
  ASSERT_EQ(run.Wait(absl::Seconds(60)), 0) << ReadFile(log);
  pqxx::connection conn((*db)->url());
  pqxx::work tx(conn);
  auto count = [&](const char* sql) { return tx.exec1(sql)[0].as<int>(); };
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 10);
  EXPECT_EQ(count("SELECT count(DISTINCT number) FROM orders"), 10);
  EXPECT_EQ(count("SELECT count(*) FROM order_items"), 30);
  EXPECT_EQ(count("SELECT count(*) FROM outbox"), 10);
}

}  // namespace
}  // namespace store::order
