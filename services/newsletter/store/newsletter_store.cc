#include "services/newsletter/store/newsletter_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::newsletter {
namespace {

using pg::Bytes;
using pg::PgTime;

#define SUBSCRIBER_COLUMNS \
  "id::text, email, first_name, last_name, COALESCE(customer_id::text, ''), status, source," \
  " consent_ip, " STORE_PG_MICROS("consent_time") ", " STORE_PG_MICROS("confirm_time") ","   \
  " " STORE_PG_MICROS("unsubscribe_time") ", unsubscribe_reason, soft_bounces, version,"     \
  " " STORE_PG_MICROS("create_time") ", " STORE_PG_MICROS("update_time") ","                 \
  " email_sha256, COALESCE(request_id, ''), COALESCE(request_hash, '')"

const pg::Statement kById("nl_subscriber_by_id",
                          "SELECT " SUBSCRIBER_COLUMNS " FROM subscribers WHERE id = $1::uuid");
const pg::Statement kByIdForUpdate("nl_subscriber_by_id_for_update",
                                   "SELECT " SUBSCRIBER_COLUMNS
                                   " FROM subscribers WHERE id = $1::uuid FOR UPDATE");
const pg::Statement kByEmail("nl_subscriber_by_email",
                             "SELECT " SUBSCRIBER_COLUMNS " FROM subscribers WHERE email = $1");
const pg::Statement kByEmailForUpdate("nl_subscriber_by_email_for_update",
                                      "SELECT " SUBSCRIBER_COLUMNS
                                      " FROM subscribers WHERE email = $1 FOR UPDATE");
const pg::Statement kByRequestId("nl_subscriber_by_request_id",
                                 "SELECT " SUBSCRIBER_COLUMNS
                                 " FROM subscribers WHERE request_id = $1");
const pg::Statement kByConfirmToken("nl_subscriber_by_confirm_token",
                                    "SELECT " SUBSCRIBER_COLUMNS
                                    " FROM subscribers WHERE confirm_token_sha256 = $1"
                                    " AND confirm_expire_time > $2::timestamptz FOR UPDATE");
const pg::Statement kOfCustomer("nl_subscribers_of_customer",
                                "SELECT " SUBSCRIBER_COLUMNS
                                " FROM subscribers WHERE customer_id = NULLIF($1, '')::uuid"
                                " OR ($2 <> '' AND email_sha256 = $2) ORDER BY id FOR UPDATE");
const pg::Statement kInsertSubscriber(
    "nl_subscriber_insert",
    "INSERT INTO subscribers (id, email, email_sha256, first_name, last_name, customer_id, status,"
    " source, consent_ip, consent_time, confirm_time, unsubscribe_time, unsubscribe_reason,"
    " soft_bounces, request_id, request_hash, version, create_time, update_time)"
    " VALUES ($1::uuid, $2, encode(sha256(convert_to($2, 'UTF8')), 'hex'), $3, $4,"
    " NULLIF($5, '')::uuid, $6::smallint, $7, $8, NULLIF($9, '')::timestamptz,"
    " NULLIF($10, '')::timestamptz, NULLIF($11, '')::timestamptz, $12, $13::int,"
    " NULLIF($14, ''), NULLIF($15, ''), $16::bigint, $17::timestamptz, $18::timestamptz)");
const pg::Statement kUpdateSubscriber(
    "nl_subscriber_update",
    "UPDATE subscribers SET first_name = $2, last_name = $3, customer_id = NULLIF($4, '')::uuid,"
    " status = $5::smallint, source = $6, consent_ip = $7,"
    " consent_time = NULLIF($8, '')::timestamptz, confirm_time = NULLIF($9, '')::timestamptz,"
    " unsubscribe_time = NULLIF($10, '')::timestamptz, unsubscribe_reason = $11,"
    " soft_bounces = $12::int, version = $13::bigint, update_time = $14::timestamptz"
    " WHERE id = $1::uuid");
const pg::Statement kSetConfirmToken(
    "nl_subscriber_set_confirm_token",
    "UPDATE subscribers SET confirm_token_sha256 = NULLIF($2, ''),"
    " confirm_expire_time = NULLIF($3, '')::timestamptz WHERE id = $1::uuid");
const pg::Statement kConfirmExpiry(
    "nl_subscriber_confirm_expiry",
    "SELECT " STORE_PG_MICROS("confirm_expire_time")
    " FROM subscribers WHERE id = $1::uuid AND confirm_token_sha256 IS NOT NULL");
const pg::Statement kSetRequestId(
    "nl_subscriber_set_request_id",
    "UPDATE subscribers SET request_id = NULLIF($2, ''), request_hash = NULLIF($3, '')"
    " WHERE id = $1::uuid");
const pg::Statement kDeleteSubscriber("nl_subscriber_delete",
                                      "DELETE FROM subscribers WHERE id = $1::uuid");
const pg::Statement kAddConsent(
    "nl_consent_add",
    "INSERT INTO consent_records (subscriber_id, action, source, ip, actor, create_time)"
    " VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz)");

const pg::Statement kConsentOf(
    "nl_consent_of",
    "SELECT action, source, ip, actor, " STORE_PG_MICROS(
        "create_time") " FROM consent_records WHERE subscriber_id = $1::uuid ORDER BY id");
const pg::Statement kSuppressionEntriesOf(
    "nl_suppression_entries_of",
    "SELECT email, email_sha256, reason, detail, " STORE_PG_MICROS(
        "create_time") " FROM suppressions WHERE email_sha256 = $1 ORDER BY create_time");
const pg::Statement kAddSuppression(
    "nl_suppression_add",
    "INSERT INTO suppressions (email_sha256, reason, email, detail, create_time)"
    " VALUES ($1, $2::smallint, $3, $4, $5::timestamptz) ON CONFLICT DO NOTHING");
const pg::Statement kRemoveSuppressions(
    "nl_suppression_remove_all",
    "DELETE FROM suppressions WHERE email_sha256 = $1 AND reason <> 5");
const pg::Statement kRemoveSuppression(
    "nl_suppression_remove",
    "DELETE FROM suppressions WHERE email_sha256 = $1 AND reason = $2::smallint");
const pg::Statement kSuppressionsOf(
    "nl_suppressions_of",
    "SELECT reason FROM suppressions WHERE email_sha256 = $1 ORDER BY reason");

const pg::Statement kLoadNotice(
    "nl_notice_load", "SELECT enabled, customized, subject, html_body, text_body, " STORE_PG_MICROS(
                          "update_time") " FROM notice_templates WHERE type = $1::smallint");
const pg::Statement kSaveNotice(
    "nl_notice_save",
    "INSERT INTO notice_templates (type, enabled, customized, subject, html_body, text_body,"
    " update_time) VALUES ($1::smallint, $2::boolean, $3::boolean, $4, $5, $6, now())"
    " ON CONFLICT (type) DO UPDATE SET enabled = excluded.enabled,"
    " customized = excluded.customized, subject = excluded.subject,"
    " html_body = excluded.html_body, text_body = excluded.text_body, update_time = now()");

const pg::Statement kEnqueue(
    "nl_mail_enqueue",
    "INSERT INTO mails (id, dedupe_key, kind, notice_type, recipient, recipient_sha256,"
    " subscriber_id, subject, message, status, last_error, origin, create_time,"
    " next_attempt_time)"
    " VALUES ($1::uuid, $2, $3::smallint, $4::smallint, $5,"
    " encode(sha256(convert_to($5, 'UTF8')), 'hex'), NULLIF($6, '')::uuid, $7, $8,"
    " $9::smallint, $10, $11, $12::timestamptz, $12::timestamptz)"
    " ON CONFLICT (dedupe_key) DO NOTHING");
const pg::Statement kClaim(
    "nl_mail_claim",
    "WITH tx AS (SELECT id FROM mails WHERE status = 1 AND kind = 1"
    "  AND next_attempt_time <= $1::timestamptz"
    "  ORDER BY next_attempt_time, id LIMIT $2::int FOR UPDATE SKIP LOCKED),"
    " mk AS (SELECT id FROM mails WHERE status = 1 AND kind = 2"
    "  AND next_attempt_time <= $1::timestamptz ORDER BY next_attempt_time, id"
    "  LIMIT $2::int - (SELECT count(*) FROM tx) FOR UPDATE SKIP LOCKED),"
    " due AS (SELECT id FROM tx UNION ALL SELECT id FROM mk),"
    " claimed AS (UPDATE mails m SET status = 2, claimed_time = $1::timestamptz,"
    "  attempts = m.attempts + 1 FROM due WHERE m.id = due.id"
    "  RETURNING m.id, m.kind, m.recipient, m.recipient_sha256, m.subscriber_id, m.message,"
    "  m.attempts, m.campaign_id, m.next_attempt_time)"
    " SELECT c.id::text, c.kind, c.recipient, c.recipient_sha256,"
    " COALESCE(c.subscriber_id::text, ''), c.message, c.attempts, COALESCE(c.campaign_id::text, "
    "''),"
    " COALESCE(s.first_name, ''), COALESCE(s.last_name, ''), COALESCE(s.status, 0)"
    " FROM claimed c LEFT JOIN subscribers s ON s.id = c.subscriber_id"
    " ORDER BY c.kind, c.next_attempt_time, c.id");
const pg::Statement kTouch(
    "nl_mail_touch",
    "UPDATE mails SET claimed_time = $2::timestamptz WHERE id = $1::uuid AND status = 2");
const pg::Statement kTouchMany(
    "nl_mail_touch_many",
    "UPDATE mails SET claimed_time = $2::timestamptz WHERE id = ANY($1::uuid[]) AND status = 2"
    " RETURNING id::text");
const pg::Statement kSuppressionsOfMany(
    "nl_suppressions_of_many",
    "SELECT email_sha256, reason FROM suppressions WHERE email_sha256 = ANY($1::text[])");
const pg::Statement kMarkSentMany(
    "nl_mail_sent_many",
    "WITH reset AS (DELETE FROM soft_bounce_counts WHERE email_sha256 = ANY($3::text[]))"
    " UPDATE mails SET status = 3, sent_time = $2::timestamptz, last_error = '',"
    " claimed_time = NULL WHERE id = ANY($1::uuid[]) AND status = 2");
const pg::Statement kMarkSent(
    "nl_mail_sent",
    "WITH reset AS (DELETE FROM soft_bounce_counts WHERE email_sha256 = $3)"
    " UPDATE mails SET status = 3, sent_time = $2::timestamptz, last_error = '',"
    " claimed_time = NULL WHERE id = $1::uuid AND status = 2");
const pg::Statement kCountSoftBounce(
    "nl_soft_bounce_count",
    "INSERT INTO soft_bounce_counts (email_sha256, in_row, last_time)"
    " VALUES ($1, 1, $2::timestamptz) ON CONFLICT (email_sha256) DO UPDATE"
    " SET in_row = soft_bounce_counts.in_row + 1, last_time = excluded.last_time"
    " RETURNING in_row");
const pg::Statement kForgetSuppressed("nl_suppression_forget",
                                      "UPDATE suppressions SET email = '', detail = ''"
                                      " WHERE email_sha256 = $1");
const pg::Statement kForgetBounces("nl_soft_bounce_forget",
                                   "DELETE FROM soft_bounce_counts WHERE email_sha256 = $1");
const pg::Statement kMarkRetry(
    "nl_mail_retry",
    "UPDATE mails SET status = 1, last_error = $2, next_attempt_time = $3::timestamptz,"
    " claimed_time = NULL WHERE id = $1::uuid AND status = 2");
const pg::Statement kMarkFinal("nl_mail_final",
                               "UPDATE mails SET status = $2::smallint, last_error = $3,"
                               " claimed_time = NULL WHERE id = $1::uuid AND status = 2");
const pg::Statement kInterruptStale(
    "nl_mail_interrupt_stale",
    "UPDATE mails SET status = 6, last_error = 'the sender stopped while handing this mail over;"
    " not retried so that it is never sent twice' WHERE status = 2"
    " AND claimed_time < $1::timestamptz");
const pg::Statement kSuppressQueued(
    "nl_mail_suppress_queued",
    "UPDATE mails SET status = 4, last_error = $3 WHERE status = 1 AND recipient_sha256 = $1"
    " AND (NOT $2::boolean OR kind = 2)");
// With the opens and clicks of those mails (a link may hold the address).
const pg::Statement kDeleteMailsTo(
    "nl_mail_delete_to",
    "WITH gone AS (DELETE FROM mails WHERE recipient_sha256 = $1 RETURNING id),"
    " events AS (DELETE FROM mail_events WHERE mail_id IN (SELECT id FROM gone))"
    " SELECT count(*) FROM gone");
const pg::Statement kCountByStatus("nl_mail_count_by_status",
                                   "SELECT status, count(*) FROM mails GROUP BY status");

std::string OptTime(const google::protobuf::Timestamp& ts, bool has) {
  return has ? PgTime(ts) : std::string();
}

// Reads an optional micros column ("" = NULL).
bool SetTime(const pqxx::field& f, google::protobuf::Timestamp* out) {
  if (f.is_null()) return false;
  *out = pg::TimestampFromMicros(f.as<int64_t>());
  return true;
}

SubscriberRow RowOf(const pqxx::row& r) {
  SubscriberRow row;
  v1::Subscriber& s = row.subscriber;
  s.set_id(r[0].c_str());
  s.set_email(r[1].c_str());
  s.set_first_name(r[2].c_str());
  s.set_last_name(r[3].c_str());
  s.set_customer_id(r[4].c_str());
  s.set_status(static_cast<v1::SubscriberStatus>(r[5].as<int>()));
  s.set_source(r[6].c_str());
  s.set_consent_ip(r[7].c_str());
  if (!r[8].is_null()) SetTime(r[8], s.mutable_consent_time());
  if (!r[9].is_null()) SetTime(r[9], s.mutable_confirm_time());
  if (!r[10].is_null()) SetTime(r[10], s.mutable_unsubscribe_time());
  s.set_unsubscribe_reason(r[11].c_str());
  s.set_soft_bounces(r[12].as<int>());
  s.set_version(r[13].as<int64_t>());
  SetTime(r[14], s.mutable_create_time());
  SetTime(r[15], s.mutable_update_time());
  row.email_sha256 = r[16].c_str();
  row.request_id = r[17].c_str();
  row.request_hash = r[18].c_str();
  return row;
}

std::optional<SubscriberRow> One(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return RowOf(r[0]);
}

// The WHERE clause of a subscriber listing; values go to `params`.
std::string SubscriberWhere(const v1::ListSubscribersRequest& f, std::vector<std::string>& params,
                            int& n) {
  std::vector<std::string> where;
  if (!f.statuses().empty()) {
    std::vector<std::string> v;
    for (int s : f.statuses()) v.push_back(absl::StrCat(s));
    params.push_back(absl::StrCat("{", absl::StrJoin(v, ","), "}"));
    where.push_back(absl::StrCat("status = ANY($", ++n, "::smallint[])"));
  }
  if (!f.text().empty()) {
    params.push_back(pg::ContainsPattern(f.text()));
    where.push_back(
        absl::StrCat("lower(email || ' ' || first_name || ' ' || last_name) LIKE $", ++n));
  }
  return absl::StrJoin(where, " AND ");
}

}  // namespace

