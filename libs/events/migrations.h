// The outbox and inbox tables, applied by every service that publishes or
// consumes events (component "events" in schema_migrations).
#ifndef STORE_LIBS_EVENTS_MIGRATIONS_H_
#define STORE_LIBS_EVENTS_MIGRATIONS_H_

#include <vector>

#include "libs/pg/migrate.h"

namespace store {
const std::vector<pg::Migration>& EventsMigrations();
}  // namespace store

#endif  // STORE_LIBS_EVENTS_MIGRATIONS_H_
