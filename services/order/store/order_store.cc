#include "services/order/store/order_store.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/log.h"
#include "libs/events/outbox.h"

namespace store::order {
namespace {

using google::protobuf::util::TimeUtil;

const pg::Statement kFindByRequest("order_find_by_request",
                                   "SELECT body, request_hash FROM orders WHERE request_id = $1::uuid");
const pg::Statement kLoad("order_load", "SELECT body FROM orders WHERE id = $1::uuid");
const pg::Statement kLoadForUpdate("order_load_for_update",
                                   "SELECT body FROM orders WHERE id = $1::uuid FOR UPDATE");
const pg::Statement kUpdate(
    "order_update",
    "UPDATE orders SET status = $2::smallint, total_minor = $3::bigint, search_text = $4,"
    " body = $5, version = $6::bigint, updated_at = $7::timestamptz, customer_email = $8"
    " WHERE id = $1::uuid");
const pg::Statement kInsertHistory(
    "order_history_insert",
    "INSERT INTO order_history (order_id, from_status, to_status, action, actor, reason,"
    " created_at) VALUES ($1::uuid, $2::smallint, $3::smallint, $4, $5, $6, $7::timestamptz)");
const pg::Statement kInsertHistoryMany(
    "order_history_insert_many",
    "INSERT INTO order_history (order_id, from_status, to_status, action, actor, reason,"
    " created_at, job_id) SELECT o, f, t, a, $5, r, $6::timestamptz, NULLIF($7, '')::uuid"
    " FROM unnest($1::uuid[], $2::smallint[], $3::smallint[], $4::text[], $8::text[])"
    " AS u(o, f, t, a, r)");
const pg::Statement kLoadMany("order_load_many",
                              "SELECT body FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id");
const pg::Statement kLoadManyForUpdate(
    "order_load_many_for_update",
    "SELECT body FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE");
const pg::Statement kUpdateMany(
    "order_update_many",
    "UPDATE orders o SET status = u.status, total_minor = u.total, search_text = u.search,"
    " body = decode(u.body, 'base64'), version = u.version, updated_at = u.updated_at,"
    " customer_email = u.email"
    " FROM unnest($1::uuid[], $2::smallint[], $3::bigint[], $4::text[], $5::text[],"
    " $6::bigint[], $7::timestamptz[], $8::text[])"
    " AS u(id, status, total, search, body, version, updated_at, email) WHERE o.id = u.id");
const pg::Statement kFindRefs("order_find_refs",
                              "SELECT id, number FROM orders WHERE id = ANY($1::uuid[])");
const pg::Statement kFindRefsByNumber(
    "order_find_refs_by_number", "SELECT id, number FROM orders WHERE number = ANY($1::bigint[])");
const pg::Statement kListHistory(
    "order_history_list",
    "SELECT from_status, to_status, action, actor, reason,"
    " (extract(epoch FROM created_at) * 1000000)::bigint, COALESCE(job_id::text, '')"
    " FROM order_history WHERE order_id = $1::uuid ORDER BY id");
const pg::Statement kInsertPayment(
    "order_payment_insert",
    "INSERT INTO order_payments (id, order_id, provider, reference, amount_minor, outcome,"
    " failure_reason, created_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5::bigint, $6::smallint,"
    " $7, $8::timestamptz) ON CONFLICT (order_id, provider, reference) DO NOTHING");
const pg::Statement kSelectPayments(
    "order_payment_select",
    "SELECT id::text, provider, reference, amount_minor, outcome, failure_reason,"
    " (extract(epoch FROM created_at) * 1000000)::bigint FROM order_payments"
    " WHERE order_id = $1::uuid AND ($2 = '' OR (provider = $2 AND reference = $3))"
    " ORDER BY created_at, id");
const pg::Statement kInsertRefund(
    "order_refund_insert",
    "INSERT INTO order_refunds (id, order_id, request_id, request_hash, amount_minor, body,"
    " created_at) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::bigint, $6, $7::timestamptz)");
const pg::Statement kFindRefund(
    "order_refund_find",
    "SELECT order_id::text, request_hash, body FROM order_refunds WHERE request_id = $1::uuid");
const pg::Statement kListRefunds(
    "order_refund_list",
    "SELECT body FROM order_refunds WHERE order_id = $1::uuid ORDER BY created_at, id");
const pg::Statement kInsertReturn(
    "order_return_insert",
    "INSERT INTO order_returns (id, order_id, request_id, request_hash, body, created_at)"
    " VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::timestamptz)");
const pg::Statement kFindReturn(
    "order_return_find",
    "SELECT order_id::text, request_hash, body FROM order_returns WHERE request_id = $1::uuid");
const pg::Statement kListReturns(
    "order_return_list",
    "SELECT body FROM order_returns WHERE order_id = $1::uuid ORDER BY created_at, id");
const pg::Statement kInsertNote(
    "order_note_insert",
    "INSERT INTO order_notes (id, order_id, text, visibility, author, created_at)"
    " VALUES ($1::uuid, $2::uuid, $3, $4::smallint, $5, $6::timestamptz)");
const pg::Statement kListNotes(
    "order_note_list",
    "SELECT id::text, text, visibility, author,"
    " (extract(epoch FROM created_at) * 1000000)::bigint FROM order_notes"
    " WHERE order_id = $1::uuid AND ($2::smallint = 0 OR visibility = $2::smallint)"
    " ORDER BY created_at, id");
const pg::Statement kCountUnprocessed(
    "order_count_unprocessed", "SELECT count(*) FROM orders WHERE status IN (1, 2, 3)");
const pg::Statement kLockForErasure(
    "order_lock_for_erasure",
    "SELECT body FROM orders WHERE customer_id = NULLIF($1, '')::uuid"
    " OR ($2 <> '' AND customer_id IS NULL"
    "     AND encode(sha256(convert_to(customer_email, 'UTF8')), 'hex') = lower($2))"
    " ORDER BY id FOR UPDATE");
const pg::Statement kListNoteTexts(
    "order_note_texts", "SELECT id::text, text FROM order_notes WHERE order_id = $1::uuid");
const pg::Statement kSetNoteText("order_note_set_text",
                                 "UPDATE order_notes SET text = $2 WHERE id = $1::uuid");
const pg::Statement kListHistoryReasons(
    "order_history_reasons",
    "SELECT id, reason FROM order_history WHERE order_id = $1::uuid AND reason <> ''");
const pg::Statement kSetHistoryReason("order_history_set_reason",
                                      "UPDATE order_history SET reason = $2 WHERE id = $1::bigint");
// The outbox belongs to libs/events; rows already sent are only kept for a
// while (RelayOptions::retention), so deleting some early is safe.

// `text` with every case-insensitive occurrence of a string of `erased`
// replaced by "[erased]".
std::string Scrub(std::string text, const std::vector<std::string>& erased) {
  for (const std::string& needle : erased) {
    if (needle.empty()) continue;
    const std::string lower_needle = absl::AsciiStrToLower(needle);
    std::string lower = absl::AsciiStrToLower(text);
    size_t at = 0;
    while ((at = lower.find(lower_needle, at)) != std::string::npos) {
      text.replace(at, needle.size(), "[erased]");
      lower.replace(at, needle.size(), "[erased]");
      at += 8;
    }
  }
  return text;
}

v1::Order ParseOrder(const pqxx::field& f) {
  v1::Order order;
  if (!order.ParseFromString(pg::FromBytes(f))) {
    log::Error("corrupt order body");
  }
  return order;
}

std::string SearchText(const v1::Order& order) {
  std::vector<std::string> parts = {absl::StrCat("#", order.number()), order.customer().email(),
                                    order.customer().name(), order.customer().phone()};
  for (const auto& item : order.items()) {
    parts.push_back(item.sku());
    parts.push_back(item.name());
  }
  return absl::AsciiStrToLower(absl::StrJoin(parts, " "));
}

std::string ItemsJson(const v1::Order& order) {
  std::string out = "[";
  for (int i = 0; i < order.items_size(); ++i) {
    const auto& item = order.items(i);
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"line_no\":", i + 1,
                    ",\"sku\":", log::JsonQuote(item.sku()), ",\"name\":", log::JsonQuote(item.name()),
                    ",\"quantity\":", item.quantity(),
                    ",\"unit_price_minor\":", item.unit_price().amount_minor(),
                    ",\"total_minor\":", item.total().amount_minor(), "}");
  }
  out += "]";
  return out;
}



}  // namespace