std::optional<SubscriberRow> NewsletterStore::SubscriberById(pqxx::transaction_base& tx,
                                                             const std::string& id,
                                                             bool for_update) {
  return One(tx.exec_prepared(for_update ? kByIdForUpdate.name : kById.name, id));
}

std::optional<SubscriberRow> NewsletterStore::SubscriberByEmail(pqxx::transaction_base& tx,
                                                                const std::string& email,
                                                                bool for_update) {
  return One(tx.exec_prepared(for_update ? kByEmailForUpdate.name : kByEmail.name, email));
}

std::optional<SubscriberRow> NewsletterStore::SubscriberByRequestId(pqxx::transaction_base& tx,
                                                                    const std::string& request_id) {
  return One(tx.exec_prepared(kByRequestId.name, request_id));
}

std::optional<SubscriberRow> NewsletterStore::SubscriberByConfirmToken(
    pqxx::transaction_base& tx, const std::string& token_sha256, absl::Time now) {
  return One(tx.exec_prepared(kByConfirmToken.name, token_sha256, PgTime(now)));
}

void NewsletterStore::SetRequestId(pqxx::transaction_base& tx, const std::string& subscriber_id,
                                   const std::string& request_id, const std::string& request_hash) {
  tx.exec_prepared(kSetRequestId.name, subscriber_id, request_id, request_hash);
}

