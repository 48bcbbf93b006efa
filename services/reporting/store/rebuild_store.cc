#include "services/reporting/store/rebuild_store.h"

#include "absl/strings/str_cat.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::reporting {
namespace {

constexpr const char* kShadow = RebuildStore::kShadowSchema;

const pg::Statement kSave(
    "report_rebuild_save",
    "INSERT INTO report_rebuilds (id, start_time, heartbeat, body)"
    " VALUES ($1::uuid, $2::timestamptz, now(), $3)"
    " ON CONFLICT (id) DO UPDATE SET body = excluded.body, heartbeat = now()");
const pg::Statement kLoad("report_rebuild_load",
                          "SELECT body FROM report_rebuilds WHERE id = $1::uuid");
const pg::Statement kLatest("report_rebuild_latest",
                            "SELECT body FROM report_rebuilds ORDER BY start_time DESC LIMIT 1");
const pg::Statement kAll(
    "report_rebuild_all",
    "SELECT body, heartbeat < now() - make_interval(secs => $1) FROM report_rebuilds"
    " ORDER BY start_time DESC LIMIT 20");
const pg::Statement kForgetInbox("report_rebuild_forget_inbox",
                                 "DELETE FROM inbox WHERE starts_with(consumer, $1)");

v1::Rebuild Parse(const pqxx::field& f) {
  v1::Rebuild r;
  r.ParseFromString(pg::FromBytes(f));
  return r;
}

}  // namespace

const std::vector<std::string>& RebuildStore::Tables() {
  static const auto* kTables = new std::vector<std::string>{
      "report_orders",   "report_order_lines", "report_refunds",   "report_refund_lines",
      "report_payments", "report_customers",   "report_campaigns", "report_days"};
  return *kTables;
}

void RebuildStore::CreateShadow(pqxx::transaction_base& tx) {
  tx.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", kShadow, " CASCADE"));
  tx.exec(absl::StrCat("CREATE SCHEMA ", kShadow));
  for (const std::string& t : Tables()) {
    tx.exec(absl::StrCat("CREATE TABLE ", kShadow, ".", t, " (LIKE public.", t, " INCLUDING ALL)"));
  }
  // LIKE names the copied indexes itself: give each the name of the live
  // index with the same definition, so the swapped-in tables keep the names
  // the migrations use.
  const pqxx::result renames = tx.exec_params(
      "SELECT s.indexname, l.indexname FROM pg_indexes s JOIN pg_indexes l"
      " ON l.schemaname = 'public' AND l.tablename = s.tablename"
      " AND regexp_replace(l.indexdef, '^CREATE .*?INDEX \\S+ ON \\S+ ', '')"
      "   = regexp_replace(s.indexdef, '^CREATE .*?INDEX \\S+ ON \\S+ ', '')"
      " WHERE s.schemaname = $1 AND s.indexname <> l.indexname",
      kShadow);
  for (const pqxx::row& row : renames) {
    tx.exec(absl::StrCat("ALTER INDEX ", kShadow, ".", tx.quote_name(row[0].as<std::string>()),
                         " RENAME TO ", tx.quote_name(row[1].as<std::string>())));
  }
}

std::vector<v1::TableComparison> RebuildStore::Compare(pqxx::transaction_base& tx) {
  std::vector<v1::TableComparison> out;
  for (const std::string& t : Tables()) {
    auto digest = [&](const std::string& schema) {
      // An order-independent checksum: the sum of the rows' 64-bit hashes.
      return tx.exec1(absl::StrCat("SELECT count(*), COALESCE(sum(hashtextextended(x::text, 0)),",
                                   " 0)::text FROM ", schema, ".", t, " x"));
    };
    const pqxx::row live = digest("public");
    const pqxx::row shadow = digest(kShadow);
    v1::TableComparison c;
    c.set_table(t);
    c.set_live_rows(live[0].as<int64_t>());
    c.set_shadow_rows(shadow[0].as<int64_t>());
    c.set_equal(live[1].as<std::string>() == shadow[1].as<std::string>());
    out.push_back(std::move(c));
  }
  return out;
}

void RebuildStore::Swap(pqxx::transaction_base& tx) {
  tx.exec("DROP SCHEMA IF EXISTS reporting_replaced CASCADE");
  tx.exec("CREATE SCHEMA reporting_replaced");
  for (const std::string& t : Tables()) {
    tx.exec(absl::StrCat("ALTER TABLE public.", t, " SET SCHEMA reporting_replaced"));
    tx.exec(absl::StrCat("ALTER TABLE ", kShadow, ".", t, " SET SCHEMA public"));
  }
  tx.exec("DROP SCHEMA reporting_replaced CASCADE");
  tx.exec(absl::StrCat("DROP SCHEMA ", kShadow, " CASCADE"));
}

void RebuildStore::Save(pqxx::transaction_base& tx, const v1::Rebuild& rebuild) {
  tx.exec_prepared(kSave.name, rebuild.id(), pg::PgTime(rebuild.start_time()),
                   pg::Bytes(rebuild.SerializeAsString()));
}

std::optional<v1::Rebuild> RebuildStore::Load(pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r =
      id == "latest" ? tx.exec_prepared(kLatest.name) : tx.exec_prepared(kLoad.name, id);
  if (r.empty()) return std::nullopt;
  return Parse(r[0][0]);
}

std::vector<v1::Rebuild> RebuildStore::Unfinished(pqxx::transaction_base& tx,
                                                  absl::Duration silent_for, bool stale) {
  std::vector<v1::Rebuild> out;
  for (const pqxx::row& row : tx.exec_prepared(kAll.name, absl::ToDoubleSeconds(silent_for))) {
    v1::Rebuild r = Parse(row[0]);
    const bool unfinished =
        r.state() == v1::REBUILD_STATE_REPLAYING || r.state() == v1::REBUILD_STATE_CATCHING_UP;
    if (unfinished && row[1].as<bool>() == stale) out.push_back(std::move(r));
  }
  return out;
}

void RebuildStore::ForgetInbox(pqxx::transaction_base& tx, const std::string& prefix) {
  tx.exec_prepared(kForgetInbox.name, prefix);
}

}  // namespace store::reporting
