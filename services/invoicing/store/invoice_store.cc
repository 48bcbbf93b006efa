#include "services/invoicing/store/invoice_store.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/log.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::invoicing {

using pg::Bytes;
using pg::PgTime;
namespace {

using google::protobuf::util::TimeUtil;

const pg::Statement kNextInSeries(
    "invoice_next_in_series",
    "INSERT INTO number_series (series, last_value) VALUES ($1, 1)"
    " ON CONFLICT (series) DO UPDATE SET last_value = number_series.last_value + 1"
    " RETURNING last_value");
const pg::Statement kInsert(
    "invoice_insert",
    "INSERT INTO invoices (id, kind, series, seq, number, status, order_id, customer_id,"
    " buyer_email, currency_code, net_total_minor, tax_total_minor, total_minor,"
    " credited_invoice_id, source_refund_id, body, issue_time, source_event_time)"
    " VALUES ($1::uuid, $2::smallint, $3, $4::bigint, $5, $6::smallint, $7::uuid,"
    " NULLIF($8, '')::uuid, $9, $10, $11::bigint, $12::bigint, $13::bigint,"
    " NULLIF($14, '')::uuid, NULLIF($15, '')::uuid, $16, $17::timestamptz,"
    " NULLIF($18, '')::timestamptz)"
    " ON CONFLICT DO NOTHING");
const pg::Statement kLoad("invoice_load", "SELECT body FROM invoices WHERE id = $1::uuid");
const pg::Statement kLoadForUpdate("invoice_load_for_update",
                                   "SELECT body FROM invoices WHERE id = $1::uuid FOR UPDATE");
// The order's current invoice: not one an edit replaced (status 3).
const pg::Statement kOfOrder(
    "invoice_of_order",
    "SELECT body FROM invoices WHERE order_id = $1::uuid AND kind = 1 AND status <> 3");
const pg::Statement kOfOrderForUpdate(
    "invoice_of_order_for_update",
    "SELECT body FROM invoices WHERE order_id = $1::uuid AND kind = 1 AND status <> 3"
    " FOR UPDATE");
const pg::Statement kUpdate("invoice_update",
                            "UPDATE invoices SET status = $2::smallint, body = $3 WHERE id = $1::uuid");
const pg::Statement kSaveSnapshot(
    "invoice_save_order_snapshot",
    "INSERT INTO order_snapshots (order_id, version, body, customer_id, buyer_email)"
    " VALUES ($1::uuid, $2::bigint, $3, NULLIF($4, '')::uuid, $5)"
    " ON CONFLICT (order_id) DO UPDATE SET version = excluded.version, body = excluded.body,"
    " customer_id = excluded.customer_id, buyer_email = excluded.buyer_email,"
    " updated_at = now() WHERE order_snapshots.version < excluded.version");
// CUS-13: a customer's documents, by id or by the SHA-256 of the buyer email.
const pg::Statement kErasable(
    "invoice_erasable",
    "SELECT id::text, order_id::text FROM invoices WHERE customer_id = NULLIF($1, '')::uuid"
    " OR ($2 <> '' AND buyer_email <> '' AND"
    "  encode(sha256(convert_to(buyer_email, 'UTF8')), 'hex') = $2) FOR UPDATE");
const pg::Statement kAnonymiseInvoice(
    "invoice_anonymise",
    "UPDATE invoices SET body = $2, buyer_email = '' WHERE id = $1::uuid");
const pg::Statement kDeleteSnapshots(
    "invoice_delete_snapshots",
    "DELETE FROM order_snapshots WHERE order_id = ANY($1::uuid[])"
    " OR customer_id = NULLIF($2, '')::uuid OR ($3 <> '' AND buyer_email <> '' AND"
    "  encode(sha256(convert_to(buyer_email, 'UTF8')), 'hex') = $3)");
const pg::Statement kDeleteSentEvents(
    "invoice_delete_sent_events",
    "DELETE FROM outbox WHERE aggregate_id = ANY($1::text[]) AND sent_at IS NOT NULL");
const pg::Statement kLoadSnapshot("invoice_load_order_snapshot",
                                  "SELECT body FROM order_snapshots WHERE order_id = $1::uuid");
const pg::Statement kLoadSettings("invoice_load_settings", "SELECT body FROM settings WHERE id = 1");
const pg::Statement kSaveSettings(
    "invoice_save_settings",
    "INSERT INTO settings (id, body, updated_at) VALUES (1, $1, now())"
    " ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = now()");


template <typename T>
T Parse(const pqxx::field& f) {
  pqxx::binarystring b(f);
  T out;
  if (!out.ParseFromArray(b.data(), static_cast<int>(b.size()))) log::Error("corrupt stored message");
  return out;
}



// WHERE clauses of a filter, built from fixed fragments; values are params.
std::string Where(const v1::InvoiceFilter& f, std::vector<std::string>& params) {
  std::vector<std::string> where;
  auto param = [&params](std::string v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  if (f.has_issue_time_from()) {
    where.push_back(absl::StrCat("issue_time >= ", param(PgTime(f.issue_time_from())), "::timestamptz"));
  }
  if (f.has_issue_time_to()) {
    where.push_back(absl::StrCat("issue_time < ", param(PgTime(f.issue_time_to())), "::timestamptz"));
  }
  if (!f.statuses().empty()) {
    std::vector<std::string> v;
    for (int s : f.statuses()) v.push_back(absl::StrCat(s));
    where.push_back(absl::StrCat("status = ANY(", param(absl::StrCat("{", absl::StrJoin(v, ","), "}")),
                                 "::smallint[])"));
  }
  if (f.kind() != v1::DOCUMENT_KIND_UNSPECIFIED) {
    where.push_back(absl::StrCat("kind = ", param(absl::StrCat(static_cast<int>(f.kind()))), "::smallint"));
  }
  if (!f.order_id().empty()) where.push_back(absl::StrCat("order_id = ", param(f.order_id()), "::uuid"));
  if (!f.customer_id().empty()) {
    where.push_back(absl::StrCat("customer_id = ", param(f.customer_id()), "::uuid"));
  }
  if (!f.email().empty()) {
    where.push_back(absl::StrCat("buyer_email = ", param(absl::AsciiStrToLower(f.email()))));
  }
  return where.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(where, " AND "));
}

}  // namespace