std::vector<SubscriberRow> NewsletterStore::SubscribersOfCustomer(pqxx::transaction_base& tx,
                                                                  const std::string& customer_id,
                                                                  const std::string& email_sha256) {
  std::vector<SubscriberRow> out;
  for (const auto& r : tx.exec_prepared(kOfCustomer.name, customer_id, email_sha256)) {
    out.push_back(RowOf(r));
  }
  return out;
}

void NewsletterStore::InsertSubscriber(pqxx::transaction_base& tx, const SubscriberRow& row) {
  const v1::Subscriber& s = row.subscriber;
  tx.exec_prepared(kInsertSubscriber.name, s.id(), s.email(), s.first_name(), s.last_name(),
                   s.customer_id(), static_cast<int>(s.status()), s.source(), s.consent_ip(),
                   OptTime(s.consent_time(), s.has_consent_time()),
                   OptTime(s.confirm_time(), s.has_confirm_time()),
                   OptTime(s.unsubscribe_time(), s.has_unsubscribe_time()), s.unsubscribe_reason(),
                   s.soft_bounces(), row.request_id, row.request_hash, s.version(),
                   PgTime(s.create_time()), PgTime(s.update_time()));
}

void NewsletterStore::UpdateSubscriber(pqxx::transaction_base& tx, const v1::Subscriber& s) {
  tx.exec_prepared(kUpdateSubscriber.name, s.id(), s.first_name(), s.last_name(), s.customer_id(),
                   static_cast<int>(s.status()), s.source(), s.consent_ip(),
                   OptTime(s.consent_time(), s.has_consent_time()),
                   OptTime(s.confirm_time(), s.has_confirm_time()),
                   OptTime(s.unsubscribe_time(), s.has_unsubscribe_time()), s.unsubscribe_reason(),
                   s.soft_bounces(), s.version(), PgTime(s.update_time()));
}

