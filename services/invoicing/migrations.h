// The invoicing service's schema migrations (services/invoicing/migrations,
// compiled into the binary).
#ifndef STORE_SERVICES_INVOICING_MIGRATIONS_H_
#define STORE_SERVICES_INVOICING_MIGRATIONS_H_

#include <vector>

#include "libs/pg/migrate.h"

namespace store {
const std::vector<pg::Migration>& InvoicingMigrations();
}  // namespace store

#endif  // STORE_SERVICES_INVOICING_MIGRATIONS_H_
