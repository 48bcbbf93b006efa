#include "services/newsletter/store/campaign_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::newsletter {
namespace {

using pg::PgTime;

#define CAMPAIGN_COLUMNS \
  "id::text, name, type, subject, html_body, text_body, segment_id, status,"                  \
  " " STORE_PG_MICROS("schedule_time") ", " STORE_PG_MICROS("send_start_time") ","            \
  " " STORE_PG_MICROS("sent_time") ", " STORE_PG_MICROS("cancel_time") ", recipients, version," \
  " " STORE_PG_MICROS("create_time") ", " STORE_PG_MICROS("update_time") ", queue_cursor,"    \
  " COALESCE(request_id, ''), COALESCE(request_hash, '')"

const pg::Statement kInsert(
    "nl_campaign_insert",
    "INSERT INTO campaigns (id, name, type, subject, html_body, text_body, segment_id, status,"
    " request_id, request_hash, version, create_time, update_time)"
    " VALUES ($1::uuid, $2, $3::smallint, $4, $5, $6, $7, $8::smallint, NULLIF($9, ''),"
    " NULLIF($10, ''), $11::bigint, $12::timestamptz, $12::timestamptz)");
const pg::Statement kUpdate(
    "nl_campaign_update",
    "UPDATE campaigns SET name = $2, type = $3::smallint, subject = $4, html_body = $5,"
    " text_body = $6, segment_id = $7, status = $8::smallint,"
    " schedule_time = NULLIF($9, '')::timestamptz, send_start_time = NULLIF($10, '')::timestamptz,"
    " sent_time = NULLIF($11, '')::timestamptz, cancel_time = NULLIF($12, '')::timestamptz,"
    " version = $13::bigint, update_time = $14::timestamptz WHERE id = $1::uuid");
const pg::Statement kLoad("nl_campaign_load",
                          "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = $1::uuid");
const pg::Statement kLoadForUpdate("nl_campaign_load_for_update",
                                   "SELECT " CAMPAIGN_COLUMNS
                                   " FROM campaigns WHERE id = $1::uuid FOR UPDATE");
const pg::Statement kByRequestId("nl_campaign_by_request_id",
                                 "SELECT " CAMPAIGN_COLUMNS
                                 " FROM campaigns WHERE request_id = $1");
const pg::Statement kStartDue(
    "nl_campaign_start_due",
    "UPDATE campaigns SET status = 3, send_start_time = $1::timestamptz, version = version + 1,"
    " update_time = $1::timestamptz WHERE status = 2 AND schedule_time <= $1::timestamptz"
    " RETURNING id::text");
const pg::Statement kNextSending("nl_campaign_next_sending",
                                 "SELECT " CAMPAIGN_COLUMNS
                                 " FROM campaigns WHERE status = 3 ORDER BY send_start_time, id"
                                 " LIMIT 1 FOR UPDATE SKIP LOCKED");
// The recipients of one batch go in with one statement; ON CONFLICT keeps it
// to one mail per recipient whatever is repeated.
#define QUEUE_INSERT                                                                            \
  " ins AS (INSERT INTO mails (id, dedupe_key, kind, notice_type, recipient, recipient_sha256," \
  "  subscriber_id, subject, message, status, origin, create_time, next_attempt_time,"          \
  "  campaign_id)"                                                                              \
  "  SELECT gen_random_uuid(), 'campaign:' || $1 || ':' || b.id::text, 2, 0, b.email,"          \
  "  b.email_sha256, b.id, $2, ''::bytea, 1, 'campaign:' || $1, $3::timestamptz,"               \
  "  $3::timestamptz, $1::uuid FROM batch b ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1)"
const pg::Statement kQueueSubscribers(
    "nl_campaign_queue_subscribers",
    "WITH scan AS (SELECT s.id, s.email, s.email_sha256, EXISTS"
    "  (SELECT 1 FROM suppressions x WHERE x.email_sha256 = s.email_sha256) AS blocked"
    "  FROM subscribers s WHERE s.status = 2 AND s.id > $4::uuid ORDER BY s.id LIMIT $5::int),"
    " batch AS (SELECT id, email, email_sha256 FROM scan WHERE NOT blocked)," QUEUE_INSERT
    " SELECT (SELECT count(*) FROM scan), (SELECT count(*) FROM ins),"
    " COALESCE((SELECT id::text FROM scan ORDER BY id DESC LIMIT 1), '')");
const pg::Statement kQueueEmails(
    "nl_campaign_queue_emails",
    "WITH batch AS (SELECT s.id, s.email, s.email_sha256 FROM subscribers s"
    "  WHERE s.status = 2 AND s.email = ANY($4::text[]) AND NOT EXISTS"
    "  (SELECT 1 FROM suppressions x WHERE x.email_sha256 = s.email_sha256))," QUEUE_INSERT
    " SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM ins), ''");
const pg::Statement kSetProgress(
    "nl_campaign_set_progress",
    "UPDATE campaigns SET queue_cursor = $2, recipients = recipients + $3::bigint"
    " WHERE id = $1::uuid");
const pg::Statement kStats("nl_campaign_stats",
                           "SELECT campaign_id::text, status, count(*) FROM mails"
                           " WHERE campaign_id = ANY($1::uuid[]) GROUP BY 1, 2");
const pg::Statement kUnsubscribes("nl_campaign_unsubscribes",
                                  "SELECT campaign_id::text, count(*) FROM campaign_unsubscribes"
                                  " WHERE campaign_id = ANY($1::uuid[]) GROUP BY 1");
const pg::Statement kDropQueued(
    "nl_campaign_drop_queued",
    "UPDATE mails SET status = 4, last_error = $2 WHERE campaign_id = $1::uuid AND status = 1");
const pg::Statement kRecordEvent(
    "nl_mail_event_add",
    "INSERT INTO mail_events (mail_id, campaign_id, kind, url, create_time)"
    " SELECT id, campaign_id, $2::smallint, $3, $4::timestamptz FROM mails WHERE id = $1::uuid");
const pg::Statement kRecordConversion(
    "nl_conversion_add",
    "INSERT INTO conversions (order_id, campaign_id, mail_id, amount_minor, currency_code,"
    " create_time) SELECT $1::uuid, m.campaign_id, m.id, $3::bigint, $4, $5::timestamptz"
    " FROM mails m WHERE m.recipient_sha256 = $2 AND m.campaign_id IS NOT NULL AND m.status = 3"
    " AND m.sent_time <= $5::timestamptz AND m.sent_time >= $6::timestamptz"
    " ORDER BY m.sent_time DESC LIMIT 1 ON CONFLICT (order_id) DO NOTHING");
const pg::Statement kEventStats(
    "nl_campaign_event_stats",
    "SELECT campaign_id::text, kind, count(*), count(DISTINCT mail_id) FROM mail_events"
    " WHERE campaign_id = ANY($1::uuid[]) GROUP BY 1, 2");
const pg::Statement kConversionStats(
    "nl_campaign_conversion_stats",
    "SELECT campaign_id::text, count(*), COALESCE(sum(amount_minor), 0)::bigint,"
    " COALESCE(max(currency_code), '') FROM conversions"
    " WHERE campaign_id = ANY($1::uuid[]) GROUP BY 1");
const pg::Statement kStartedSince(
    "nl_campaign_started_since",
    "SELECT " CAMPAIGN_COLUMNS
    " FROM campaigns WHERE status IN (3, 4)"
    " AND send_start_time >= $1::timestamptz ORDER BY send_start_time, id");
const pg::Statement kPublishedStats("nl_campaign_published_stats",
                                    "SELECT campaign_id::text, stats FROM campaign_stats_published"
                                    " WHERE campaign_id = ANY($1::uuid[])");
const pg::Statement kSavePublishedStats(
    "nl_campaign_save_published_stats",
    "INSERT INTO campaign_stats_published (campaign_id, stats, publish_time)"
    " VALUES ($1::uuid, $2, $3::timestamptz) ON CONFLICT (campaign_id) DO UPDATE"
    " SET stats = excluded.stats, publish_time = excluded.publish_time");
const pg::Statement kAddUnsubscribe(
    "nl_campaign_add_unsubscribe",
    "INSERT INTO campaign_unsubscribes (campaign_id, subscriber_id, create_time)"
    " VALUES ($1::uuid, $2::uuid, $3::timestamptz) ON CONFLICT DO NOTHING");

void SetTime(const pqxx::field& f, google::protobuf::Timestamp* out) {
  if (!f.is_null()) *out = pg::TimestampFromMicros(f.as<int64_t>());
}

std::string OptTime(const google::protobuf::Timestamp& ts, bool has) {
  return has ? PgTime(ts) : std::string();
}

CampaignRow RowOf(const pqxx::row& r) {
  CampaignRow row;
  v1::Campaign& c = row.campaign;
  c.set_id(r[0].c_str());
  c.set_name(r[1].c_str());
  c.set_type(static_cast<v1::CampaignType>(r[2].as<int>()));
  c.set_subject(r[3].c_str());
  c.set_html_body(r[4].c_str());
  c.set_text_body(r[5].c_str());
  c.set_segment_id(r[6].c_str());
  c.set_status(static_cast<v1::CampaignStatus>(r[7].as<int>()));
  SetTime(r[8], c.mutable_schedule_time());
  SetTime(r[9], c.mutable_send_start_time());
  SetTime(r[10], c.mutable_sent_time());
  SetTime(r[11], c.mutable_cancel_time());
  if (r[8].is_null()) c.clear_schedule_time();
  if (r[9].is_null()) c.clear_send_start_time();
  if (r[10].is_null()) c.clear_sent_time();
  if (r[11].is_null()) c.clear_cancel_time();
  c.mutable_stats()->set_recipients(r[12].as<int64_t>());
  c.set_version(r[13].as<int64_t>());
  SetTime(r[14], c.mutable_create_time());
  SetTime(r[15], c.mutable_update_time());
  row.queue_cursor = r[16].c_str();
  row.request_id = r[17].c_str();
  row.request_hash = r[18].c_str();
  return row;
}

std::optional<CampaignRow> One(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return RowOf(r[0]);
}

QueuedBatch BatchOf(const pqxx::row& r) {
  return {.scanned = r[0].as<int64_t>(), .queued = r[1].as<int64_t>(), .last_id = r[2].c_str()};
}

}  // namespace

