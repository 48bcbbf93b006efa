// The customer service's schema migrations (services/customer/migrations/*.sql,
// compiled into the binary).
#ifndef STORE_SERVICES_CUSTOMER_MIGRATIONS_H_
#define STORE_SERVICES_CUSTOMER_MIGRATIONS_H_

#include <vector>

#include "libs/pg/migrate.h"

namespace store {
const std::vector<pg::Migration>& CustomerMigrations();
}  // namespace store

#endif  // STORE_SERVICES_CUSTOMER_MIGRATIONS_H_
