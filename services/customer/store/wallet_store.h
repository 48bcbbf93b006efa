// SQL of the wallet ledger (CUS-10). Callers lock the customer row first
// (CustomerStore::Load with for_update), which serialises every movement of
// one wallet; credits keep what is left of them, debits record which credits
// they consumed, so a reversal gives exactly those back.
#ifndef STORE_SERVICES_CUSTOMER_STORE_WALLET_STORE_H_
#define STORE_SERVICES_CUSTOMER_STORE_WALLET_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "libs/core/paging.h"
#include "services/customer/domain/customer_rules.h"
#include "store/customer/v1/customer.pb.h"

namespace store::customer {

class WalletStore {
 public:
  static int64_t Balance(pqxx::transaction_base& tx, const std::string& customer_id);
  static std::optional<v1::WalletEntry> FindByKey(pqxx::transaction_base& tx,
                                                  absl::string_view currency,
                                                  const std::string& customer_id,
                                                  v1::WalletEntryKind kind, const std::string& key);
  // Credits with something left (locked).
  static std::vector<WalletCredit> OpenCredits(pqxx::transaction_base& tx,
                                               const std::string& customer_id);
  // Appends an entry and sets customers.wallet_balance to its balance_after.
  static void Append(pqxx::transaction_base& tx, const std::string& customer_id,
                     const v1::WalletEntry& entry, int64_t remaining,
                     const std::string& reverses_id);
  static void Consume(pqxx::transaction_base& tx, const std::string& debit_id,
                      const std::vector<std::pair<std::string, int64_t>>& allocations);
  // Gives back what `debit_id` consumed to its credits; returns the total.
  static int64_t Restore(pqxx::transaction_base& tx, const std::string& debit_id);
  // Sets remaining = 0 on a credit.
  static void Exhaust(pqxx::transaction_base& tx, const std::string& credit_id);
  // The reversal of `debit_id`, if it was reversed.
  static std::optional<std::string> ReversalOf(pqxx::transaction_base& tx,
                                               const std::string& debit_id);
  // Moves a reversed debit and its reversal off their idempotency key (to
  // "<key>#<debit id>"), so the key can pay again.
  static void RetireKey(pqxx::transaction_base& tx, const std::string& debit_id,
                        const std::string& reversal_id);
  // Newest first, each with its ledger sequence number (the page cursor).
  static std::vector<std::pair<int64_t, v1::WalletEntry>> Entries(
      pqxx::transaction_base& tx, absl::string_view currency, const std::string& customer_id,
      const std::optional<KeysetCursor>& after, int limit);
  // Customers holding credits that expired at `now` with something left.
  static std::vector<std::string> CustomersWithDueCredits(pqxx::transaction_base& tx,
                                                          absl::Time now, int limit);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_WALLET_STORE_H_
