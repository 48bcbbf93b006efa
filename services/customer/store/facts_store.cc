#include "services/customer/store/facts_store.h"

#include "libs/pg/pool.h"
#include "services/customer/store/customer_store.h"

namespace store::customer {
namespace {

const pg::Statement kUpsert(
    "facts_upsert",
    "INSERT INTO customer_orders (order_id, customer_id, counts, total_minor, refunded_minor,"
    " placed_at, order_version) VALUES ($1::uuid, $2::uuid, $3::boolean, $4::bigint, $5::bigint,"
    " $6::timestamptz, $7::bigint)"
    " ON CONFLICT (order_id) DO UPDATE SET counts = EXCLUDED.counts,"
    " total_minor = EXCLUDED.total_minor, refunded_minor = EXCLUDED.refunded_minor,"
    " order_version = EXCLUDED.order_version"
    " WHERE customer_orders.order_version < EXCLUDED.order_version RETURNING order_id");
const pg::Statement kRecompute(
    "facts_recompute",
    "WITH f AS (SELECT count(*) FILTER (WHERE counts) AS n,"
    "  coalesce(sum(total_minor - refunded_minor) FILTER (WHERE counts), 0)::bigint AS spent,"
    "  min(placed_at) FILTER (WHERE counts) AS first_at,"
    "  max(placed_at) FILTER (WHERE counts) AS last_at"
    "  FROM customer_orders WHERE customer_id = $1::uuid)"
    " UPDATE customers c SET orders_count = f.n, total_spent = f.spent,"
    "  first_order_at = f.first_at, last_order_at = f.last_at FROM f"
    " WHERE c.id = $1::uuid AND (c.orders_count, c.total_spent, c.first_order_at, c.last_order_at)"
    "  IS DISTINCT FROM (f.n::int, f.spent, f.first_at, f.last_at) RETURNING c.id");
const pg::Statement kReassign(
    "facts_reassign",
    "UPDATE customer_orders SET customer_id = $2::uuid WHERE customer_id = $1::uuid");

}  // namespace

bool FactsStore::Upsert(pqxx::transaction_base& tx, const OrderFact& f) {
  return !tx.exec_prepared(kUpsert.name, f.order_id, f.customer_id, f.counts, f.total_minor,
                           f.refunded_minor, PgTime(f.placed_at), f.order_version)
              .empty();
}

bool FactsStore::Recompute(pqxx::transaction_base& tx, const std::string& customer_id) {
  return !tx.exec_prepared(kRecompute.name, customer_id).empty();
}

void FactsStore::Reassign(pqxx::transaction_base& tx, const std::string& from,
                          const std::string& to) {
  tx.exec_prepared(kReassign.name, from, to);
}

}  // namespace store::customer
