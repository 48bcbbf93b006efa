// SQL of segments (CUS-08) and their live membership (CUS-17). Rules are
// compiled by domain/segment_rule.h into a parameterised condition over
// `customers c`; nothing of a rule's text is ever part of the SQL.
#ifndef STORE_SERVICES_CUSTOMER_STORE_SEGMENT_STORE_H_
#define STORE_SERVICES_CUSTOMER_STORE_SEGMENT_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/customer/store/segment_sql.h"
#include "store/customer/v1/customer.pb.h"

namespace store::customer {

class SegmentStore {
 public:
  // The rule compiled for now, with the store's custom fields and currency.
  static absl::StatusOr<CompiledSegment> Compile(pqxx::transaction_base& tx,
                                                 absl::string_view currency,
                                                 const std::string& rule, absl::Time now,
                                                 int first_param = 1);

  static std::optional<v1::Segment> Load(pqxx::transaction_base& tx, const std::string& id);
  static std::vector<v1::Segment> List(pqxx::transaction_base& tx);
  // False when the name is taken.
  static bool Insert(pqxx::transaction_base& tx, const v1::Segment& segment, absl::Time now);
  static bool Update(pqxx::transaction_base& tx, const v1::Segment& segment, absl::Time now);
  static bool Delete(pqxx::transaction_base& tx, const std::string& id);

  static int64_t Count(pqxx::transaction_base& tx, const CompiledSegment& compiled);

  // Live membership. Re-evaluates every saved segment for `customer_ids`
  // (after their profile or facts changed), writes joins and leaves, and
  // publishes SegmentMembershipChanged for each.
  static absl::Status RefreshFor(pqxx::transaction_base& tx, absl::string_view currency,
                                 const std::vector<std::string>& customer_ids, absl::Time now);
  // Re-evaluates one segment over every customer (new or edited rule, or
  // time passing). `publish` = false fills it silently (a new segment).
  // Returns the number of joins + leaves.
  static absl::StatusOr<int64_t> RefreshAll(pqxx::transaction_base& tx, absl::string_view currency,
                                            const v1::Segment& segment, absl::Time now,
                                            bool publish);
  // Names of the segments whose rule uses custom field `key`.
  static std::vector<std::string> SegmentsUsingField(pqxx::transaction_base& tx,
                                                     const std::string& key);
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_SEGMENT_STORE_H_