void CampaignStore::Insert(pqxx::transaction_base& tx, const CampaignRow& row) {
  const v1::Campaign& c = row.campaign;
  tx.exec_prepared(kInsert.name, c.id(), c.name(), static_cast<int>(c.type()), c.subject(),
                   c.html_body(), c.text_body(), c.segment_id(), static_cast<int>(c.status()),
                   row.request_id, row.request_hash, c.version(), PgTime(c.create_time()));
}

void CampaignStore::Update(pqxx::transaction_base& tx, const v1::Campaign& c) {
  tx.exec_prepared(kUpdate.name, c.id(), c.name(), static_cast<int>(c.type()), c.subject(),
                   c.html_body(), c.text_body(), c.segment_id(), static_cast<int>(c.status()),
                   OptTime(c.schedule_time(), c.has_schedule_time()),
                   OptTime(c.send_start_time(), c.has_send_start_time()),
                   OptTime(c.sent_time(), c.has_sent_time()),
                   OptTime(c.cancel_time(), c.has_cancel_time()), c.version(),
                   PgTime(c.update_time()));
}

std::optional<CampaignRow> CampaignStore::Load(pqxx::transaction_base& tx, const std::string& id,
                                               bool for_update) {
  return One(tx.exec_prepared(for_update ? kLoadForUpdate.name : kLoad.name, id));
}

