// The newsletter service's schema migrations (services/newsletter/migrations,
// compiled into the binary).
#ifndef STORE_SERVICES_NEWSLETTER_MIGRATIONS_H_
#define STORE_SERVICES_NEWSLETTER_MIGRATIONS_H_

#include <vector>

#include "libs/pg/migrate.h"

namespace store {
const std::vector<pg::Migration>& NewsletterMigrations();
}  // namespace store

#endif  // STORE_SERVICES_NEWSLETTER_MIGRATIONS_H_
