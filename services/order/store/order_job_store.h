// The SQL of bulk jobs (ORD-09): order_jobs and order_job_items
// (migrations/0005_order_jobs.sql). Every function runs inside the caller's
// transaction.
#ifndef STORE_SERVICES_ORDER_STORE_ORDER_JOB_STORE_H_
#define STORE_SERVICES_ORDER_STORE_ORDER_JOB_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/core/paging.h"
#include "store/order/v1/order_job.pb.h"

namespace store::order {

// A job row, without its counts.
struct JobRow {
  std::string id;
  std::string request_id;
  std::string request_hash;
  v1::OrderJobAction action = v1::ORDER_JOB_ACTION_UNSPECIFIED;
  std::string reason;
  std::string undo_of;
  std::string actor;
  int total = 0;
  absl::Time created_at;
};

// An item as stored: what the job shows (OrderJobItem) and what an undo
// needs.
struct JobItemRow {
  int position = 0;
  v1::OrderJobItem item;
  std::string tracking_url;
  int64_t version_after = 0;
  int64_t expected_version = 0;                                   // undo items
  v1::OrderStatus restore_status = v1::ORDER_STATUS_UNSPECIFIED;  // undo items
};

class OrderJobStore {
 public:
  // False when a job with the same request_id exists (nothing written).
  static bool InsertJob(pqxx::transaction_base& tx, const JobRow& job);
  // Items numbered from 0 in the order given.
  static void InsertItems(pqxx::transaction_base& tx, const std::string& job_id,
                          const std::vector<JobItemRow>& items, absl::Time now);
  static std::optional<JobRow> FindByRequestId(pqxx::transaction_base& tx,
                                               const std::string& request_id);
  static std::optional<JobRow> Load(pqxx::transaction_base& tx, const std::string& id,
                                    bool for_update);
  // The job as the API shows it: counts per outcome, state, undo links.
  static std::optional<v1::OrderJob> Get(pqxx::transaction_base& tx, const std::string& id);
  // Newest first; up to limit + 1 rows.
  static std::vector<v1::OrderJob> List(pqxx::transaction_base& tx,
                                        const std::optional<KeysetCursor>& after, int limit);
  // In position order after `after_position`; up to limit + 1 rows.
  static std::vector<JobItemRow> ListItems(pqxx::transaction_base& tx, const std::string& job_id,
                                           v1::OrderJobItemOutcome outcome, int after_position,
                                           int limit);

  // Jobs with orders still to do, oldest first.
  static std::vector<JobRow> Unfinished(pqxx::transaction_base& tx);
  // Up to `limit` pending items of a job, locked (others running the same
  // job skip them).
  static std::vector<JobItemRow> ClaimPending(pqxx::transaction_base& tx, const std::string& job_id,
                                              int limit);
  // Records outcomes (outcome, statuses, version_after, error of each row).
  static void SaveOutcomes(pqxx::transaction_base& tx, const std::string& job_id,
                           const std::vector<JobItemRow>& items, absl::Time now);
  // Marks the job done when no item is pending.
  static void FinishIfDone(pqxx::transaction_base& tx, const std::string& job_id, absl::Time now);
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_STORE_ORDER_JOB_STORE_H_
