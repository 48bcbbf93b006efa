#include "services/customer/store/facts_store.h"

#include "libs/pg/pool.h"
#include "services/customer/store/customer_store.h"

namespace store::customer {
namespace {

const pg::Statement kFind(
    "facts_find",
    "SELECT customer_id::text, counts, total_minor, refunded_minor,"
    " (extract(epoch FROM placed_at) * 1000000)::bigint, order_version FROM customer_orders"
    " WHERE order_id = $1::uuid FOR UPDATE");
const pg::Statement kApply("facts_apply",
                           "UPDATE customers SET orders_count = orders_count + $2::int,"
                           " total_spent = total_spent + $3::bigint,"
                           " first_order_at = CASE WHEN $4 = '' THEN first_order_at"
                           "  ELSE least(first_order_at, $4::timestamptz) END,"
                           " last_order_at = CASE WHEN $6 = '' THEN last_order_at"
                           "  ELSE greatest(last_order_at, $6::timestamptz) END,"
                           " version = version + 1, updated_at = $5::timestamptz"
                           " WHERE id = $1::uuid RETURNING id");
const pg::Statement kUpsert(
    "facts_upsert",
    "INSERT INTO customer_orders (order_id, customer_id, counts, total_minor, refunded_minor,"
    " placed_at, order_version) VALUES ($1::uuid, $2::uuid, $3::boolean, $4::bigint, $5::bigint,"
    " $6::timestamptz, $7::bigint)"
    " ON CONFLICT (order_id) DO UPDATE SET counts = EXCLUDED.counts,"
    " total_minor = EXCLUDED.total_minor, refunded_minor = EXCLUDED.refunded_minor,"
    " order_version = EXCLUDED.order_version");
const pg::Statement kRecompute(
    "facts_recompute",
    "WITH f AS (SELECT count(*) FILTER (WHERE counts) AS n,"
    "  coalesce(sum(total_minor - refunded_minor) FILTER (WHERE counts), 0)::bigint AS spent,"
    "  min(placed_at) FILTER (WHERE counts) AS first_at,"
    "  max(placed_at) FILTER (WHERE counts) AS last_at"
    "  FROM customer_orders WHERE customer_id = $1::uuid)"
    " UPDATE customers c SET orders_count = f.n, total_spent = f.spent,"
    "  first_order_at = f.first_at, last_order_at = f.last_at, version = c.version + 1,"
    "  updated_at = $2::timestamptz FROM f"
    " WHERE c.id = $1::uuid AND (c.orders_count, c.total_spent, c.first_order_at, c.last_order_at)"
    "  IS DISTINCT FROM (f.n::int, f.spent, f.first_at, f.last_at) RETURNING c.id");

}  // namespace

std::optional<OrderFact> FactsStore::Find(pqxx::transaction_base& tx,
                                          const std::string& order_id) {
  pqxx::result r = tx.exec_prepared(kFind.name, order_id);
  if (r.empty()) return std::nullopt;
  OrderFact f;
  f.order_id = order_id;
  f.customer_id = r[0][0].as<std::string>();
  f.counts = r[0][1].as<bool>();
  f.total_minor = r[0][2].as<int64_t>();
  f.refunded_minor = r[0][3].as<int64_t>();
  f.placed_at = absl::FromUnixMicros(r[0][4].as<int64_t>());
  f.order_version = r[0][5].as<int64_t>();
  return f;
}

void FactsStore::Upsert(pqxx::transaction_base& tx, const OrderFact& f) {
  tx.exec_prepared(kUpsert.name, f.order_id, f.customer_id, f.counts, f.total_minor,
                   f.refunded_minor, PgTime(f.placed_at), f.order_version);
}

bool FactsStore::Apply(pqxx::transaction_base& tx, const std::string& customer_id, int64_t orders,
                       int64_t spent, std::optional<absl::Time> first_order,
                       std::optional<absl::Time> last_order, absl::Time now) {
  auto time_or_empty = [](const std::optional<absl::Time>& t) {
    return t.has_value() ? PgTime(*t) : std::string();
  };
  return !tx.exec_prepared(kApply.name, customer_id, orders, spent, time_or_empty(first_order),
                           PgTime(now), time_or_empty(last_order))
              .empty();
}

bool FactsStore::Recompute(pqxx::transaction_base& tx, const std::string& customer_id,
                           absl::Time now) {
  return !tx.exec_prepared(kRecompute.name, customer_id, PgTime(now)).empty();
}


}  // namespace store::customer