const pg::Statement kNextOrderNumber("order_next_number", "SELECT nextval('order_number_seq')");

namespace {
// One round trip writes the order, its items, the "placed" history entry and
// the OrderPlaced outbox row; nothing at all when the request_id exists.
const std::string& InsertOrderSql() {
  static const auto* const kSql = new std::string(absl::StrCat(
      "WITH o AS ("
      "  INSERT INTO orders (id, number, request_id, request_hash, status, customer_id,"
      "   customer_email, currency_code, payment_method, delivery_method, total_minor, search_text,"
      "   body, version, created_at, updated_at)"
      "  VALUES ($1::uuid, $2::bigint, $3::uuid, $4, $5::smallint, NULLIF($6, '')::uuid, $7, $8,"
      "   $9::smallint, $10, $11::bigint, $12, $13, 1, $14::timestamptz, $14::timestamptz)"
      "  ON CONFLICT (request_id) DO NOTHING RETURNING id, created_at),"
      " i AS ("
      "  INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price_minor,"
      "   total_minor)"
      "  SELECT o.id, x.line_no, x.sku, x.name, x.quantity, x.unit_price_minor, x.total_minor"
      "  FROM o, jsonb_to_recordset($15::jsonb) AS x(line_no int, sku text, name text,"
      "   quantity int, unit_price_minor bigint, total_minor bigint)),"
      " h AS ("
      "  INSERT INTO order_history (order_id, from_status, to_status, action, actor, reason,"
      "   created_at)"
      "  SELECT o.id, 0, $5::smallint, 'placed', $16, '', o.created_at FROM o), ",
      events::OutboxCte(17, "o"), " SELECT count(*) FROM o, outbox_notify"));
  return *kSql;
}
}  // namespace

