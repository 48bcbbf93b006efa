#include "services/reporting/store/report_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/time_util.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::reporting {
namespace {

using google::protobuf::util::TimeUtil;
using pg::PgTime;

// An optional instant as a parameter: its text, or "" for NULL (the SQL
// says NULLIF($n, '')::timestamptz).
std::string OptTime(const std::optional<absl::Time>& t) { return t ? PgTime(*t) : std::string(); }

std::optional<absl::Time> TimeColumn(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

std::string Starts(const Window& w) {
  std::vector<std::string> starts;
  starts.reserve(w.bucket_starts.size());
  for (absl::Time t : w.bucket_starts) starts.push_back(PgTime(t));
  return pg::TextArray(starts);
}

// Orders that count in the window: $1 currency, $2 start, $3 end.
#define COUNTED_IN_WINDOW \
  " o.currency = $1 AND o.counted_at >= $2::timestamptz AND o.counted_at < $3::timestamptz"
// Refunds in the window of orders that count at all.
#define REFUNDED_IN_WINDOW                                                             \
  " o.currency = $1 AND o.counted_at IS NOT NULL AND r.refunded_at >= $2::timestamptz" \
  " AND r.refunded_at < $3::timestamptz"

const pg::Statement kLockOrder(
    "report_lock_order",
    "SELECT version, " STORE_PG_MICROS("paid_at") ", " STORE_PG_MICROS("counted_at")
    ", currency, status, payment_method, delivery_method, units, gross, discount, shipping, tax,"
    " lines_digest FROM report_orders WHERE order_id = $1::uuid FOR UPDATE");
const pg::Statement kRefundsOf(
    "report_refunds_of",
    "SELECT " STORE_PG_MICROS(
        "refunded_at") ", amount FROM report_refunds WHERE order_id = $1::uuid");
const pg::Statement kAddToDay(
    "report_add_to_day",
    "INSERT INTO report_days (currency, day, status, payment_method, delivery_method, orders,"
    " units, gross, discount, shipping, tax, returns) VALUES ($1, $2::date, $3, $4, $5,"
    " $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint, $12::bigint)"
    " ON CONFLICT (currency, day, status, payment_method, delivery_method) DO UPDATE SET"
    " orders = report_days.orders + excluded.orders, units = report_days.units + excluded.units,"
    " gross = report_days.gross + excluded.gross,"
    " discount = report_days.discount + excluded.discount,"
    " shipping = report_days.shipping + excluded.shipping, tax = report_days.tax + excluded.tax,"
    " returns = report_days.returns + excluded.returns");
// A row that a subtraction brought to zero goes, so the kept rows are
// exactly what RecomputeDays gives.
const pg::Statement kDropEmptyDay(
    "report_drop_empty_day",
    "DELETE FROM report_days WHERE currency = $1 AND day = $2::date AND status = $3"
    " AND payment_method = $4 AND delivery_method = $5 AND orders = 0 AND units = 0"
    " AND gross = 0 AND discount = 0 AND shipping = 0 AND tax = 0 AND returns = 0");
// report_days defined over the facts: what the handlers maintain step by
// step ($1: the zone).
const pg::Statement kClearDays("report_clear_days", "DELETE FROM report_days");
const pg::Statement kRecomputeDays(
    "report_recompute_days",
    "INSERT INTO report_days (currency, day, status, payment_method, delivery_method, orders,"
    " units, gross, discount, shipping, tax, returns)"
    " SELECT currency, day, status, payment_method, delivery_method, sum(orders), sum(units),"
    " sum(gross), sum(discount), sum(shipping), sum(tax), sum(returns) FROM ("
    "  SELECT o.currency, (o.counted_at AT TIME ZONE $1)::date AS day, o.status,"
    "   o.payment_method, o.delivery_method, 1 AS orders, o.units, o.gross, o.discount,"
    "   o.shipping, o.tax, 0 AS returns FROM report_orders o WHERE o.counted_at IS NOT NULL"
    "  UNION ALL"
    "  SELECT o.currency, (r.refunded_at AT TIME ZONE $1)::date, o.status, o.payment_method,"
    "   o.delivery_method, 0, 0, 0, 0, 0, 0, r.amount"
    "  FROM report_refunds r JOIN report_orders o USING (order_id)"
    "  WHERE o.counted_at IS NOT NULL) x"
    " GROUP BY 1, 2, 3, 4, 5");
const pg::Statement kDaysZone("report_days_zone",
                              "SELECT value FROM report_settings WHERE name = 'time_zone'");
const pg::Statement kSetDaysZone(
    "report_set_days_zone",
    "INSERT INTO report_settings (name, value) VALUES ('time_zone', $1)"
    " ON CONFLICT (name) DO UPDATE SET value = excluded.value");
const pg::Statement kDaySums(
    "report_day_sums",
    "SELECT width_bucket(day, $4::date[]), status, payment_method, delivery_method,"
    " sum(orders), sum(units), sum(gross), sum(discount), sum(shipping), sum(tax), sum(returns)"
    " FROM report_days WHERE currency = $1 AND day >= $2::date AND day <= $3::date"
    " GROUP BY 1, 2, 3, 4");
const pg::Statement kSaveOrder(
    "report_save_order",
    "INSERT INTO report_orders (order_id, number, version, status, currency, customer_key,"
    " customer_id, payment_method, delivery_method, country, placed_at, paid_at, any_payment,"
    " placed_count_at, counted_at, gross, discount, shipping, tax, units, lines_digest)"
    " VALUES ($1::uuid, $2::bigint, $3::bigint, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz,"
    " NULLIF($12, '')::timestamptz, $13::boolean, NULLIF($14, '')::timestamptz,"
    " NULLIF($15, '')::timestamptz, $16::bigint, $17::bigint, $18::bigint, $19::bigint,"
    " $20::bigint, $21)"
    " ON CONFLICT (order_id) DO UPDATE SET number = excluded.number, version = excluded.version,"
    " status = excluded.status, currency = excluded.currency,"
    " customer_key = excluded.customer_key, customer_id = excluded.customer_id,"
    " payment_method = excluded.payment_method, delivery_method = excluded.delivery_method,"
    " country = excluded.country, placed_at = excluded.placed_at, paid_at = excluded.paid_at,"
    " any_payment = excluded.any_payment, placed_count_at = excluded.placed_count_at,"
    " counted_at = excluded.counted_at, gross = excluded.gross, discount = excluded.discount,"
    " shipping = excluded.shipping, tax = excluded.tax, units = excluded.units,"
    " lines_digest = excluded.lines_digest");
const pg::Statement kDeleteLines("report_delete_lines",
                                 "DELETE FROM report_order_lines WHERE order_id = $1::uuid");
const pg::Statement kInsertLines(
    "report_insert_lines",
    "INSERT INTO report_order_lines (order_id, line_no, sku, name, quantity, gross, discount)"
    " SELECT $1::uuid, t.n, t.sku, t.name, t.q, t.g, t.d FROM unnest($2::text[], $3::text[],"
    " $4::bigint[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS t(sku, name, q, g, d, n)");
const pg::Statement kAddRefund(
    "report_add_refund",
    "INSERT INTO report_refunds (refund_id, order_id, amount, refunded_at)"
    " VALUES ($1, $2::uuid, $3::bigint, $4::timestamptz) ON CONFLICT DO NOTHING RETURNING 1");
const pg::Statement kAddRefundLines(
    "report_add_refund_lines",
    "INSERT INTO report_refund_lines (refund_id, sku, quantity, amount)"
    " SELECT $1, t.sku, t.q, t.a FROM unnest($2::text[], $3::bigint[], $4::bigint[])"
    " AS t(sku, q, a)");
const pg::Statement kSavePayment(
    "report_save_payment",
    "INSERT INTO report_payments (payment_id, order_id, method, provider, outcome, currency,"
    " amount, paid_at) VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::bigint, $8::timestamptz)"
    " ON CONFLICT (payment_id) DO UPDATE SET outcome = excluded.outcome,"
    " amount = excluded.amount, method = excluded.method");
const pg::Statement kSaveCustomer(
    "report_save_customer",
    "INSERT INTO report_customers (customer_id, group_id, country, version)"
    " VALUES ($1, $2, $3, $4::bigint) ON CONFLICT (customer_id) DO UPDATE SET"
    " group_id = excluded.group_id, country = excluded.country, version = excluded.version"
    " WHERE report_customers.version < excluded.version");
const pg::Statement kDeleteCustomer("report_delete_customer",
                                    "DELETE FROM report_customers WHERE customer_id = $1");
const pg::Statement kSaveCampaign(
    "report_save_campaign",
    "INSERT INTO report_campaigns (campaign_id, name, sent_time, recipients, sent, bounced,"
    " opened, clicked, unsubscribed, converted, revenue, currency, stats_time)"
    " VALUES ($1, $2, NULLIF($3, '')::timestamptz, $4::bigint, $5::bigint, $6::bigint,"
    " $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint, $12,"
    " NULLIF($13, '')::timestamptz)"
    " ON CONFLICT (campaign_id) DO UPDATE SET name = excluded.name,"
    " sent_time = COALESCE(excluded.sent_time, report_campaigns.sent_time),"
    " recipients = excluded.recipients, sent = excluded.sent, bounced = excluded.bounced,"
    " opened = excluded.opened, clicked = excluded.clicked,"
    " unsubscribed = excluded.unsubscribed, converted = excluded.converted,"
    " revenue = excluded.revenue, currency = excluded.currency,"
    " stats_time = excluded.stats_time"
    " WHERE report_campaigns.stats_time IS NULL OR excluded.stats_time IS NOT NULL AND"
    " excluded.stats_time >= report_campaigns.stats_time");
const pg::Statement kCountedFrom("report_counted_from",
                                 "SELECT value FROM report_settings WHERE name = 'count_from'");
const pg::Statement kRecount(
    "report_recount",
    "WITH s AS (INSERT INTO report_settings (name, value) VALUES ('count_from', $1)"
    "  ON CONFLICT (name) DO UPDATE SET value = excluded.value)"
    " UPDATE report_orders SET counted_at = CASE WHEN $1 = 'paid' THEN paid_at"
    " ELSE placed_count_at END");

const pg::Statement kProducts(
    "report_products",
    "WITH sold AS ("
    "  SELECT l.sku, (array_agg(l.name ORDER BY o.placed_at DESC))[1] AS name,"
    "   sum(l.quantity) AS units, sum(l.gross) AS gross, sum(l.discount) AS discount,"
    "   count(DISTINCT l.order_id) AS orders"
    "  FROM report_order_lines l JOIN report_orders o USING (order_id)"
    "  WHERE" COUNTED_IN_WINDOW
    " GROUP BY l.sku),"
    " ret AS ("
    "  SELECT rl.sku, sum(rl.quantity) AS units, sum(rl.amount) AS amount"
    "  FROM report_refund_lines rl JOIN report_refunds r USING (refund_id)"
    "  JOIN report_orders o USING (order_id) WHERE" REFUNDED_IN_WINDOW
    " GROUP BY rl.sku)"
    " SELECT sku, COALESCE(sold.name, (SELECT l.name FROM report_order_lines l"
    "  WHERE l.sku = ret.sku LIMIT 1), ''), COALESCE(sold.units, 0), COALESCE(ret.units, 0),"
    " COALESCE(sold.gross, 0), COALESCE(sold.discount, 0), COALESCE(ret.amount, 0),"
    " COALESCE(sold.orders, 0)"
    " FROM sold FULL JOIN ret USING (sku)");

// First counted order of every customer of the currency (ever).
#define FIRST_ORDERS                                                              \
  "first AS (SELECT customer_key, min(counted_at) AS first_at FROM report_orders" \
  " WHERE currency = $1 AND counted_at IS NOT NULL GROUP BY customer_key)"

const pg::Statement kNewAndReturning(
    "report_new_and_returning",
    "WITH " FIRST_ORDERS
    ","
    " o AS (SELECT o.customer_key, width_bucket(o.counted_at, $4::timestamptz[]) AS b,"
    "  o.gross - o.discount AS sales FROM report_orders o WHERE" COUNTED_IN_WINDOW
    ")"
    " SELECT o.b, first.first_at >= ($4::timestamptz[])[o.b], count(DISTINCT o.customer_key),"
    " count(*), sum(o.sales) FROM o JOIN first USING (customer_key) GROUP BY 1, 2");

const pg::Statement kCustomers(
    "report_customers",
    "WITH o AS (SELECT o.*, row_number() OVER (PARTITION BY o.customer_key"
    "   ORDER BY o.counted_at DESC, o.number DESC) AS recency"
    "  FROM report_orders o WHERE" COUNTED_IN_WINDOW
    "),"
    " ret AS (SELECT o.customer_key, sum(r.amount) AS amount FROM report_refunds r"
    "  JOIN report_orders o USING (order_id) WHERE" REFUNDED_IN_WINDOW
    " GROUP BY 1),"
    " agg AS (SELECT customer_key, count(*) AS orders,"
    "  sum(gross - discount + shipping + tax) AS total FROM o GROUP BY 1)"
    " SELECT agg.customer_key, last.customer_id, COALESCE(c.group_id, ''), last.country,"
    " agg.orders, agg.total - COALESCE(ret.amount, 0), last.order_id::text, last.number"
    " FROM agg JOIN o AS last ON last.customer_key = agg.customer_key AND last.recency = 1"
    " LEFT JOIN ret ON ret.customer_key = agg.customer_key"
    " LEFT JOIN report_customers c ON c.customer_id = last.customer_id AND last.customer_id <> ''");

const pg::Statement kPayments(
    "report_payments",
    "SELECT width_bucket(p.paid_at, $4::timestamptz[]), p.method, p.outcome, count(*),"
    " sum(p.amount) FROM report_payments p WHERE p.currency = $1 AND"
    " p.paid_at >= $2::timestamptz AND p.paid_at < $3::timestamptz GROUP BY 1, 2, 3");
const pg::Statement kRefundsByBucket(
    "report_refunds_by_bucket",
    "SELECT width_bucket(r.refunded_at, $4::timestamptz[]), count(*), sum(r.amount)"
    " FROM report_refunds r JOIN report_orders o USING (order_id) WHERE o.currency = $1 AND"
    " r.refunded_at >= $2::timestamptz AND r.refunded_at < $3::timestamptz GROUP BY 1");

const pg::Statement kCampaigns(
    "report_campaigns",
    "SELECT campaign_id, name, " STORE_PG_MICROS("sent_time") ", recipients, sent, bounced,"
    " opened, clicked, unsubscribed, converted, revenue, currency, " STORE_PG_MICROS("stats_time")
    " FROM report_campaigns WHERE sent_time >= $1::timestamptz AND sent_time < $2::timestamptz"
    " ORDER BY sent_time DESC, campaign_id");

const pg::Statement kCohortSizes(
    "report_cohort_sizes",
    "WITH " FIRST_ORDERS
    " SELECT width_bucket(first_at, $4::timestamptz[]), count(*) FROM first"
    " WHERE first_at >= $2::timestamptz AND first_at < $3::timestamptz GROUP BY 1");
const pg::Statement kCohortActivity(
    "report_cohort_activity",
    "WITH " FIRST_ORDERS
    ","
    " cohort AS (SELECT customer_key, width_bucket(first_at, $4::timestamptz[]) AS c FROM first"
    "  WHERE first_at >= $2::timestamptz AND first_at < $3::timestamptz)"
    " SELECT cohort.c, width_bucket(o.counted_at, $4::timestamptz[]),"
    " count(DISTINCT o.customer_key), count(*), sum(o.gross - o.discount)"
    " FROM report_orders o JOIN cohort USING (customer_key) WHERE" COUNTED_IN_WINDOW
    " GROUP BY 1, 2"
    " UNION ALL SELECT cohort.c, width_bucket(r.refunded_at, $4::timestamptz[]), 0, 0,"
    " -sum(r.amount) FROM report_refunds r JOIN report_orders o USING (order_id)"
    " JOIN cohort USING (customer_key) WHERE" REFUNDED_IN_WINDOW " GROUP BY 1, 2");

// Drill-down: $4 refunded?, $5 status, $6 payment method, $7 delivery
// method, $8 sku, $9 customer id.
#define DRILL_DOWN_WHERE                                                                  \
  " o.currency = $1 AND CASE WHEN $4::boolean THEN o.counted_at IS NOT NULL AND EXISTS (" \
  "  SELECT 1 FROM report_refunds r WHERE r.order_id = o.order_id"                        \
  "  AND r.refunded_at >= $2::timestamptz AND r.refunded_at < $3::timestamptz)"           \
  " ELSE o.counted_at >= $2::timestamptz AND o.counted_at < $3::timestamptz END"          \
  " AND ($5 = '' OR o.status = $5) AND ($6 = '' OR o.payment_method = $6)"                \
  " AND ($7 = '' OR o.delivery_method = $7) AND ($8 = '' OR EXISTS (SELECT 1 FROM"        \
  "  report_order_lines l WHERE l.order_id = o.order_id AND l.sku = $8))"                 \
  " AND ($9 = '' OR o.customer_id = $9)"

const pg::Statement kDrillDown(
    "report_drill_down",
    "SELECT o.order_id::text, o.number, o.status, " STORE_PG_MICROS("o.counted_at")
    ", o.gross, o.discount, o.shipping, o.tax, COALESCE((SELECT sum(r.amount) FROM"
    " report_refunds r WHERE r.order_id = o.order_id AND r.refunded_at >= $2::timestamptz"
    " AND r.refunded_at < $3::timestamptz), 0)"
    " FROM report_orders o WHERE" DRILL_DOWN_WHERE " AND o.number > $10::bigint"
    " ORDER BY o.number LIMIT $11::int");
const pg::Statement kDrillDownCount("report_drill_down_count",
                                    "SELECT count(*) FROM report_orders o WHERE" DRILL_DOWN_WHERE);

Figures FiguresOf(const pqxx::row& row, int first) {
  Figures f;
  f.orders = row[first].as<int64_t>(0);
  f.units = row[first + 1].as<int64_t>(0);
  f.gross = row[first + 2].as<int64_t>(0);
  f.discounts = row[first + 3].as<int64_t>(0);
  f.shipping = row[first + 4].as<int64_t>(0);
  f.taxes = row[first + 5].as<int64_t>(0);
  return f;
}

// width_bucket's 1-based index as a 0-based one inside [0, n), or -1.
int BucketIndex(const pqxx::field& f, size_t n) {
  const int b = f.as<int>(0) - 1;
  return b >= 0 && static_cast<size_t>(b) < n ? b : -1;
}

}  // namespace

std::optional<ReportStore::OrderState> ReportStore::LockOrder(pqxx::transaction_base& tx,
                                                              const std::string& order_id) {
  pqxx::result r = tx.exec_prepared(kLockOrder.name, order_id);
  if (r.empty()) return std::nullopt;
  const pqxx::row row = r[0];
  OrderState s;
  s.version = row[0].as<int64_t>();
  s.paid_at = TimeColumn(row[1]);
  s.counted_at = TimeColumn(row[2]);
  s.key = SlotKey{row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                  row[6].as<std::string>()};
  s.figures = Figures{.orders = 1,
                      .units = row[7].as<int64_t>(),
                      .gross = row[8].as<int64_t>(),
                      .discounts = row[9].as<int64_t>(),
                      .shipping = row[10].as<int64_t>(),
                      .taxes = row[11].as<int64_t>()};
  s.lines_digest = row[12].as<std::string>();
  return s;
}

std::vector<std::pair<absl::Time, int64_t>> ReportStore::RefundsOf(pqxx::transaction_base& tx,
                                                                   const std::string& order_id) {
  std::vector<std::pair<absl::Time, int64_t>> out;
  for (const pqxx::row& row : tx.exec_prepared(kRefundsOf.name, order_id)) {
    out.emplace_back(absl::FromUnixMicros(row[0].as<int64_t>()), row[1].as<int64_t>());
  }
  return out;
}

void ReportStore::AddToDay(pqxx::transaction_base& tx, const SlotKey& key, const std::string& day,
                           const Figures& d) {
  tx.exec_prepared(kAddToDay.name, key.currency, day, key.status, key.payment_method,
                   key.delivery_method, d.orders, d.units, d.gross, d.discounts, d.shipping,
                   d.taxes, d.returns);
  if (d.orders < 0 || d.returns < 0 || d.gross < 0) {
    tx.exec_prepared(kDropEmptyDay.name, key.currency, day, key.status, key.payment_method,
                     key.delivery_method);
  }
}

void ReportStore::RecomputeDays(pqxx::transaction_base& tx, const std::string& zone) {
  tx.exec_prepared(kClearDays.name);
  tx.exec_prepared(kRecomputeDays.name, zone);
  SetDaysZone(tx, zone);
}

std::optional<std::string> ReportStore::DaysZone(pqxx::transaction_base& tx) {
  pqxx::result r = tx.exec_prepared(kDaysZone.name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void ReportStore::SetDaysZone(pqxx::transaction_base& tx, const std::string& zone) {
  tx.exec_prepared(kSetDaysZone.name, zone);
}

std::vector<ReportStore::SlotSum> ReportStore::DaySums(pqxx::transaction_base& tx,
                                                       const Window& w) {
  std::vector<SlotSum> out;
  for (const pqxx::row& row : tx.exec_prepared(kDaySums.name, w.currency, w.first_day, w.last_day,
                                               pg::TextArray(w.bucket_days))) {
    const int b = BucketIndex(row[0], w.bucket_days.size());
    if (b < 0) continue;
    SlotSum s{b, row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(),
              FiguresOf(row, 4)};
    s.figures.returns = row[10].as<int64_t>(0);
    out.push_back(std::move(s));
  }
  return out;
}

void ReportStore::SaveOrder(pqxx::transaction_base& tx, const OrderFacts& order,
                            std::optional<absl::Time> placed_count_at,
                            std::optional<absl::Time> paid_at, std::optional<absl::Time> counted_at,
                            const std::string& stored_lines_digest) {
  const std::string digest = LinesDigest(order);
  tx.exec_prepared(kSaveOrder.name, order.order_id, order.number, order.version, order.status,
                   order.currency, order.customer_key, order.customer_id, order.payment_method,
                   order.delivery_method, order.country, PgTime(order.placed_at), OptTime(paid_at),
                   order.any_payment, OptTime(placed_count_at), OptTime(counted_at), order.gross,
                   order.discount, order.shipping, order.tax, order.units, digest);
  if (digest == stored_lines_digest) return;
  if (!stored_lines_digest.empty()) tx.exec_prepared(kDeleteLines.name, order.order_id);
  std::vector<std::string> skus, names, quantities, gross, discounts;
  for (const LineFacts& line : order.lines) {
    skus.push_back(line.sku);
    names.push_back(line.name);
    quantities.push_back(absl::StrCat(line.quantity));
    gross.push_back(absl::StrCat(line.gross));
    discounts.push_back(absl::StrCat(line.discount));
  }
  if (skus.empty()) return;
  tx.exec_prepared(kInsertLines.name, order.order_id, pg::TextArray(skus), pg::TextArray(names),
                   pg::TextArray(quantities), pg::TextArray(gross), pg::TextArray(discounts));
}

bool ReportStore::AddRefund(pqxx::transaction_base& tx, const std::string& order_id,
                            const std::string& refund_id, int64_t amount, absl::Time refunded_at,
                            const std::vector<RefundLineFacts>& lines) {
  if (tx.exec_prepared(kAddRefund.name, refund_id, order_id, amount, PgTime(refunded_at)).empty()) {
    return false;
  }
  std::vector<std::string> skus, quantities, amounts;
  for (const RefundLineFacts& line : lines) {
    skus.push_back(line.sku);
    quantities.push_back(absl::StrCat(line.quantity));
    amounts.push_back(absl::StrCat(line.amount));
  }
  tx.exec_prepared(kAddRefundLines.name, refund_id, pg::TextArray(skus), pg::TextArray(quantities),
                   pg::TextArray(amounts));
  return true;
}

void ReportStore::SavePayment(pqxx::transaction_base& tx, const std::string& payment_id,
                              const std::string& order_id, const std::string& method,
                              const std::string& provider, const std::string& outcome,
                              const std::string& currency, int64_t amount, absl::Time at) {
  tx.exec_prepared(kSavePayment.name, payment_id, order_id, method, provider, outcome, currency,
                   amount, PgTime(at));
}

void ReportStore::SaveCustomer(pqxx::transaction_base& tx, const std::string& customer_id,
                               const std::string& group_id, const std::string& country,
                               int64_t version) {
  tx.exec_prepared(kSaveCustomer.name, customer_id, group_id, country, version);
}

void ReportStore::DeleteCustomer(pqxx::transaction_base& tx, const std::string& customer_id) {
  tx.exec_prepared(kDeleteCustomer.name, customer_id);
}

void ReportStore::SaveCampaign(pqxx::transaction_base& tx, const v1::CampaignRow& c,
                               const std::string& currency) {
  auto time = [](const google::protobuf::Timestamp& ts) {
    return ts.seconds() == 0 && ts.nanos() == 0 ? std::string() : PgTime(ts);
  };
  tx.exec_prepared(kSaveCampaign.name, c.campaign_id(), c.name(), time(c.sent_time()),
                   c.recipients(), c.sent(), c.bounced(), c.opened(), c.clicked(), c.unsubscribed(),
                   c.converted(), c.conversion_revenue().amount_minor(), currency,
                   time(c.stats_time()));
}

std::optional<std::string> ReportStore::CountedFrom(pqxx::transaction_base& tx) {
  pqxx::result r = tx.exec_prepared(kCountedFrom.name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void ReportStore::AllowLongStatements(pqxx::transaction_base& tx) {
  tx.exec("SET LOCAL statement_timeout = '30min'");
}

void ReportStore::Recount(pqxx::transaction_base& tx, CountFrom mode) {
  tx.exec_prepared(kRecount.name, std::string(CountFromName(mode)));
}

std::vector<v1::ProductRow> ReportStore::Products(pqxx::transaction_base& tx, const Window& w) {
  std::vector<v1::ProductRow> out;
  for (const pqxx::row& row :
       tx.exec_prepared(kProducts.name, w.currency, PgTime(w.start), PgTime(w.end))) {
    v1::ProductRow p;
    p.set_sku(row[0].as<std::string>());
    p.set_name(row[1].as<std::string>());
    p.set_units_sold(row[2].as<int64_t>());
    p.set_units_refunded(row[3].as<int64_t>());
    const int64_t gross = row[4].as<int64_t>(), discount = row[5].as<int64_t>(),
                  returns = row[6].as<int64_t>();
    *p.mutable_gross_sales() = MoneyOf(gross, w.currency);
    *p.mutable_discounts() = MoneyOf(discount, w.currency);
    *p.mutable_returns() = MoneyOf(returns, w.currency);
    *p.mutable_net_sales() = MoneyOf(gross - discount - returns, w.currency);
    p.set_orders(row[7].as<int64_t>());
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<NewReturningRow> ReportStore::NewAndReturning(pqxx::transaction_base& tx,
                                                          const Window& w) {
  std::vector<NewReturningRow> out;
  for (const pqxx::row& row : tx.exec_prepared(kNewAndReturning.name, w.currency, PgTime(w.start),
                                               PgTime(w.end), Starts(w))) {
    const int b = BucketIndex(row[0], w.bucket_starts.size());
    if (b < 0) continue;
    out.push_back(NewReturningRow{b, row[1].as<bool>(), row[2].as<int64_t>(), row[3].as<int64_t>(),
                                  row[4].as<int64_t>(0)});
  }
  return out;
}

std::vector<CustomerRow> ReportStore::Customers(pqxx::transaction_base& tx, const Window& w) {
  std::vector<CustomerRow> out;
  for (const pqxx::row& row :
       tx.exec_prepared(kCustomers.name, w.currency, PgTime(w.start), PgTime(w.end))) {
    out.push_back(CustomerRow{row[0].as<std::string>(), row[1].as<std::string>(),
                              row[2].as<std::string>(), row[3].as<std::string>(),
                              row[4].as<int64_t>(), row[5].as<int64_t>(0), row[6].as<std::string>(),
                              row[7].as<int64_t>()});
  }
  return out;
}

std::vector<PaymentSum> ReportStore::Payments(pqxx::transaction_base& tx, const Window& w) {
  std::vector<PaymentSum> out;
  for (const pqxx::row& row :
       tx.exec_prepared(kPayments.name, w.currency, PgTime(w.start), PgTime(w.end), Starts(w))) {
    const int b = BucketIndex(row[0], w.bucket_starts.size());
    if (b < 0) continue;
    out.push_back(PaymentSum{b, row[1].as<std::string>(), row[2].as<std::string>(),
                             row[3].as<int64_t>(), row[4].as<int64_t>(0)});
  }
  return out;
}

std::vector<std::pair<int64_t, int64_t>> ReportStore::RefundsByBucket(pqxx::transaction_base& tx,
                                                                      const Window& w) {
  std::vector<std::pair<int64_t, int64_t>> out(w.bucket_starts.size());
  for (const pqxx::row& row : tx.exec_prepared(kRefundsByBucket.name, w.currency, PgTime(w.start),
                                               PgTime(w.end), Starts(w))) {
    const int b = BucketIndex(row[0], out.size());
    if (b >= 0) out[b] = {row[1].as<int64_t>(), row[2].as<int64_t>(0)};
  }
  return out;
}

std::vector<v1::CampaignRow> ReportStore::Campaigns(pqxx::transaction_base& tx, absl::Time start,
                                                    absl::Time end) {
  std::vector<v1::CampaignRow> out;
  for (const pqxx::row& row : tx.exec_prepared(kCampaigns.name, PgTime(start), PgTime(end))) {
    v1::CampaignRow c;
    c.set_campaign_id(row[0].as<std::string>());
    c.set_name(row[1].as<std::string>());
    if (!row[2].is_null()) *c.mutable_sent_time() = pg::TimestampFromMicros(row[2].as<int64_t>());
    c.set_recipients(row[3].as<int64_t>());
    c.set_sent(row[4].as<int64_t>());
    c.set_bounced(row[5].as<int64_t>());
    c.set_delivered(c.sent() - c.bounced());
    c.set_opened(row[6].as<int64_t>());
    c.set_clicked(row[7].as<int64_t>());
    c.set_unsubscribed(row[8].as<int64_t>());
    c.set_converted(row[9].as<int64_t>());
    *c.mutable_conversion_revenue() = MoneyOf(row[10].as<int64_t>(), row[11].as<std::string>());
    if (!row[12].is_null())
      *c.mutable_stats_time() = pg::TimestampFromMicros(row[12].as<int64_t>());
    out.push_back(std::move(c));
  }
  return out;
}

std::map<int, int64_t> ReportStore::CohortSizes(pqxx::transaction_base& tx, const Window& w) {
  std::map<int, int64_t> out;
  for (const pqxx::row& row :
       tx.exec_prepared(kCohortSizes.name, w.currency, PgTime(w.start), PgTime(w.end), Starts(w))) {
    const int b = BucketIndex(row[0], w.bucket_starts.size());
    if (b >= 0) out[b] += row[1].as<int64_t>();
  }
  return out;
}

std::vector<ReportStore::CohortSum> ReportStore::CohortActivity(pqxx::transaction_base& tx,
                                                                const Window& w) {
  std::vector<CohortSum> out;
  for (const pqxx::row& row : tx.exec_prepared(kCohortActivity.name, w.currency, PgTime(w.start),
                                               PgTime(w.end), Starts(w))) {
    const int c = BucketIndex(row[0], w.bucket_starts.size());
    const int m = BucketIndex(row[1], w.bucket_starts.size());
    if (c < 0 || m < 0) continue;
    out.push_back(
        CohortSum{c, m, row[2].as<int64_t>(), row[3].as<int64_t>(), row[4].as<int64_t>(0)});
  }
  return out;
}

std::vector<v1::ReportOrder> ReportStore::Orders(pqxx::transaction_base& tx, const Window& w,
                                                 const OrderFilter& f, int64_t after_number,
                                                 int limit) {
  std::vector<v1::ReportOrder> out;
  for (const pqxx::row& row : tx.exec_prepared(
           kDrillDown.name, w.currency, PgTime(w.start), PgTime(w.end), f.refunded, f.status,
           f.payment_method, f.delivery_method, f.sku, f.customer_id, after_number, limit + 1)) {
    v1::ReportOrder o;
    o.set_order_id(row[0].as<std::string>());
    o.set_number(row[1].as<int64_t>());
    o.set_status(row[2].as<std::string>());
    if (!row[3].is_null())
      *o.mutable_counted_time() = pg::TimestampFromMicros(row[3].as<int64_t>());
    *o.mutable_gross_sales() = MoneyOf(row[4].as<int64_t>(), w.currency);
    *o.mutable_discounts() = MoneyOf(row[5].as<int64_t>(), w.currency);
    *o.mutable_shipping() = MoneyOf(row[6].as<int64_t>(), w.currency);
    *o.mutable_taxes() = MoneyOf(row[7].as<int64_t>(), w.currency);
    *o.mutable_returns() = MoneyOf(row[8].as<int64_t>(0), w.currency);
    out.push_back(std::move(o));
  }
  return out;
}

int64_t ReportStore::CountOrders(pqxx::transaction_base& tx, const Window& w,
                                 const OrderFilter& f) {
  return tx
      .exec_prepared1(kDrillDownCount.name, w.currency, PgTime(w.start), PgTime(w.end), f.refunded,
                      f.status, f.payment_method, f.delivery_method, f.sku, f.customer_id)[0]
      .as<int64_t>();
}

}  // namespace store::reporting