std::optional<CampaignRow> CampaignStore::LoadByRequestId(pqxx::transaction_base& tx,
                                                          const std::string& request_id) {
  return One(tx.exec_prepared(kByRequestId.name, request_id));
}

std::vector<v1::Campaign> CampaignStore::StartedSince(pqxx::transaction_base& tx,
                                                      absl::Time since) {
  std::vector<v1::Campaign> out;
  for (const auto& r : tx.exec_prepared(kStartedSince.name, PgTime(since))) {
    out.push_back(RowOf(r).campaign);
  }
  return out;
}

std::map<std::string, std::string> CampaignStore::PublishedStats(
    pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  for (const auto& r : tx.exec_prepared(kPublishedStats.name, pg::TextArray(ids))) {
    out[r[0].as<std::string>()] = pg::FromBytes(r[1]);
  }
  return out;
}

void CampaignStore::SavePublishedStats(pqxx::transaction_base& tx, const std::string& id,
                                       const std::string& stats, absl::Time now) {
  tx.exec_prepared(kSavePublishedStats.name, id, pg::Bytes(stats), PgTime(now));
}

std::vector<v1::Campaign> CampaignStore::List(pqxx::transaction_base& tx,
                                              const std::vector<int>& statuses,
                                              const std::optional<KeysetCursor>& after, int limit) {
  std::vector<std::string> params;
  std::vector<std::string> where;
  if (!statuses.empty()) {
    params.push_back(absl::StrCat("{", absl::StrJoin(statuses, ","), "}"));
    where.push_back(absl::StrCat("status = ANY($", params.size(), "::smallint[])"));
  }
  if (after.has_value()) {
    params.push_back(PgTime(absl::FromUnixMicros(after->sort_value)));
    params.push_back(after->id);
    where.push_back(absl::StrCat("(create_time, id) < ($", params.size() - 1, "::timestamptz, $",
                                 params.size(), "::uuid)"));
  }
  params.push_back(absl::StrCat(limit + 1));
  const std::string sql =
      absl::StrCat("SELECT " CAMPAIGN_COLUMNS " FROM campaigns", where.empty() ? "" : " WHERE ",
                   absl::StrJoin(where, " AND "), " ORDER BY create_time DESC, id DESC LIMIT $",
                   params.size(), "::int");
  std::vector<v1::Campaign> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.push_back(RowOf(r).campaign);
  }
  return out;
}