const pg::Statement kInsertOrder("order_insert", InsertOrderSql().c_str());



int64_t OrderStore::NextOrderNumber(pqxx::transaction_base& tx) {
  return tx.exec_prepared1(kNextOrderNumber.name)[0].as<int64_t>();
}

bool OrderStore::InsertOrder(pqxx::transaction_base& tx, const v1::Order& order,
                             const std::string& request_id, const std::string& request_hash,
                             const std::string& actor, const events::OutboxParams& event) {
  const std::string body = order.SerializeAsString();
  pqxx::row r = tx.exec_prepared1(
      kInsertOrder.name, order.id(), order.number(), request_id, request_hash,
      static_cast<int>(order.status()), order.customer().customer_id(), order.customer().email(),
      order.currency_code(), static_cast<int>(order.payment_method()),
      order.delivery_method().code(), order.totals().total().amount_minor(), SearchText(order),
      Bytes(body), PgTime(order.create_time()), ItemsJson(order), actor, event.event_id,
      event.topic, event.aggregate_id, event.event_type, Bytes(event.envelope), event.traceparent);
  return r[0].as<int64_t>() == 1;
}

std::optional<OrderStore::ByRequest> OrderStore::FindByRequestId(pqxx::transaction_base& tx,
                                                                 const std::string& request_id) {
  pqxx::result r = tx.exec_prepared(kFindByRequest.name, request_id);
  if (r.empty()) return std::nullopt;
  return ByRequest{ParseOrder(r[0][0]), r[0][1].as<std::string>()};
}

std::optional<v1::Order> OrderStore::Load(pqxx::transaction_base& tx, const std::string& id,
                                          bool for_update) {
  pqxx::result r = tx.exec_prepared(for_update ? kLoadForUpdate.name : kLoad.name, id);
  if (r.empty()) return std::nullopt;
  return ParseOrder(r[0][0]);
}

void OrderStore::Update(pqxx::transaction_base& tx, const v1::Order& order) {
  const std::string body = order.SerializeAsString();
  tx.exec_prepared(kUpdate.name, order.id(), static_cast<int>(order.status()),
                   order.totals().total().amount_minor(), SearchText(order), Bytes(body),
                   order.version(), PgTime(order.update_time()), order.customer().email());
}

