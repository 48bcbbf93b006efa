// The SQL of the store settings (ORD-15): the order_settings row and the
// order number counter. Runs inside the caller's transaction.
#ifndef STORE_SERVICES_ORDER_STORE_SETTINGS_STORE_H_
#define STORE_SERVICES_ORDER_STORE_SETTINGS_STORE_H_

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "store/order/v1/cart.pb.h"

namespace store::order {

class SettingsStore {
 public:
  // The saved settings (the defaults when none were saved) with the next
  // order number as order_number_start.
  static v1::OrderSettings Load(pqxx::transaction_base& tx);
  // The settings of a stored body column (the defaults when NULL or
  // unreadable), without order_number_start: for statements that read the
  // settings along with something else.
  static v1::OrderSettings FromBody(const pqxx::field& body);
  // Saves every setting but order_number_start.
  static void Save(pqxx::transaction_base& tx, const v1::OrderSettings& settings, absl::Time at);
  // Makes `start` the next order number. False (nothing changed) unless it
  // is above every number given so far; locks the counter until commit.
  static bool SetNextOrderNumber(pqxx::transaction_base& tx, int64_t start);
  // The highest order number given so far (0 when none).
  static int64_t LastOrderNumber(pqxx::transaction_base& tx);
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_STORE_SETTINGS_STORE_H_
