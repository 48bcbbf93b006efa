// PgFixture: a fresh PostgreSQL database per test, with migrations applied,
// on the throwaway cluster `tools/dev test` starts (STORE_TEST_PG_URL, a
// superuser URL). Databases are cloned from a template that is migrated once
// per migration set, so a fresh database costs one CREATE DATABASE.
#ifndef STORE_LIBS_TESTING_TEST_DATABASE_H_
#define STORE_LIBS_TESTING_TEST_DATABASE_H_

#include <cstdint>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/migrate.h"

namespace store::testing {

class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      const std::vector<pg::MigrationSet>& migrations);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // One statement on a connection of its own (autocommit): the rows, or the
  // first column of the one row as a number.
  pqxx::result Query(const std::string& sql) const;
  int64_t Count(const std::string& sql) const;

 private:
  TestDatabase(std::string admin_url, std::string name, std::string url)
      : admin_url_(std::move(admin_url)), name_(std::move(name)), url_(std::move(url)) {}
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// The admin URL from STORE_TEST_PG_URL, or an error explaining how to run.
absl::StatusOr<std::string> TestPgAdminUrl();

// `url` with its database name replaced by `dbname`.
std::string WithDatabase(const std::string& url, const std::string& dbname);

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_TEST_DATABASE_H_
