// The order service's schema migrations (services/order/migrations/*.sql,
// compiled into the binary).
#ifndef STORE_SERVICES_ORDER_MIGRATIONS_H_
#define STORE_SERVICES_ORDER_MIGRATIONS_H_

#include <vector>

#include "libs/pg/migrate.h"

namespace store {
const std::vector<pg::Migration>& OrderMigrations();
}  // namespace store

#endif  // STORE_SERVICES_ORDER_MIGRATIONS_H_
