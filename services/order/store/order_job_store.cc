#include "services/order/store/order_job_store.h"

#include "absl/strings/str_cat.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"

namespace store::order {
namespace {

using pg::PgTime;
using pg::TextArray;
using pg::TimestampFromMicros;

#define STORE_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr char kJobColumns[] =
    "j.id, j.request_id, j.request_hash, j.action, j.reason, COALESCE(j.undo_of::text, ''),"
    " j.actor, j.total, " STORE_MICROS("j.created_at");

constexpr char kItemColumns[] =
    "position, COALESCE(order_id::text, ''), order_number, carrier, tracking_number,"
    " tracking_url, outcome, from_status, to_status, version_after, error_code, error_message,"
    " " STORE_MICROS("done_at") ", expected_version, restore_status";

// The job as the API shows it: kJobColumns, then these.
constexpr char kJobViewColumns[] =
    ", COALESCE(u.id::text, ''), j.done, " STORE_MICROS("j.finished_at") ","
    " c.pending, c.changed, c.failed, c.conflict"
    " FROM order_jobs j LEFT JOIN order_jobs u ON u.undo_of = j.id"
    " CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE outcome = 1) AS pending,"
    " count(*) FILTER (WHERE outcome = 2) AS changed,"
    " count(*) FILTER (WHERE outcome = 3) AS failed,"
    " count(*) FILTER (WHERE outcome = 4) AS conflict"
    " FROM order_job_items WHERE job_id = j.id) c";

const pg::Statement kInsertJob(
    "order_job_insert",
    "INSERT INTO order_jobs (id, request_id, request_hash, action, reason, undo_of, actor, total,"
    " created_at) VALUES ($1::uuid, $2::uuid, $3, $4::smallint, $5, NULLIF($6, '')::uuid, $7,"
    " $8::int, $9::timestamptz) ON CONFLICT DO NOTHING");
const pg::Statement kInsertItems(
    "order_job_items_insert",
    "INSERT INTO order_job_items (job_id, position, order_id, order_number, carrier,"
    " tracking_number, tracking_url, outcome, error_code, error_message, done_at,"
    " expected_version, restore_status, from_status)"
    " SELECT $1::uuid, ord - 1, NULLIF(oid, '')::uuid, num, car, trk, url, oc, ec, em,"
    " CASE WHEN oc <> 1 THEN $12::timestamptz END, ev, rs, fs"
    " FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::smallint[],"
    " $8::text[], $9::text[], $10::bigint[], $11::smallint[], $13::smallint[])"
    " WITH ORDINALITY AS x(oid, num, car, trk, url, oc, ec, em, ev, rs, fs, ord)");
const pg::Statement kFindJobByRequest(
    "order_job_by_request",
    absl::StrCat("SELECT ", kJobColumns, " FROM order_jobs j WHERE j.request_id = $1::uuid"));
const pg::Statement kLoadJob("order_job_load",
                             absl::StrCat("SELECT ", kJobColumns,
                                          " FROM order_jobs j WHERE j.id = $1::uuid"));
const pg::Statement kLoadJobForUpdate(
    "order_job_load_for_update",
    absl::StrCat("SELECT ", kJobColumns, " FROM order_jobs j WHERE j.id = $1::uuid FOR UPDATE"));
const pg::Statement kGetJob("order_job_get", absl::StrCat("SELECT ", kJobColumns, kJobViewColumns,
                                                          " WHERE j.id = $1::uuid"));
const pg::Statement kListJobs(
    "order_job_list",
    absl::StrCat("SELECT ", kJobColumns, kJobViewColumns,
                 " WHERE NOT $1::boolean OR (" STORE_MICROS(
                     "j.created_at") ", j.id) <"
                                     " ($2::bigint, $3::uuid)"
                                     " ORDER BY j.created_at DESC, j.id DESC LIMIT $4::int"));
const pg::Statement kListItems(
    "order_job_items_list",
    absl::StrCat("SELECT ", kItemColumns,
                 " FROM order_job_items WHERE job_id = $1::uuid AND position > $2::int"
                 " AND ($3::smallint = 0 OR outcome = $3::smallint)"
                 " ORDER BY position LIMIT $4::int"));
const pg::Statement kUnfinished("order_job_unfinished",
                                absl::StrCat("SELECT ", kJobColumns,
                                             " FROM order_jobs j WHERE NOT j.done"
                                             " ORDER BY j.created_at, j.id"));
const pg::Statement kClaimPending(
    "order_job_items_claim",
    absl::StrCat("SELECT ", kItemColumns,
                 " FROM order_job_items WHERE job_id = $1::uuid AND outcome = 1"
                 " ORDER BY position LIMIT $2::int FOR UPDATE SKIP LOCKED"));
const pg::Statement kSaveOutcomes(
    "order_job_items_save",
    "UPDATE order_job_items i SET outcome = x.oc, from_status = x.fs, to_status = x.ts,"
    " version_after = x.va, error_code = x.ec, error_message = x.em, done_at = $2::timestamptz"
    " FROM unnest($3::int[], $4::smallint[], $5::smallint[], $6::smallint[], $7::bigint[],"
    " $8::text[], $9::text[]) AS x(pos, oc, fs, ts, va, ec, em)"
    " WHERE i.job_id = $1::uuid AND i.position = x.pos");
const pg::Statement kFinishIfDone(
    "order_job_finish",
    "UPDATE order_jobs SET done = true, finished_at = $2::timestamptz"
    " WHERE id = $1::uuid AND NOT done AND NOT EXISTS"
    " (SELECT 1 FROM order_job_items WHERE job_id = $1::uuid AND outcome = 1)");

#undef STORE_MICROS

JobRow ParseJob(const pqxx::row& row) {
  JobRow job;
  job.id = row[0].as<std::string>();
  job.request_id = row[1].as<std::string>();
  job.request_hash = row[2].as<std::string>();
  job.action = static_cast<v1::OrderJobAction>(row[3].as<int>());
  job.reason = row[4].as<std::string>();
  job.undo_of = row[5].as<std::string>();
  job.actor = row[6].as<std::string>();
  job.total = row[7].as<int>();
  job.created_at = absl::FromUnixMicros(row[8].as<int64_t>());
  return job;
}

constexpr int kJobColumnCount = 9;

v1::OrderJob ParseJobView(const pqxx::row& row) {
  const JobRow r = ParseJob(row);
  v1::OrderJob job;
  job.set_id(r.id);
  job.set_request_id(r.request_id);
  job.set_action(r.action);
  job.set_reason(r.reason);
  job.set_undo_of_job_id(r.undo_of);
  job.set_actor(r.actor);
  job.set_total_count(r.total);
  *job.mutable_create_time() = pg::ToTimestamp(r.created_at);
  const int c = kJobColumnCount;
  job.set_undone_by_job_id(row[c].as<std::string>());
  job.set_state(row[c + 1].as<bool>() ? v1::ORDER_JOB_STATE_DONE : v1::ORDER_JOB_STATE_RUNNING);
  if (!row[c + 2].is_null())
    *job.mutable_finish_time() = TimestampFromMicros(row[c + 2].as<int64_t>());
  job.set_pending_count(row[c + 3].as<int>());
  job.set_changed_count(row[c + 4].as<int>());
  job.set_failed_count(row[c + 5].as<int>());
  job.set_conflict_count(row[c + 6].as<int>());
  return job;
}

JobItemRow ParseItem(const pqxx::row& row) {
  JobItemRow r;
  r.position = row[0].as<int>();
  v1::OrderJobItem& item = r.item;
  item.set_order_id(row[1].as<std::string>());
  item.set_order_number(row[2].as<int64_t>());
  item.set_carrier(row[3].as<std::string>());
  item.set_tracking_number(row[4].as<std::string>());
  r.tracking_url = row[5].as<std::string>();
  item.set_outcome(static_cast<v1::OrderJobItemOutcome>(row[6].as<int>()));
  item.set_from_status(static_cast<v1::OrderStatus>(row[7].as<int>()));
  item.set_to_status(static_cast<v1::OrderStatus>(row[8].as<int>()));
  r.version_after = row[9].as<int64_t>();
  item.set_error_code(row[10].as<std::string>());
  item.set_error_message(row[11].as<std::string>());
  if (!row[12].is_null()) *item.mutable_done_time() = TimestampFromMicros(row[12].as<int64_t>());
  r.expected_version = row[13].as<int64_t>();
  r.restore_status = static_cast<v1::OrderStatus>(row[14].as<int>());
  return r;
}

std::string Int(int64_t v) { return absl::StrCat(v); }

}  // namespace

bool OrderJobStore::InsertJob(pqxx::transaction_base& tx, const JobRow& job) {
  pqxx::result r = tx.exec_prepared(kInsertJob.name, job.id, job.request_id, job.request_hash,
                                    static_cast<int>(job.action), job.reason, job.undo_of,
                                    job.actor, job.total, PgTime(job.created_at));
  return r.affected_rows() == 1;
}

void OrderJobStore::InsertItems(pqxx::transaction_base& tx, const std::string& job_id,
                                const std::vector<JobItemRow>& items, absl::Time now) {
  if (items.empty()) return;
  std::vector<std::string> ids, numbers, carriers, trackings, urls, outcomes, codes, messages,
      versions, restores, froms;
  for (const JobItemRow& r : items) {
    ids.push_back(r.item.order_id());
    numbers.push_back(Int(r.item.order_number()));
    carriers.push_back(r.item.carrier());
    trackings.push_back(r.item.tracking_number());
    urls.push_back(r.tracking_url);
    outcomes.push_back(Int(r.item.outcome()));
    codes.push_back(r.item.error_code());
    messages.push_back(r.item.error_message());
    versions.push_back(Int(r.expected_version));
    restores.push_back(Int(r.restore_status));
    froms.push_back(Int(r.item.from_status()));
  }
  tx.exec_prepared(kInsertItems.name, job_id, TextArray(ids), TextArray(numbers),
                   TextArray(carriers), TextArray(trackings), TextArray(urls), TextArray(outcomes),
                   TextArray(codes), TextArray(messages), TextArray(versions), TextArray(restores),
                   PgTime(now), TextArray(froms));
}

std::optional<JobRow> OrderJobStore::FindByRequestId(pqxx::transaction_base& tx,
                                                     const std::string& request_id) {
  pqxx::result r = tx.exec_prepared(kFindJobByRequest.name, request_id);
  if (r.empty()) return std::nullopt;
  return ParseJob(r[0]);
}

std::optional<JobRow> OrderJobStore::Load(pqxx::transaction_base& tx, const std::string& id,
                                          bool for_update) {
  pqxx::result r = tx.exec_prepared(for_update ? kLoadJobForUpdate.name : kLoadJob.name, id);
  if (r.empty()) return std::nullopt;
  return ParseJob(r[0]);
}

std::optional<v1::OrderJob> OrderJobStore::Get(pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r = tx.exec_prepared(kGetJob.name, id);
  if (r.empty()) return std::nullopt;
  return ParseJobView(r[0]);
}

std::vector<v1::OrderJob> OrderJobStore::List(pqxx::transaction_base& tx,
                                              const std::optional<KeysetCursor>& after, int limit) {
  std::vector<v1::OrderJob> out;
  pqxx::result r = tx.exec_prepared(
      kListJobs.name, after.has_value(), after ? after->sort_value : 0,
      after ? after->id : std::string("00000000-0000-0000-0000-000000000000"), limit + 1);
  for (const auto& row : r) out.push_back(ParseJobView(row));
  return out;
}

std::vector<JobItemRow> OrderJobStore::ListItems(pqxx::transaction_base& tx,
                                                 const std::string& job_id,
                                                 v1::OrderJobItemOutcome outcome,
                                                 int after_position, int limit) {
  std::vector<JobItemRow> out;
  for (const auto& row : tx.exec_prepared(kListItems.name, job_id, after_position,
                                          static_cast<int>(outcome), limit + 1)) {
    out.push_back(ParseItem(row));
  }
  return out;
}

std::vector<JobRow> OrderJobStore::Unfinished(pqxx::transaction_base& tx) {
  std::vector<JobRow> out;
  for (const auto& row : tx.exec_prepared(kUnfinished.name)) out.push_back(ParseJob(row));
  return out;
}

std::vector<JobItemRow> OrderJobStore::ClaimPending(pqxx::transaction_base& tx,
                                                    const std::string& job_id, int limit) {
  std::vector<JobItemRow> out;
  for (const auto& row : tx.exec_prepared(kClaimPending.name, job_id, limit)) {
    out.push_back(ParseItem(row));
  }
  return out;
}

void OrderJobStore::SaveOutcomes(pqxx::transaction_base& tx, const std::string& job_id,
                                 const std::vector<JobItemRow>& items, absl::Time now) {
  if (items.empty()) return;
  std::vector<std::string> positions, outcomes, froms, tos, versions, codes, messages;
  for (const JobItemRow& r : items) {
    positions.push_back(Int(r.position));
    outcomes.push_back(Int(r.item.outcome()));
    froms.push_back(Int(r.item.from_status()));
    tos.push_back(Int(r.item.to_status()));
    versions.push_back(Int(r.version_after));
    codes.push_back(r.item.error_code());
    messages.push_back(r.item.error_message());
  }
  tx.exec_prepared(kSaveOutcomes.name, job_id, PgTime(now), TextArray(positions),
                   TextArray(outcomes), TextArray(froms), TextArray(tos), TextArray(versions),
                   TextArray(codes), TextArray(messages));
}

void OrderJobStore::FinishIfDone(pqxx::transaction_base& tx, const std::string& job_id,
                                 absl::Time now) {
  tx.exec_prepared(kFinishIfDone.name, job_id, PgTime(now));
}

}  // namespace store::order