int64_t InvoiceStore::NextInSeries(pqxx::transaction_base& tx, const std::string& series) {
  return tx.exec_prepared1(kNextInSeries.name, series)[0].as<int64_t>();
}

bool InvoiceStore::Insert(pqxx::transaction_base& tx, const NewDocument& doc) {
  const v1::Invoice& inv = *doc.invoice;
  pqxx::result r = tx.exec_prepared(
      kInsert.name, inv.id(), static_cast<int>(inv.kind()), doc.series, doc.seq, inv.number(),
      static_cast<int>(inv.status()), inv.order_id(), inv.customer_id(),
      absl::AsciiStrToLower(inv.buyer().email()), inv.currency_code(),
      inv.net_total().amount_minor(), inv.tax_total().amount_minor(), inv.total().amount_minor(),
      inv.credited_invoice_id(), doc.source_refund_id, Bytes(inv.SerializeAsString()),
      PgTime(inv.issue_time()),
      doc.source_event_time.has_value() ? PgTime(*doc.source_event_time) : std::string());
  return r.affected_rows() == 1;
}

std::optional<v1::Invoice> InvoiceStore::Load(pqxx::transaction_base& tx, const std::string& id,
                                              bool for_update) {
  pqxx::result r = tx.exec_prepared(for_update ? kLoadForUpdate.name : kLoad.name, id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::Invoice>(r[0][0]);
}

std::optional<v1::Invoice> InvoiceStore::InvoiceOfOrder(pqxx::transaction_base& tx,
                                                        const std::string& order_id,
                                                        bool for_update) {
  pqxx::result r = tx.exec_prepared(for_update ? kOfOrderForUpdate.name : kOfOrder.name, order_id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::Invoice>(r[0][0]);
}

void InvoiceStore::Update(pqxx::transaction_base& tx, const v1::Invoice& invoice) {
  tx.exec_prepared(kUpdate.name, invoice.id(), static_cast<int>(invoice.status()),
                   Bytes(invoice.SerializeAsString()));
}

std::vector<v1::Invoice> InvoiceStore::List(pqxx::transaction_base& tx,
                                            const v1::InvoiceFilter& filter,
                                            const std::optional<KeysetCursor>& after, int limit) {
  std::vector<std::string> params;
  std::string sql = absl::StrCat("SELECT body FROM invoices", Where(filter, params));
  if (after.has_value()) {
    params.push_back(absl::StrCat(after->sort_value));
    params.push_back(after->id);
    absl::StrAppend(&sql, params.size() == 2 ? " WHERE " : " AND ",
                    "(issue_time, id) < ('epoch'::timestamptz + $", params.size() - 1,
                    "::bigint * interval '1 microsecond', $", params.size(), "::uuid)");
  }
  params.push_back(absl::StrCat(limit + 1));
  absl::StrAppend(&sql, " ORDER BY issue_time DESC, id DESC LIMIT $", params.size(), "::int");
  std::vector<v1::Invoice> out;
  for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.push_back(Parse<v1::Invoice>(row[0]));
  }
  return out;
}

std::vector<v1::CurrencyTotals> InvoiceStore::Totals(pqxx::transaction_base& tx,
                                                     const v1::InvoiceFilter& filter) {
  std::vector<std::string> params;
  const std::string sql = absl::StrCat(
      "SELECT currency_code, count(*),"
      " coalesce(sum(CASE WHEN kind = 2 THEN -net_total_minor WHEN status = 1 THEN net_total_minor"
      "  ELSE 0 END), 0),"
      " coalesce(sum(CASE WHEN kind = 2 THEN -tax_total_minor WHEN status = 1 THEN tax_total_minor"
      "  ELSE 0 END), 0),"
      " coalesce(sum(CASE WHEN kind = 2 THEN -total_minor WHEN status = 1 THEN total_minor"
      "  ELSE 0 END), 0)"
      " FROM invoices",
      Where(filter, params), " GROUP BY currency_code ORDER BY currency_code");
  std::vector<v1::CurrencyTotals> out;
  for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    v1::CurrencyTotals t;
    const std::string c = row[0].as<std::string>();
    t.set_currency_code(c);
    t.set_count(row[1].as<int64_t>());
    for (auto [field, col] : {std::pair{t.mutable_net_total(), 2}, {t.mutable_tax_total(), 3},
                              {t.mutable_total(), 4}}) {
      field->set_amount_minor(row[col].as<int64_t>());
      field->set_currency_code(c);
    }
    out.push_back(std::move(t));
  }
  return out;
}

