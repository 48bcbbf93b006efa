#include "libs/testing/test_database.h"

#include <cstdlib>
#include <mutex>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "libs/core/ids.h"

namespace store::testing {
namespace {

std::string TemplateName(const std::vector<pg::MigrationSet>& sets) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& set : sets) {
    for (const auto& m : *set.migrations) {
      for (unsigned char c : set.component + m.name + m.sql) {
        h ^= c;
        h *= 1099511628211ull;
      }
    }
  }
  return absl::StrFormat("tmpl_%016x", h);
}

}  // namespace

absl::StatusOr<std::string> TestPgAdminUrl() {
  const char* url = std::getenv("STORE_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    return absl::FailedPreconditionError(
        "STORE_TEST_PG_URL is not set: run the tests with `tools/dev test`, which starts a "
        "throwaway PostgreSQL and sets it");
  }
  return std::string(url);
}

std::string WithDatabase(const std::string& url, const std::string& dbname) {
  // postgresql://user@host:port/dbname?params
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t query = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string params = query == std::string::npos ? "" : url.substr(query);
  return absl::StrCat(base, "/", dbname, params);
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    const std::vector<pg::MigrationSet>& migrations) {
  absl::StatusOr<std::string> admin = TestPgAdminUrl();
  if (!admin.ok()) return admin.status();
  const std::string tmpl = TemplateName(migrations);
  static std::mutex mu;
  static absl::flat_hash_set<std::string>* ready = new absl::flat_hash_set<std::string>();
  try {
    pqxx::connection conn(*admin);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!ready->contains(tmpl)) {
        // Serialise template creation across test processes.
        pqxx::nontransaction tx(conn);
        tx.exec("SELECT pg_advisory_lock(774411)");
        bool exists =
            !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", tmpl).empty();
        if (!exists) {
          const std::string building = tmpl + "_building";
          tx.exec(absl::StrCat("DROP DATABASE IF EXISTS ", building, " WITH (FORCE)"));
          tx.exec(absl::StrCat("CREATE DATABASE ", building));
          absl::StatusOr<std::vector<std::string>> applied =
              pg::Migrate(WithDatabase(*admin, building), migrations);
          if (!applied.ok()) {
            tx.exec("SELECT pg_advisory_unlock(774411)");
            return applied.status();
          }
          tx.exec(absl::StrCat("ALTER DATABASE ", building, " RENAME TO ", tmpl));
        }
        tx.exec("SELECT pg_advisory_unlock(774411)");
        ready->insert(tmpl);
      }
    }
    const std::string name = absl::StrCat("t_", absl::StrReplaceAll(NewUuid(), {{"-", ""}}));
    for (int attempt = 0;; ++attempt) {
      try {
        pqxx::nontransaction tx(conn);
        tx.exec(absl::StrCat("CREATE DATABASE ", name, " TEMPLATE ", tmpl));
        break;
      } catch (const pqxx::sql_error& e) {
        // "source database is being accessed by other users": retry briefly.
        if (attempt >= 50) throw;
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    return std::unique_ptr<TestDatabase>(
        new TestDatabase(*admin, name, WithDatabase(*admin, name)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("test database: ", e.what()));
  }
}

pqxx::result TestDatabase::Query(const std::string& sql) const {
  pqxx::connection conn(url_);
  pqxx::nontransaction tx(conn);
  return tx.exec(sql);
}

int64_t TestDatabase::Count(const std::string& sql) const {
  pqxx::result r = Query(sql);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection conn(admin_url_);
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  } catch (const std::exception&) {
    // The throwaway cluster is deleted at the end of the run anyway.
  }
}

}  // namespace store::testing