void NewsletterStore::SetConfirmToken(pqxx::transaction_base& tx, const std::string& subscriber_id,
                                      const std::string& token_sha256,
                                      std::optional<absl::Time> expire) {
  tx.exec_prepared(kSetConfirmToken.name, subscriber_id, token_sha256,
                   expire.has_value() ? PgTime(*expire) : std::string());
}

std::optional<absl::Time> NewsletterStore::ConfirmTokenExpiry(pqxx::transaction_base& tx,
                                                              const std::string& subscriber_id) {
  pqxx::result r = tx.exec_prepared(kConfirmExpiry.name, subscriber_id);
  if (r.empty() || r[0][0].is_null()) return std::nullopt;
  return absl::FromUnixMicros(r[0][0].as<int64_t>());
}

void NewsletterStore::DeleteSubscriber(pqxx::transaction_base& tx, const std::string& id) {
  tx.exec_prepared(kDeleteSubscriber.name, id);
}

void NewsletterStore::AddConsentRecord(pqxx::transaction_base& tx, const std::string& subscriber_id,
                                       const std::string& action, const std::string& source,
                                       const std::string& ip, const std::string& actor,
                                       absl::Time now) {
  tx.exec_prepared(kAddConsent.name, subscriber_id, action, source, ip, actor, PgTime(now));
}