std::vector<v1::Order> OrderStore::LoadMany(pqxx::transaction_base& tx,
                                            const std::vector<std::string>& ids, bool for_update) {
  std::vector<v1::Order> out;
  if (ids.empty()) return out;
  pqxx::result r =
      tx.exec_prepared(for_update ? kLoadManyForUpdate.name : kLoadMany.name, pg::TextArray(ids));
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(ParseOrder(row[0]));
  return out;
}

void OrderStore::UpdateMany(pqxx::transaction_base& tx,
                            const std::vector<const v1::Order*>& orders) {
  if (orders.empty()) return;
  std::vector<std::string> ids, statuses, totals, search, bodies, versions, times, emails;
  for (const v1::Order* o : orders) {
    ids.push_back(o->id());
    statuses.push_back(absl::StrCat(static_cast<int>(o->status())));
    totals.push_back(absl::StrCat(o->totals().total().amount_minor()));
    search.push_back(SearchText(*o));
    bodies.push_back(absl::Base64Escape(o->SerializeAsString()));
    versions.push_back(absl::StrCat(o->version()));
    times.push_back(PgTime(o->update_time()));
    emails.push_back(o->customer().email());
  }
  tx.exec_prepared(kUpdateMany.name, pg::TextArray(ids), pg::TextArray(statuses),
                   pg::TextArray(totals), pg::TextArray(search), pg::TextArray(bodies),
                   pg::TextArray(versions), pg::TextArray(times), pg::TextArray(emails));
}

namespace {
std::vector<OrderStore::OrderRef> Refs(const pqxx::result& r) {
  std::vector<OrderStore::OrderRef> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back({row[0].as<std::string>(), row[1].as<int64_t>()});
  return out;
}
}  // namespace

std::vector<OrderStore::OrderRef> OrderStore::FindRefs(pqxx::transaction_base& tx,
                                                       const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  return Refs(tx.exec_prepared(kFindRefs.name, pg::TextArray(ids)));
}

std::vector<OrderStore::OrderRef> OrderStore::FindRefsByNumber(
    pqxx::transaction_base& tx, const std::vector<int64_t>& numbers) {
  if (numbers.empty()) return {};
  std::vector<std::string> text;
  for (int64_t n : numbers) text.push_back(absl::StrCat(n));
  return Refs(tx.exec_prepared(kFindRefsByNumber.name, pg::TextArray(text)));
}

void OrderStore::AppendHistoryMany(pqxx::transaction_base& tx, const std::vector<HistoryRow>& rows,
                                   const std::string& actor, absl::Time at,
                                   const std::string& job_id) {
  if (rows.empty()) return;
  std::vector<std::string> ids, froms, tos, actions, reasons;
  for (const HistoryRow& h : rows) {
    ids.push_back(h.order_id);
    froms.push_back(absl::StrCat(static_cast<int>(h.from)));
    tos.push_back(absl::StrCat(static_cast<int>(h.to)));
    actions.push_back(h.action);
    reasons.push_back(h.reason);
  }
  tx.exec_prepared(kInsertHistoryMany.name, pg::TextArray(ids), pg::TextArray(froms),
                   pg::TextArray(tos), pg::TextArray(actions), actor, PgTime(at), job_id,
                   pg::TextArray(reasons));
}

void OrderStore::AppendHistory(pqxx::transaction_base& tx, const std::string& order_id,
                               v1::OrderStatus from, v1::OrderStatus to, const std::string& action,
                               const std::string& actor, const std::string& reason, absl::Time at) {
  tx.exec_prepared(kInsertHistory.name, order_id, static_cast<int>(from), static_cast<int>(to),
                   action, actor, reason, PgTime(at));
}

std::vector<v1::HistoryEntry> OrderStore::ListHistory(pqxx::transaction_base& tx,
                                                      const std::string& order_id) {
  std::vector<v1::HistoryEntry> out;
  for (const auto& row : tx.exec_prepared(kListHistory.name, order_id)) {
    v1::HistoryEntry e;
    e.set_from_status(static_cast<v1::OrderStatus>(row[0].as<int>()));
    e.set_to_status(static_cast<v1::OrderStatus>(row[1].as<int>()));
    e.set_action(row[2].as<std::string>());
    e.set_actor(row[3].as<std::string>());
    e.set_reason(row[4].as<std::string>());
    *e.mutable_create_time() = TimestampFromMicros(row[5].as<int64_t>());
    e.set_job_id(row[6].as<std::string>());
    out.push_back(std::move(e));
  }
  return out;
}

