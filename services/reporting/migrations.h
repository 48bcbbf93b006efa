// The reporting service's schema migrations (services/reporting/migrations,
// compiled into the binary).
#ifndef STORE_SERVICES_REPORTING_MIGRATIONS_H_
#define STORE_SERVICES_REPORTING_MIGRATIONS_H_

#include <vector>

#include "libs/pg/migrate.h"

namespace store {
const std::vector<pg::Migration>& ReportingMigrations();
}  // namespace store

#endif  // STORE_SERVICES_REPORTING_MIGRATIONS_H_
