// SQL of erasure (CUS-13): anonymising a customer here, and the
// proof-of-erasure record (ids and hashes only, never the erased data).
#ifndef STORE_SERVICES_CUSTOMER_STORE_ERASURE_STORE_H_
#define STORE_SERVICES_CUSTOMER_STORE_ERASURE_STORE_H_

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "store/customer/v1/customer.pb.h"

namespace store::customer {

class ErasureStore {
 public:
  // Replaces the customer's personal data (email → erased+<id>@invalid,
  // name, phone, country, custom values, password, consent states) and
  // deletes their addresses, notes, consent ledger, tokens and the outbox
  // rows about them, sent or not (nobody needs a change of an erased
  // customer, and they hold the data; CustomerErased is written after). Returns a
  // summary and the number of records touched.
  static std::pair<std::string, int64_t> Anonymise(pqxx::transaction_base& tx,
                                                   const std::string& customer_id, absl::Time now);
  static void Insert(pqxx::transaction_base& tx, const v1::ErasureRecord& record);
  // False when the step was recorded before.
  static bool InsertStep(pqxx::transaction_base& tx, const std::string& erasure_id,
                         const v1::ErasureStep& step);
  static std::optional<v1::ErasureRecord> Load(pqxx::transaction_base& tx, const std::string& id);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_ERASURE_STORE_H_