void InvoiceStore::SaveOrderSnapshot(pqxx::transaction_base& tx, const order::v1::Order& order) {
  tx.exec_prepared(kSaveSnapshot.name, order.id(), order.version(), Bytes(order.SerializeAsString()),
                   order.customer().customer_id(), order.customer().email());
}

std::vector<std::pair<std::string, std::string>> InvoiceStore::ErasableDocuments(
    pqxx::transaction_base& tx, const std::string& customer_id, const std::string& email_sha256) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : tx.exec_prepared(kErasable.name, customer_id, email_sha256)) {
    out.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
  }
  return out;
}

void InvoiceStore::ReplaceAnonymised(pqxx::transaction_base& tx, const v1::Invoice& invoice) {
  tx.exec_prepared(kAnonymiseInvoice.name, invoice.id(), Bytes(invoice.SerializeAsString()));
}

int64_t InvoiceStore::ForgetCustomer(pqxx::transaction_base& tx,
                                     const std::vector<std::string>& order_ids,
                                     const std::vector<std::string>& invoice_ids,
                                     const std::string& customer_id,
                                     const std::string& email_sha256) {
  const std::string orders = absl::StrCat("{", absl::StrJoin(order_ids, ","), "}");
  const int64_t n =
      tx.exec_prepared(kDeleteSnapshots.name, orders, customer_id, email_sha256).affected_rows();
  // Invoice events are keyed by order id.
  tx.exec_prepared(kDeleteSentEvents.name, orders);
  (void)invoice_ids;
  return n;
}

std::optional<order::v1::Order> InvoiceStore::OrderSnapshot(pqxx::transaction_base& tx,
                                                            const std::string& order_id) {
  pqxx::result r = tx.exec_prepared(kLoadSnapshot.name, order_id);
  if (r.empty()) return std::nullopt;
  return Parse<order::v1::Order>(r[0][0]);
}

std::optional<v1::InvoicingSettings> InvoiceStore::LoadSettings(pqxx::transaction_base& tx) {
  pqxx::result r = tx.exec_prepared(kLoadSettings.name);
  if (r.empty()) return std::nullopt;
  return Parse<v1::InvoicingSettings>(r[0][0]);
}

void InvoiceStore::SaveSettings(pqxx::transaction_base& tx, const v1::InvoicingSettings& settings) {
  tx.exec_prepared(kSaveSettings.name, Bytes(settings.SerializeAsString()));
}

}  // namespace store::invoicing