std::vector<v1::Subscriber> NewsletterStore::ListSubscribers(
    pqxx::transaction_base& tx, const v1::ListSubscribersRequest& filter,
    const std::optional<KeysetCursor>& after, int limit) {
  std::vector<std::string> params;
  int n = 0;
  std::string where = SubscriberWhere(filter, params, n);
  if (after.has_value()) {
    params.push_back(PgTime(absl::FromUnixMicros(after->sort_value)));
    params.push_back(after->id);
    absl::StrAppend(&where, where.empty() ? "" : " AND ", "(create_time, id) < ($", n + 1,
                    "::timestamptz, $", n + 2, "::uuid)");
    n += 2;
  }
  params.push_back(absl::StrCat(limit + 1));
  const std::string sql =
      absl::StrCat("SELECT " SUBSCRIBER_COLUMNS " FROM subscribers", where.empty() ? "" : " WHERE ",
                   where, " ORDER BY create_time DESC, id DESC LIMIT $", n + 1, "::int");
  std::vector<v1::Subscriber> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params)))
    out.push_back(RowOf(r).subscriber);
  return out;
}

int64_t NewsletterStore::CountSubscribers(pqxx::transaction_base& tx,
                                          const v1::ListSubscribersRequest& filter) {
  std::vector<std::string> params;
  int n = 0;
  const std::string where = SubscriberWhere(filter, params, n);
  const std::string sql =
      absl::StrCat("SELECT count(*) FROM subscribers", where.empty() ? "" : " WHERE ", where);
  return tx.exec_params1(sql, pqxx::prepare::make_dynamic_params(params))[0].as<int64_t>();
}