bool OrderStore::InsertPayment(pqxx::transaction_base& tx, const std::string& order_id,
                               const v1::Payment& p) {
  pqxx::result r = tx.exec_prepared(kInsertPayment.name, p.id(), order_id, p.provider(),
                                    p.reference(), p.amount().amount_minor(),
                                    static_cast<int>(p.outcome()), p.failure_reason(),
                                    PgTime(p.create_time()));
  return r.affected_rows() == 1;
}

namespace {
std::vector<v1::Payment> SelectPayments(pqxx::transaction_base& tx, const std::string& order_id,
                                        const std::string& provider, const std::string& reference,
                                        const std::string& currency) {
  std::vector<v1::Payment> out;
  for (const auto& row : tx.exec_prepared(kSelectPayments.name, order_id, provider, reference)) {
    v1::Payment p;
    p.set_id(row[0].as<std::string>());
    p.set_provider(row[1].as<std::string>());
    p.set_reference(row[2].as<std::string>());
    p.mutable_amount()->set_amount_minor(row[3].as<int64_t>());
    p.mutable_amount()->set_currency_code(currency);
    p.set_outcome(static_cast<v1::PaymentOutcome>(row[4].as<int>()));
    p.set_failure_reason(row[5].as<std::string>());
    *p.mutable_create_time() = TimestampFromMicros(row[6].as<int64_t>());
    out.push_back(std::move(p));
  }
  return out;
}
}  // namespace

std::optional<v1::Payment> OrderStore::FindPayment(pqxx::transaction_base& tx,
                                                   const std::string& order_id,
                                                   const std::string& provider,
                                                   const std::string& reference) {
  auto found = SelectPayments(tx, order_id, provider, reference, "");
  if (found.empty()) return std::nullopt;
  return found.front();
}

std::vector<v1::Payment> OrderStore::ListPayments(pqxx::transaction_base& tx,
                                                  const std::string& order_id,
                                                  const std::string& currency) {
  return SelectPayments(tx, order_id, "", "", currency);
}

void OrderStore::InsertRefund(pqxx::transaction_base& tx, const std::string& order_id,
                              const std::string& request_id, const std::string& request_hash,
                              const v1::Refund& refund) {
  tx.exec_prepared(kInsertRefund.name, refund.id(), order_id, request_id, request_hash,
                   refund.amount().amount_minor(), Bytes(refund.SerializeAsString()),
                   PgTime(refund.create_time()));
}

void OrderStore::InsertReturn(pqxx::transaction_base& tx, const std::string& request_id,
                              const std::string& request_hash, const v1::Return& ret) {
  tx.exec_prepared(kInsertReturn.name, ret.id(), ret.order_id(), request_id, request_hash,
                   Bytes(ret.SerializeAsString()), PgTime(ret.create_time()));
}

std::optional<OrderStore::ReturnByRequest> OrderStore::FindReturn(pqxx::transaction_base& tx,
                                                                  const std::string& request_id) {
  pqxx::result r = tx.exec_prepared(kFindReturn.name, request_id);
  if (r.empty()) return std::nullopt;
  ReturnByRequest out;
  out.order_id = r[0][0].as<std::string>();
  out.request_hash = r[0][1].as<std::string>();
  out.ret.ParseFromString(pg::FromBytes(r[0][2]));
  return out;
}

std::vector<v1::Return> OrderStore::ListReturns(pqxx::transaction_base& tx,
                                                const std::string& order_id) {
  std::vector<v1::Return> out;
  for (const auto& row : tx.exec_prepared(kListReturns.name, order_id)) {
    out.emplace_back().ParseFromString(pg::FromBytes(row[0]));
  }
  return out;
}

