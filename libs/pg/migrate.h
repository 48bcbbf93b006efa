// Forward-only schema migrations. Each migration is a named SQL script
// ("0001_orders.sql") applied once, in name order, in its own transaction,
// and recorded in `schema_migrations` with a checksum. Editing a migration
// that was already applied is an error: add a new one instead. Concurrent
// runners (several replicas starting at once) serialise on an advisory lock.
#ifndef STORE_LIBS_PG_MIGRATE_H_
#define STORE_LIBS_PG_MIGRATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace store::pg {

struct Migration {
  std::string name;  // file name, e.g. "0001_orders.sql"
  std::string sql;
};

// A named list of migrations (a service's, or a library's such as the
// events outbox/inbox). Component names keep equal file names apart.
struct MigrationSet {
  std::string component;  // "events", "order"
  const std::vector<Migration>* migrations;
};

// Applies what is missing; returns the names applied by this call.
absl::StatusOr<std::vector<std::string>> Migrate(const std::string& url,
                                                 const std::vector<MigrationSet>& sets);

}  // namespace store::pg

#endif  // STORE_LIBS_PG_MIGRATE_H_