std::vector<v1::ConsentEntry> NewsletterStore::ConsentRecordsOf(pqxx::transaction_base& tx,
                                                                const std::string& subscriber_id) {
  std::vector<v1::ConsentEntry> out;
  for (const auto& r : tx.exec_prepared(kConsentOf.name, subscriber_id)) {
    v1::ConsentEntry e;
    e.set_subscriber_id(subscriber_id);
    e.set_action(r[0].c_str());
    e.set_source(r[1].c_str());
    e.set_ip(r[2].c_str());
    e.set_actor(r[3].c_str());
    SetTime(r[4], e.mutable_create_time());
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<v1::Suppression> NewsletterStore::SuppressionEntriesOf(
    pqxx::transaction_base& tx, const std::string& email_sha256) {
  std::vector<v1::Suppression> out;
  for (const auto& r : tx.exec_prepared(kSuppressionEntriesOf.name, email_sha256)) {
    v1::Suppression s;
    s.set_email(r[0].c_str());
    s.set_email_sha256(r[1].c_str());
    s.set_reason(static_cast<v1::SuppressionReason>(r[2].as<int>()));
    s.set_detail(r[3].c_str());
    SetTime(r[4], s.mutable_create_time());
    out.push_back(std::move(s));
  }
  return out;
}

bool NewsletterStore::AddSuppression(pqxx::transaction_base& tx, const v1::Suppression& s) {
  return tx.exec_prepared(kAddSuppression.name, s.email_sha256(), static_cast<int>(s.reason()),
                          s.email(), s.detail(), PgTime(s.create_time()))
             .affected_rows() == 1;
}

int NewsletterStore::RemoveSuppressions(pqxx::transaction_base& tx,
                                        const std::string& email_sha256) {
  return static_cast<int>(tx.exec_prepared(kRemoveSuppressions.name, email_sha256).affected_rows());
}

void NewsletterStore::RemoveSuppression(pqxx::transaction_base& tx, const std::string& email_sha256,
                                        v1::SuppressionReason reason) {
  tx.exec_prepared(kRemoveSuppression.name, email_sha256, static_cast<int>(reason));
}

std::vector<v1::SuppressionReason> NewsletterStore::SuppressionsOf(
    pqxx::transaction_base& tx, const std::string& email_sha256) {
  std::vector<v1::SuppressionReason> out;
  for (const auto& r : tx.exec_prepared(kSuppressionsOf.name, email_sha256)) {
    out.push_back(static_cast<v1::SuppressionReason>(r[0].as<int>()));
  }
  return out;
}

std::vector<v1::Suppression> NewsletterStore::ListSuppressions(
    pqxx::transaction_base& tx, const std::string& text, const std::optional<KeysetCursor>& after,
    int limit) {
  std::vector<std::string> params;
  std::vector<std::string> where;
  int n = 0;
  if (!text.empty()) {
    params.push_back(pg::ContainsPattern(text));
    where.push_back(absl::StrCat("lower(email) LIKE $", ++n));
  }
  if (after.has_value()) {
    // The cursor's id is "<sha256>:<reason>".
    const size_t colon = after->id.find(':');
    params.push_back(PgTime(absl::FromUnixMicros(after->sort_value)));
    params.push_back(after->id.substr(0, colon));
    params.push_back(colon == std::string::npos ? std::string("0") : after->id.substr(colon + 1));
    where.push_back(absl::StrCat("(create_time, email_sha256, reason) < ($", n + 1,
                                 "::timestamptz, $", n + 2, ", $", n + 3, "::smallint)"));
    n += 3;
  }
  params.push_back(absl::StrCat(limit + 1));
  const std::string sql = absl::StrCat(
      "SELECT email, email_sha256, reason, detail, " STORE_PG_MICROS("create_time"),
      " FROM suppressions", where.empty() ? "" : " WHERE ", absl::StrJoin(where, " AND "),
      " ORDER BY create_time DESC, email_sha256 DESC, reason DESC LIMIT $", n + 1, "::int");
  std::vector<v1::Suppression> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    v1::Suppression s;
    s.set_email(r[0].c_str());
    s.set_email_sha256(r[1].c_str());
    s.set_reason(static_cast<v1::SuppressionReason>(r[2].as<int>()));
    s.set_detail(r[3].c_str());
    SetTime(r[4], s.mutable_create_time());
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<v1::NoticeTemplate> NewsletterStore::LoadNotice(pqxx::transaction_base& tx,
                                                              v1::NoticeType type) {
  pqxx::result r = tx.exec_prepared(kLoadNotice.name, static_cast<int>(type));
  if (r.empty()) return std::nullopt;
  v1::NoticeTemplate t;
  t.set_type(type);
  t.set_enabled(r[0][0].as<bool>());
  t.set_customized(r[0][1].as<bool>());
  t.set_subject(r[0][2].c_str());
  t.set_html_body(r[0][3].c_str());
  t.set_text_body(r[0][4].c_str());
  SetTime(r[0][5], t.mutable_update_time());
  return t;
}

void NewsletterStore::SaveNotice(pqxx::transaction_base& tx, const v1::NoticeTemplate& t) {
  tx.exec_prepared(kSaveNotice.name, static_cast<int>(t.type()), t.enabled(), t.customized(),
                   t.subject(), t.html_body(), t.text_body());
}

bool NewsletterStore::EnqueueMail(pqxx::transaction_base& tx, const NewMail& m) {
  return tx.exec_prepared(kEnqueue.name, m.id, m.dedupe_key, static_cast<int>(m.kind),
                          static_cast<int>(m.notice_type), m.recipient, m.subscriber_id, m.subject,
                          Bytes(m.message), static_cast<int>(m.status), m.last_error, m.origin,
                          PgTime(m.now))
             .affected_rows() == 1;
}

std::vector<ClaimedMail> NewsletterStore::ClaimDue(pqxx::transaction_base& tx, absl::Time now,
                                                   int limit) {
  std::vector<ClaimedMail> out;
  for (const auto& r : tx.exec_prepared(kClaim.name, PgTime(now), limit)) {
    ClaimedMail m;
    m.id = r[0].c_str();
    m.kind = static_cast<v1::MailKind>(r[1].as<int>());
    m.recipient = r[2].c_str();
    m.recipient_sha256 = r[3].c_str();
    m.subscriber_id = r[4].c_str();
    m.message = pg::FromBytes(r[5]);
    m.attempts = r[6].as<int>();
    m.campaign_id = r[7].c_str();
    m.first_name = r[8].c_str();
    m.last_name = r[9].c_str();
    m.subscriber_status = static_cast<v1::SubscriberStatus>(r[10].as<int>());
    out.push_back(std::move(m));
  }
  return out;
}

bool NewsletterStore::Touch(pqxx::transaction_base& tx, const std::string& id, absl::Time now) {
  return tx.exec_prepared(kTouch.name, id, PgTime(now)).affected_rows() == 1;
}

std::set<std::string> NewsletterStore::TouchMany(pqxx::transaction_base& tx,
                                                 const std::vector<std::string>& ids,
                                                 absl::Time now) {
  std::set<std::string> out;
  for (const auto& r : tx.exec_prepared(kTouchMany.name, pg::TextArray(ids), PgTime(now))) {
    out.insert(r[0].c_str());
  }
  return out;
}

std::map<std::string, std::vector<v1::SuppressionReason>> NewsletterStore::SuppressionsOfMany(
    pqxx::transaction_base& tx, const std::vector<std::string>& email_sha256s) {
  std::map<std::string, std::vector<v1::SuppressionReason>> out;
  for (const auto& r : tx.exec_prepared(kSuppressionsOfMany.name, pg::TextArray(email_sha256s))) {
    out[r[0].c_str()].push_back(static_cast<v1::SuppressionReason>(r[1].as<int>()));
  }
  return out;
}

void NewsletterStore::MarkSentMany(pqxx::transaction_base& tx, const std::vector<std::string>& ids,
                                   const std::vector<std::string>& recipient_sha256s,
                                   absl::Time now) {
  tx.exec_prepared(kMarkSentMany.name, pg::TextArray(ids), PgTime(now),
                   pg::TextArray(recipient_sha256s));
}

void NewsletterStore::MarkSent(pqxx::transaction_base& tx, const std::string& id,
                               const std::string& recipient_sha256, absl::Time now) {
  tx.exec_prepared(kMarkSent.name, id, PgTime(now), recipient_sha256);
}

int NewsletterStore::CountSoftBounce(pqxx::transaction_base& tx, const std::string& email_sha256,
                                     absl::Time now) {
  return tx.exec_prepared1(kCountSoftBounce.name, email_sha256, PgTime(now))[0].as<int>();
}

void NewsletterStore::ForgetAddress(pqxx::transaction_base& tx, const std::string& email_sha256) {
  tx.exec_prepared(kForgetSuppressed.name, email_sha256);
  tx.exec_prepared(kForgetBounces.name, email_sha256);
}

void NewsletterStore::MarkRetry(pqxx::transaction_base& tx, const std::string& id,
                                const std::string& error, absl::Time next) {
  tx.exec_prepared(kMarkRetry.name, id, error, PgTime(next));
}

void NewsletterStore::MarkFinal(pqxx::transaction_base& tx, const std::string& id,
                                v1::MailStatus status, const std::string& error) {
  tx.exec_prepared(kMarkFinal.name, id, static_cast<int>(status), error);
}

int64_t NewsletterStore::InterruptStale(pqxx::transaction_base& tx, absl::Time before) {
  return tx.exec_prepared(kInterruptStale.name, PgTime(before)).affected_rows();
}

int64_t NewsletterStore::SuppressQueued(pqxx::transaction_base& tx, const std::string& email_sha256,
                                        bool marketing_only, const std::string& why) {
  return tx.exec_prepared(kSuppressQueued.name, email_sha256, marketing_only, why).affected_rows();
}

int64_t NewsletterStore::DeleteMailsTo(pqxx::transaction_base& tx,
                                       const std::string& email_sha256) {
  return tx.exec_prepared1(kDeleteMailsTo.name, email_sha256)[0].as<int64_t>();
}

std::vector<v1::Mail> NewsletterStore::ListMails(pqxx::transaction_base& tx,
                                                 const v1::ListMailsRequest& f,
                                                 const std::optional<KeysetCursor>& after,
                                                 int limit) {
  std::vector<std::string> params;
  std::vector<std::string> where;
  int n = 0;
  if (!f.recipient().empty()) {
    params.push_back(f.recipient());
    where.push_back(absl::StrCat("recipient = $", ++n));
  }
  if (!f.statuses().empty()) {
    std::vector<std::string> v;
    for (int s : f.statuses()) v.push_back(absl::StrCat(s));
    params.push_back(absl::StrCat("{", absl::StrJoin(v, ","), "}"));
    where.push_back(absl::StrCat("status = ANY($", ++n, "::smallint[])"));
  }
  if (f.notice_type() != v1::NOTICE_TYPE_UNSPECIFIED) {
    params.push_back(absl::StrCat(static_cast<int>(f.notice_type())));
    where.push_back(absl::StrCat("notice_type = $", ++n, "::smallint"));
  }
  if (after.has_value()) {
    params.push_back(PgTime(absl::FromUnixMicros(after->sort_value)));
    params.push_back(after->id);
    where.push_back(
        absl::StrCat("(create_time, id) < ($", n + 1, "::timestamptz, $", n + 2, "::uuid)"));
    n += 2;
  }
  params.push_back(absl::StrCat(limit + 1));
  const std::string sql = absl::StrCat(
      "SELECT id::text, kind, notice_type, recipient, subject, status, attempts, last_error,"
      " origin, " STORE_PG_MICROS("create_time") ", " STORE_PG_MICROS(
          "next_attempt_time") ", " STORE_PG_MICROS("sent_time") ","
      " COALESCE(campaign_id::text, '') FROM mails",
      where.empty() ? "" : " WHERE ", absl::StrJoin(where, " AND "),
      " ORDER BY create_time DESC, id DESC LIMIT $", n + 1, "::int");
  std::vector<v1::Mail> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    v1::Mail m;
    m.set_id(r[0].c_str());
    m.set_kind(static_cast<v1::MailKind>(r[1].as<int>()));
    m.set_notice_type(static_cast<v1::NoticeType>(r[2].as<int>()));
    m.set_recipient(r[3].c_str());
    m.set_subject(r[4].c_str());
    m.set_status(static_cast<v1::MailStatus>(r[5].as<int>()));
    m.set_attempts(r[6].as<int>());
    m.set_last_error(r[7].c_str());
    m.set_origin(r[8].c_str());
    SetTime(r[9], m.mutable_create_time());
    if (m.status() == v1::MAIL_STATUS_QUEUED) SetTime(r[10], m.mutable_next_attempt_time());
    SetTime(r[11], m.mutable_sent_time());
    m.set_campaign_id(r[12].c_str());
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::pair<int, int64_t>> NewsletterStore::CountMailsByStatus(
    pqxx::transaction_base& tx) {
  std::vector<std::pair<int, int64_t>> out;
  for (const auto& r : tx.exec_prepared(kCountByStatus.name)) {
    out.emplace_back(r[0].as<int>(), r[1].as<int64_t>());
  }
  return out;
}

}  // namespace store::newsletter