std::optional<OrderStore::RefundByRequest> OrderStore::FindRefund(pqxx::transaction_base& tx,
                                                                  const std::string& request_id) {
  pqxx::result r = tx.exec_prepared(kFindRefund.name, request_id);
  if (r.empty()) return std::nullopt;
  RefundByRequest out;
  out.order_id = r[0][0].as<std::string>();
  out.request_hash = r[0][1].as<std::string>();
  out.refund.ParseFromString(pg::FromBytes(r[0][2]));
  return out;
}

std::vector<v1::Refund> OrderStore::ListRefunds(pqxx::transaction_base& tx,
                                                const std::string& order_id) {
  std::vector<v1::Refund> out;
  for (const auto& row : tx.exec_prepared(kListRefunds.name, order_id)) {
    out.emplace_back().ParseFromString(pg::FromBytes(row[0]));
  }
  return out;
}

void OrderStore::InsertNote(pqxx::transaction_base& tx, const v1::OrderNote& note) {
  tx.exec_prepared(kInsertNote.name, note.id(), note.order_id(), note.text(),
                   static_cast<int>(note.visibility()), note.author(), PgTime(note.create_time()));
}

std::vector<v1::OrderNote> OrderStore::ListNotes(pqxx::transaction_base& tx,
                                                 const std::string& order_id,
                                                 v1::NoteVisibility visibility) {
  std::vector<v1::OrderNote> out;
  for (const auto& row : tx.exec_prepared(kListNotes.name, order_id, static_cast<int>(visibility))) {
    v1::OrderNote n;
    n.set_id(row[0].as<std::string>());
    n.set_order_id(order_id);
    n.set_text(row[1].as<std::string>());
    n.set_visibility(static_cast<v1::NoteVisibility>(row[2].as<int>()));
    n.set_author(row[3].as<std::string>());
    *n.mutable_create_time() = TimestampFromMicros(row[4].as<int64_t>());
    out.push_back(std::move(n));
  }
  return out;
}

int64_t OrderStore::CountUnprocessed(pqxx::transaction_base& tx) {
  return tx.exec_prepared1(kCountUnprocessed.name)[0].as<int64_t>();
}

std::vector<v1::Order> OrderStore::LockForErasure(pqxx::transaction_base& tx,
                                                  const std::string& customer_id,
                                                  const std::string& email_sha256) {
  std::vector<v1::Order> out;
  for (const auto& row : tx.exec_prepared(kLockForErasure.name, customer_id, email_sha256)) {
    out.push_back(ParseOrder(row[0]));
  }
  return out;
}

int OrderStore::ScrubFreeText(pqxx::transaction_base& tx, const std::string& order_id,
                              const std::vector<std::string>& erased) {
  int changed = 0;
  for (const auto& row : tx.exec_prepared(kListNoteTexts.name, order_id)) {
    const std::string text = row[1].as<std::string>();
    const std::string scrubbed = Scrub(text, erased);
    if (scrubbed != text) {
      tx.exec_prepared(kSetNoteText.name, row[0].as<std::string>(), scrubbed);
      ++changed;
    }
  }
  for (const auto& row : tx.exec_prepared(kListHistoryReasons.name, order_id)) {
    const std::string reason = row[1].as<std::string>();
    const std::string scrubbed = Scrub(reason, erased);
    if (scrubbed != reason) {
      tx.exec_prepared(kSetHistoryReason.name, row[0].as<int64_t>(), scrubbed);
      ++changed;
    }
  }
  return changed;
}

