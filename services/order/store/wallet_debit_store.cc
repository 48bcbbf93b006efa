#include "services/order/store/wallet_debit_store.h"

#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::order {
namespace {

const pg::Statement kRemember(
    "wallet_debit_remember",
    "INSERT INTO pending_wallet_debits (request_id, customer_id, created_at)"
    " VALUES ($1::uuid, $2::uuid, $3::timestamptz)"
    " ON CONFLICT (request_id) DO UPDATE SET created_at = EXCLUDED.created_at");
const pg::Statement kSettle("wallet_debit_settle",
                            "DELETE FROM pending_wallet_debits WHERE request_id = $1::uuid"
                            " RETURNING 1");
const pg::Statement kLockOldest(
    "wallet_debit_lock_oldest",
    "SELECT request_id::text, customer_id::text, " STORE_PG_MICROS("created_at") ", attempts"
    " FROM pending_wallet_debits"
    " WHERE created_at < $1::timestamptz ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED");
const pg::Statement kPostpone(
    "wallet_debit_postpone",
    "UPDATE pending_wallet_debits SET created_at = $2::timestamptz, attempts = attempts + 1,"
    " last_error = $3 WHERE request_id = $1::uuid");

}  // namespace

void WalletDebitStore::Remember(pqxx::transaction_base& tx, const std::string& request_id,
                                const std::string& customer_id, absl::Time now) {
  tx.exec_prepared0(kRemember.name, request_id, customer_id, pg::PgTime(now));
}

bool WalletDebitStore::Settle(pqxx::transaction_base& tx, const std::string& request_id) {
  return !tx.exec_prepared(kSettle.name, request_id).empty();
}

std::optional<PendingDebit> WalletDebitStore::LockOldest(pqxx::transaction_base& tx,
                                                         absl::Time before) {
  pqxx::result r = tx.exec_prepared(kLockOldest.name, pg::PgTime(before));
  if (r.empty()) return std::nullopt;
  return PendingDebit{.request_id = r[0][0].as<std::string>(),
                      .customer_id = r[0][1].as<std::string>(),
                      .created_at = absl::FromUnixMicros(r[0][2].as<int64_t>()),
                      .attempts = r[0][3].as<int>()};
}

void WalletDebitStore::Postpone(pqxx::transaction_base& tx, const std::string& request_id,
                                absl::Time until, const std::string& error) {
  tx.exec_prepared0(kPostpone.name, request_id, pg::PgTime(until), error);
}

}  // namespace store::order
