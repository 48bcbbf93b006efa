// The SQL of store-credit debits waiting for their order
// (pending_wallet_debits, migrations/0006_pending_wallet_debits.sql). Every
// function runs inside the caller's transaction.
#ifndef STORE_SERVICES_ORDER_STORE_WALLET_DEBIT_STORE_H_
#define STORE_SERVICES_ORDER_STORE_WALLET_DEBIT_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "absl/time/time.h"

namespace store::order {

struct PendingDebit {
  std::string request_id;
  std::string customer_id;
  absl::Time created_at;
  int attempts = 0;
};

class WalletDebitStore {
 public:
  // Notes that the debit keyed `request_id` is about to be asked for (a
  // retry of the same placement restarts the wait).
  static void Remember(pqxx::transaction_base& tx, const std::string& request_id,
                       const std::string& customer_id, absl::Time now);
  // Removes the note: the order was stored, or the debit given back. False
  // when there was none (the job already gave the debit back).
  static bool Settle(pqxx::transaction_base& tx, const std::string& request_id);
  // The oldest note made before `before` that no other transaction holds,
  // locked until commit.
  static std::optional<PendingDebit> LockOldest(pqxx::transaction_base& tx, absl::Time before);
  // A failed attempt to give it back: counted, and the wait starts again at
  // `until`.
  static void Postpone(pqxx::transaction_base& tx, const std::string& request_id, absl::Time until,
                       const std::string& error);
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_STORE_WALLET_DEBIT_STORE_H_
