#include "services/customer/store/wallet_store.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/pg/pool.h"
#include "services/customer/store/customer_store.h"

namespace store::customer {
namespace {


constexpr char kEntryCols[] =
    "id::text, kind, amount, balance_after, reason, actor, " STORE_PG_MICROS("expires_at") ","
    " coalesce(idempotency_key, ''), " STORE_PG_MICROS("created_at") ", seq";

const pg::Statement kBalance("wal_balance",
                             "SELECT wallet_balance FROM customers WHERE id = $1::uuid");
const pg::Statement kFindByKey(
    "wal_find_by_key",
    absl::StrCat("SELECT ", kEntryCols, " FROM wallet_entries WHERE"
                                  " customer_id = $1::uuid AND kind = $2::smallint AND"
                                  " idempotency_key = $3"));
const pg::Statement kOpenCredits(
    "wal_open_credits",
    "SELECT id::text, remaining, " STORE_PG_MICROS("expires_at") ", seq FROM wallet_entries"
    " WHERE customer_id = $1::uuid AND kind = 1 AND remaining > 0 ORDER BY seq FOR UPDATE");
const pg::Statement kAppend(
    "wal_append",
    "WITH e AS (INSERT INTO wallet_entries (id, customer_id, kind, amount, remaining, expires_at,"
    " balance_after, reason, actor, idempotency_key, reverses, created_at)"
    " VALUES ($1::uuid, $2::uuid, $3::smallint, $4::bigint, $5::bigint,"
    " NULLIF($6, '')::timestamptz, $7::bigint, $8, $9, NULLIF($10, ''), NULLIF($11, '')::uuid,"
    " $12::timestamptz) RETURNING balance_after)"
    " UPDATE customers SET wallet_balance = (SELECT balance_after FROM e) WHERE id = $2::uuid");
const pg::Statement kConsume(
    "wal_consume",
    "WITH a AS (INSERT INTO wallet_allocations (debit_id, credit_id, amount)"
    " VALUES ($1::uuid, $2::uuid, $3::bigint))"
    " UPDATE wallet_entries SET remaining = remaining - $3::bigint WHERE id = $2::uuid");
const pg::Statement kRestore(
    "wal_restore",
    "WITH a AS (SELECT credit_id, amount FROM wallet_allocations WHERE debit_id = $1::uuid),"
    " u AS (UPDATE wallet_entries w SET remaining = w.remaining + a.amount FROM a"
    "  WHERE w.id = a.credit_id RETURNING a.amount)"
    " SELECT coalesce(sum(amount), 0)::bigint FROM u");
const pg::Statement kExhaust("wal_exhaust",
                             "UPDATE wallet_entries SET remaining = 0 WHERE id = $1::uuid");
const pg::Statement kReversalOf(
    "wal_reversal_of",
    "SELECT id::text FROM wallet_entries WHERE reverses = $1::uuid AND kind = 4");
const pg::Statement kRetireKey(
    "wal_retire_key",
    "UPDATE wallet_entries SET idempotency_key = idempotency_key || '#' || $1"
    " WHERE id IN ($1::uuid, $2::uuid)");
const pg::Statement kDue(
    "wal_due",
    "SELECT DISTINCT customer_id::text FROM wallet_entries WHERE kind = 1 AND remaining > 0"
    " AND expires_at IS NOT NULL AND expires_at <= $1::timestamptz LIMIT $2::int");

v1::WalletEntry ParseEntry(const pqxx::row& r, absl::string_view currency) {
  v1::WalletEntry e;
  e.set_id(r[0].as<std::string>());
  e.set_kind(static_cast<v1::WalletEntryKind>(r[1].as<int>()));
  e.mutable_amount()->set_amount_minor(r[2].as<int64_t>());
  e.mutable_amount()->set_currency_code(std::string(currency));
  e.mutable_balance_after()->set_amount_minor(r[3].as<int64_t>());
  e.mutable_balance_after()->set_currency_code(std::string(currency));
  e.set_reason(r[4].as<std::string>());
  e.set_actor(r[5].as<std::string>());
  if (!r[6].is_null()) *e.mutable_expire_time() = TimestampFromMicros(r[6].as<int64_t>());
  e.set_idempotency_key(r[7].as<std::string>());
  *e.mutable_create_time() = TimestampFromMicros(r[8].as<int64_t>());
  return e;
}

}  // namespace

int64_t WalletStore::Balance(pqxx::transaction_base& tx, const std::string& customer_id) {
  pqxx::result r = tx.exec_prepared(kBalance.name, customer_id);
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

std::optional<v1::WalletEntry> WalletStore::FindByKey(pqxx::transaction_base& tx,
                                                      absl::string_view currency,
                                                      const std::string& customer_id,
                                                      v1::WalletEntryKind kind,
                                                      const std::string& key) {
  pqxx::result r = tx.exec_prepared(kFindByKey.name, customer_id, static_cast<int>(kind), key);
  if (r.empty()) return std::nullopt;
  return ParseEntry(r[0], currency);
}

std::vector<WalletCredit> WalletStore::OpenCredits(pqxx::transaction_base& tx,
                                                   const std::string& customer_id) {
  std::vector<WalletCredit> out;
  for (const auto& r : tx.exec_prepared(kOpenCredits.name, customer_id)) {
    WalletCredit c;
    c.id = r[0].as<std::string>();
    c.remaining = r[1].as<int64_t>();
    if (!r[2].is_null()) c.expires_at = absl::FromUnixMicros(r[2].as<int64_t>());
    c.seq = r[3].as<int64_t>();
    out.push_back(std::move(c));
  }
  return out;
}

void WalletStore::Append(pqxx::transaction_base& tx, const std::string& customer_id,
                         const v1::WalletEntry& e, int64_t remaining,
                         const std::string& reverses_id) {
  tx.exec_prepared(kAppend.name, e.id(), customer_id, static_cast<int>(e.kind()),
                   e.amount().amount_minor(), remaining,
                   e.has_expire_time() ? PgTime(e.expire_time()) : std::string(),
                   e.balance_after().amount_minor(), e.reason(), e.actor(), e.idempotency_key(),
                   reverses_id, PgTime(e.create_time()));
}

void WalletStore::Consume(pqxx::transaction_base& tx, const std::string& debit_id,
                          const std::vector<std::pair<std::string, int64_t>>& allocations) {
  for (const auto& [credit_id, amount] : allocations) {
    tx.exec_prepared(kConsume.name, debit_id, credit_id, amount);
  }
}

int64_t WalletStore::Restore(pqxx::transaction_base& tx, const std::string& debit_id) {
  return tx.exec_prepared1(kRestore.name, debit_id)[0].as<int64_t>();
}

void WalletStore::Exhaust(pqxx::transaction_base& tx, const std::string& credit_id) {
  tx.exec_prepared(kExhaust.name, credit_id);
}

std::optional<std::string> WalletStore::ReversalOf(pqxx::transaction_base& tx,
                                                   const std::string& debit_id) {
  pqxx::result r = tx.exec_prepared(kReversalOf.name, debit_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void WalletStore::RetireKey(pqxx::transaction_base& tx, const std::string& debit_id,
                            const std::string& reversal_id) {
  tx.exec_prepared(kRetireKey.name, debit_id, reversal_id);
}

std::vector<std::pair<int64_t, v1::WalletEntry>> WalletStore::Entries(
    pqxx::transaction_base& tx, absl::string_view currency, const std::string& customer_id,
    const std::optional<KeysetCursor>& after, int limit) {
  const std::string sql = absl::StrCat(
      "SELECT ", kEntryCols, " FROM wallet_entries WHERE customer_id = $1::uuid",
      after.has_value() ? " AND seq < $3::bigint" : "", " ORDER BY seq DESC LIMIT $2::int");
  std::vector<std::string> params = {customer_id, absl::StrCat(limit + 1)};
  if (after.has_value()) params.push_back(absl::StrCat(after->sort_value));
  std::vector<std::pair<int64_t, v1::WalletEntry>> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.emplace_back(r[9].as<int64_t>(), ParseEntry(r, currency));
  }
  return out;
}

std::vector<std::string> WalletStore::CustomersWithDueCredits(pqxx::transaction_base& tx,
                                                              absl::Time now, int limit) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec_prepared(kDue.name, PgTime(now), limit)) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

}  // namespace store::customer
