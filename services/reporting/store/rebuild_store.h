// The SQL of a rebuild (REP-07): the shadow copies of the read-model tables
// in schema reporting_shadow, their comparison with the live ones, the swap,
// and the rebuild records. Every function runs in the caller's transaction.
#ifndef STORE_SERVICES_REPORTING_STORE_REBUILD_STORE_H_
#define STORE_SERVICES_REPORTING_STORE_REBUILD_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "store/reporting/v1/reporting_service.pb.h"

namespace store::reporting {

class RebuildStore {
 public:
  // Where the shadow tables are.
  static constexpr char kShadowSchema[] = "reporting_shadow";

  // The read-model tables a replay rebuilds (not the settings or the
  // rebuild records).
  static const std::vector<std::string>& Tables();

  // Drops any old shadow and creates the empty shadow tables, like the live
  // ones (columns, defaults, indexes under the same names).
  static void CreateShadow(pqxx::transaction_base& tx);
  static std::vector<v1::TableComparison> Compare(pqxx::transaction_base& tx);
  // The shadow tables become the live ones and the old live ones are
  // dropped, atomically with `tx`'s commit.
  static void Swap(pqxx::transaction_base& tx);

  static void Save(pqxx::transaction_base& tx, const v1::Rebuild& rebuild);
  // By id, or the newest for "latest".
  static std::optional<v1::Rebuild> Load(pqxx::transaction_base& tx, const std::string& id);
  // Rebuilds REPLAYING or CATCHING_UP whose runner was (`stale`) or was not
  // silent for `silent_for`.
  static std::vector<v1::Rebuild> Unfinished(pqxx::transaction_base& tx, absl::Duration silent_for,
                                             bool stale);
  // The inbox rows of the replay's consumer groups (names starting with
  // `prefix`), once it is over.
  static void ForgetInbox(pqxx::transaction_base& tx, const std::string& prefix);
};

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_STORE_REBUILD_STORE_H_