std::map<std::string, v1::CampaignStats> CampaignStore::Stats(pqxx::transaction_base& tx,
                                                              const std::vector<std::string>& ids) {
  std::map<std::string, v1::CampaignStats> out;
  if (ids.empty()) return out;
  const std::string array = pg::TextArray(ids);
  for (const auto& r : tx.exec_prepared(kStats.name, array)) {
    v1::CampaignStats& s = out[r[0].c_str()];
    const int64_t n = r[2].as<int64_t>();
    switch (static_cast<v1::MailStatus>(r[1].as<int>())) {
      case v1::MAIL_STATUS_SENT:
        s.set_sent(s.sent() + n);
        break;
      case v1::MAIL_STATUS_SUPPRESSED:
        s.set_suppressed(s.suppressed() + n);
        break;
      case v1::MAIL_STATUS_FAILED:
      case v1::MAIL_STATUS_INTERRUPTED:
        s.set_failed(s.failed() + n);
        break;
      default:
        break;
    }
  }
  for (const auto& r : tx.exec_prepared(kUnsubscribes.name, array)) {
    out[r[0].c_str()].set_unsubscribes(r[1].as<int64_t>());
  }
  for (const auto& r : tx.exec_prepared(kEventStats.name, array)) {
    v1::CampaignStats& s = out[r[0].c_str()];
    if (r[1].as<int>() == 1) {
      s.set_opens(r[2].as<int64_t>());
      s.set_unique_opens(r[3].as<int64_t>());
    } else {
      s.set_clicks(r[2].as<int64_t>());
      s.set_unique_clicks(r[3].as<int64_t>());
    }
  }
  for (const auto& r : tx.exec_prepared(kConversionStats.name, array)) {
    v1::CampaignStats& s = out[r[0].c_str()];
    s.set_conversions(r[1].as<int64_t>());
    s.mutable_conversion_revenue()->set_amount_minor(r[2].as<int64_t>());
    s.mutable_conversion_revenue()->set_currency_code(r[3].c_str());
  }
  return out;
}

std::vector<std::string> CampaignStore::StartDue(pqxx::transaction_base& tx, absl::Time now) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec_prepared(kStartDue.name, PgTime(now))) out.push_back(r[0].c_str());
  return out;
}

std::optional<CampaignRow> CampaignStore::NextSending(pqxx::transaction_base& tx) {
  return One(tx.exec_prepared(kNextSending.name));
}

QueuedBatch CampaignStore::QueueSubscribers(pqxx::transaction_base& tx, const v1::Campaign& c,
                                            const std::string& after_id, int limit,
                                            absl::Time now) {
  return BatchOf(tx.exec_prepared1(
      kQueueSubscribers.name, c.id(), c.subject(), PgTime(now),
      after_id.empty() ? "00000000-0000-0000-0000-000000000000" : after_id, limit));
}

QueuedBatch CampaignStore::QueueEmails(pqxx::transaction_base& tx, const v1::Campaign& c,
                                       const std::vector<std::string>& emails, absl::Time now) {
  return BatchOf(tx.exec_prepared1(kQueueEmails.name, c.id(), c.subject(), PgTime(now),
                                   pg::TextArray(emails)));
}

void CampaignStore::SetProgress(pqxx::transaction_base& tx, const std::string& id,
                                const std::string& cursor, int64_t queued) {
  tx.exec_prepared(kSetProgress.name, id, cursor, queued);
}

int64_t CampaignStore::DropQueued(pqxx::transaction_base& tx, const std::string& id,
                                  const std::string& why) {
  return tx.exec_prepared(kDropQueued.name, id, why).affected_rows();
}

bool CampaignStore::RecordOpen(pqxx::transaction_base& tx, const std::string& mail_id,
                               absl::Time now) {
  return tx.exec_prepared(kRecordEvent.name, mail_id, 1, "", PgTime(now)).affected_rows() == 1;
}

bool CampaignStore::RecordClick(pqxx::transaction_base& tx, const std::string& mail_id,
                                const std::string& url, absl::Time now) {
  return tx.exec_prepared(kRecordEvent.name, mail_id, 2, url, PgTime(now)).affected_rows() == 1;
}

bool CampaignStore::RecordConversion(pqxx::transaction_base& tx, const std::string& order_id,
                                     const std::string& email_sha256, int64_t amount_minor,
                                     const std::string& currency_code, absl::Time now,
                                     absl::Duration window) {
  return tx.exec_prepared(kRecordConversion.name, order_id, email_sha256, amount_minor,
                          currency_code, PgTime(now), PgTime(now - window))
             .affected_rows() == 1;
}

void CampaignStore::AddUnsubscribe(pqxx::transaction_base& tx, const std::string& campaign_id,
                                   const std::string& subscriber_id, absl::Time now) {
  tx.exec_prepared(kAddUnsubscribe.name, campaign_id, subscriber_id, PgTime(now));
}

}  // namespace store::newsletter