namespace {

// List's query: built from fixed fragments only; every value is a numbered
// parameter in `*params`.
std::string ListSql(const v1::OrderFilter& f, v1::OrderSortField sort, bool ascending,
                    const std::optional<KeysetCursor>& after, int limit,
                    std::vector<std::string>* out_params) {
  std::vector<std::string>& params = *out_params;
  std::vector<std::string> where;
  auto param = [&params](std::string value) {
    params.push_back(std::move(value));
    return absl::StrCat("$", params.size());
  };
  if (!f.statuses().empty()) {
    std::vector<std::string> values;
    for (int s : f.statuses()) values.push_back(absl::StrCat(s));
    where.push_back(absl::StrCat("status = ANY(", param(absl::StrCat("{", absl::StrJoin(values, ","), "}")),
                                 "::smallint[])"));
  }
  if (!f.customer_id().empty()) where.push_back(absl::StrCat("customer_id = ", param(f.customer_id()), "::uuid"));
  if (!f.email().empty()) {
    where.push_back(absl::StrCat("customer_email = ", param(absl::AsciiStrToLower(f.email()))));
  }
  if (f.number() != 0) where.push_back(absl::StrCat("number = ", param(absl::StrCat(f.number())), "::bigint"));
  if (f.has_create_time_from()) {
    where.push_back(absl::StrCat("created_at >= ", param(PgTime(f.create_time_from())), "::timestamptz"));
  }
  if (f.has_create_time_to()) {
    where.push_back(absl::StrCat("created_at < ", param(PgTime(f.create_time_to())), "::timestamptz"));
  }
  if (f.total().has_min_minor()) {
    where.push_back(absl::StrCat("total_minor >= ", param(absl::StrCat(f.total().min_minor())), "::bigint"));
  }
  if (f.total().has_max_minor()) {
    where.push_back(absl::StrCat("total_minor < ", param(absl::StrCat(f.total().max_minor())), "::bigint"));
  }
  if (!f.payment_methods().empty()) {
    std::vector<std::string> values;
    for (int m : f.payment_methods()) values.push_back(absl::StrCat(m));
    where.push_back(absl::StrCat("payment_method = ANY(",
                                 param(absl::StrCat("{", absl::StrJoin(values, ","), "}")), "::smallint[])"));
  }
  if (!f.delivery_methods().empty()) {
    std::vector<std::string> quoted;
    for (const auto& m : f.delivery_methods()) {
      quoted.push_back(absl::StrCat("\"", absl::StrReplaceAll(m, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\""));
    }
    where.push_back(absl::StrCat("delivery_method = ANY(",
                                 param(absl::StrCat("{", absl::StrJoin(quoted, ","), "}")), "::text[])"));
  }
  if (!f.query().empty()) {
    where.push_back(absl::StrCat("search_text LIKE ", param(ContainsPattern(f.query()))));
  }
  const bool by_total = sort == v1::ORDER_SORT_FIELD_TOTAL;
  const std::string column = by_total ? "total_minor" : "created_at";
  if (after.has_value()) {
    const std::string value =
        by_total ? absl::StrCat(param(absl::StrCat(after->sort_value)), "::bigint")
                 : absl::StrCat("('epoch'::timestamptz + ", param(absl::StrCat(after->sort_value)),
                                "::bigint * interval '1 microsecond')");
    where.push_back(absl::StrCat("(", column, ", id) ", ascending ? ">" : "<", " (", value, ", ",
                                 param(after->id), "::uuid)"));
  }
  const std::string dir = ascending ? "ASC" : "DESC";
  std::string sql = "SELECT body FROM orders";
  if (!where.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
  absl::StrAppend(&sql, " ORDER BY ", column, " ", dir, ", id ", dir, " LIMIT ",
                  param(absl::StrCat(limit + 1)), "::int");
  return sql;
}

}  // namespace

std::vector<v1::Order> OrderStore::List(pqxx::transaction_base& tx, const v1::OrderFilter& f,
                                        v1::OrderSortField sort, bool ascending,
                                        const std::optional<KeysetCursor>& after, int limit) {
  std::vector<std::string> params;
  const std::string sql = ListSql(f, sort, ascending, after, limit, &params);
  std::vector<v1::Order> out;
  for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.push_back(ParseOrder(row[0]));
  }
  return out;
}

void OrderStore::ListInto(pqxx::transaction_base& tx, const v1::OrderFilter& f,
                          v1::OrderSortField sort, bool ascending,
                          const std::optional<KeysetCursor>& after, int limit,
                          google::protobuf::Arena* arena, std::vector<v1::Order*>* out) {
  std::vector<std::string> params;
  const std::string sql = ListSql(f, sort, ascending, after, limit, &params);
  std::string body;
  for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    pg::FromBytes(row[0], &body);
    auto* order = google::protobuf::Arena::CreateMessage<v1::Order>(arena);
    if (!order->ParseFromString(body)) log::Error("corrupt order body");
    out->push_back(order);
  }
}

}  // namespace store::order
