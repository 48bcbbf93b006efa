// SQL of purchase facts (CUS-09): the latest snapshot of each order a
// customer placed (customer_orders), and the facts on the customer row
// recomputed from them, so redelivered or reordered events change nothing.
#ifndef STORE_SERVICES_CUSTOMER_STORE_FACTS_STORE_H_
#define STORE_SERVICES_CUSTOMER_STORE_FACTS_STORE_H_

#include <optional>
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
  // The stored fact of an order (locked), if any.
  static std::optional<OrderFact> Find(pqxx::transaction_base& tx, const std::string& order_id);
  static void Upsert(pqxx::transaction_base& tx, const OrderFact& fact);
  // Adds to the customer's facts what some orders' changes add: `orders`
  // and `spent` (may be negative), and the earliest and latest placing of
  // the orders that now count (none when none does). O(1), however many
  // orders the customer has.
  static bool Apply(pqxx::transaction_base& tx, const std::string& customer_id, int64_t orders,
                    int64_t spent, std::optional<absl::Time> first_order,
                    std::optional<absl::Time> last_order, absl::Time now);
  // Both bump the customer's version.
  // Recomputes orders_count, total_spent, first/last order time of the
  // customer; true when they changed.
  static bool Recompute(pqxx::transaction_base& tx, const std::string& customer_id,
                        absl::Time now);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_FACTS_STORE_H_
