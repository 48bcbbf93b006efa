#include "libs/pg/migrate.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/core/log.h"
#include "libs/pg/pool.h"

namespace store::pg {
namespace {

// Arbitrary constant identifying the migration lock.
constexpr int64_t kMigrationLockKey = 0x53544f52454d4947;  // "STOREMIG"

std::string Checksum(const std::string& text) {
  // FNV-1a 64: enough to notice an edited file.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", h);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Migrate(const std::string& url,
                                                 const std::vector<MigrationSet>& sets) {
  std::vector<std::string> applied;
  try {
    pqxx::connection conn(url);
    {
      pqxx::nontransaction tx(conn);
      tx.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
      tx.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          "  version text PRIMARY KEY,"
          "  checksum text NOT NULL,"
          "  applied_at timestamptz NOT NULL DEFAULT now())");
    }
    for (const MigrationSet& set : sets) {
      for (const Migration& m : *set.migrations) {
        const std::string version = absl::StrCat(set.component, "/", m.name);
        const std::string sum = Checksum(m.sql);
        pqxx::work tx(conn);
        pqxx::result r =
            tx.exec_params("SELECT checksum FROM schema_migrations WHERE version = $1", version);
        if (!r.empty()) {
          if (r[0][0].as<std::string>() != sum) {
            return absl::FailedPreconditionError(absl::StrCat(
                "migration ", version,
                " was changed after it was applied; migrations are forward-only: restore the "
                "file and add a new migration"));
          }
          continue;
        }
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                       version, sum);
        tx.commit();
        applied.push_back(version);
        log::Info("migration applied", {{"version", version}});
      }
    }
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
  } catch (const std::exception& e) {
    log::Error("migration failed", {{"error", e.what()}});
    return absl::InternalError(absl::StrCat("migration failed: ", e.what()));
  }
  return applied;
}

}  // namespace store::pg
