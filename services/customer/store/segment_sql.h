// CompileSegmentRule: a segment rule (services/customer/domain/segment_rule.h,
// the language) type-checked against the store's fields and compiled to a
// parameterised SQL condition over the customers table (alias c). No I/O:
// the caller runs the SQL (store/segment_store.cc).
#ifndef STORE_SERVICES_CUSTOMER_STORE_SEGMENT_SQL_H_
#define STORE_SERVICES_CUSTOMER_STORE_SEGMENT_SQL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/customer/domain/segment_rule.h"

namespace store::customer {

struct SegmentContext {
  absl::Time now;             // what TODAY, NOW and "ago" are relative to
  int currency_exponent = 2;  // of the store currency (0 for JPY); 0..4
  std::vector<CustomFieldDef> custom_fields;
  int first_param = 1;  // the first placeholder number to use ($1), 1..65535
};

struct CompiledSegment {
  // A boolean SQL expression over the alias c, with placeholders only, e.g.
  // "(c.total_spent > $1::bigint)".
  std::string where_sql;
  // Parameter values in placeholder order ($first_param first), as text; the
  // casts are in the SQL. Times are RFC 3339 in UTC ("2026-11-22T10:00:00Z"),
  // dates YYYY-MM-DD, money in minor units.
  std::vector<std::string> params;
};

// Parses and type-checks `rule` and compiles it. Errors are INVALID_ARGUMENT
// as described above; a bad `ctx` (exponent outside 0..4, first_param
// outside 1..65535, now not finite) is INVALID_ARGUMENT without position.
absl::StatusOr<CompiledSegment> CompileSegmentRule(absl::string_view rule,
                                                   const SegmentContext& ctx);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_SEGMENT_SQL_H_
