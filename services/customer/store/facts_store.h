// SQL of purchase facts (CUS-09): the latest snapshot of each order a
// customer placed (customer_orders), and the facts on the customer row
// recomputed from them, so redelivered or reordered events change nothing.
#ifndef STORE_SERVICES_CUSTOMER_STORE_FACTS_STORE_H_
#define STORE_SERVICES_CUSTOMER_STORE_FACTS_STORE_H_

#include <string>

#include <pqxx/pqxx>

#include "absl/time/time.h"

namespace store::customer {

struct OrderFact {
  std::string order_id;
  std::string customer_id;
  bool counts = true;  // not cancelled / rejected
  int64_t total_minor = 0;
  int64_t refunded_minor = 0;
  absl::Time placed_at;
  int64_t order_version = 0;
};

class FactsStore {
 public:
  // Keeps the fact when `fact.order_version` is newer than the stored one.
  // True when something was written.
  static bool Upsert(pqxx::transaction_base& tx, const OrderFact& fact);
  // Recomputes orders_count, total_spent, first/last order time of the
  // customer; true when they changed.
  static bool Recompute(pqxx::transaction_base& tx, const std::string& customer_id);
  // Moves the facts of one customer to another (a guest merged into an account).
  static void Reassign(pqxx::transaction_base& tx, const std::string& from, const std::string& to);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_FACTS_STORE_H_
