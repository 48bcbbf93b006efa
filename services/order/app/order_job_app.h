// Bulk jobs (ORD-09, ORD-16): submitting, previewing, running, undoing and
// reporting them. A job and all its items are stored at submission (the
// filter's matches fixed then); RunPending, a periodic task on every
// replica, takes pending items in batches (FOR UPDATE SKIP LOCKED) and
// changes their orders with the domain's rules (domain/order_job.h). An
// item is marked done in the transaction that changes its order, so a job
// resumed after a crash changes each order at most once.
#ifndef STORE_SERVICES_ORDER_APP_ORDER_JOB_APP_H_
#define STORE_SERVICES_ORDER_APP_ORDER_JOB_APP_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "libs/core/csv.h"
#include "libs/pg/pool.h"
#include "services/order/store/order_job_store.h"
#include "store/order/v1/order_job.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

struct OrderJobOptions {
  // Orders changed per transaction.
  int batch_size = 250;
  // How long one RunPending call works before it yields (bounds shutdown).
  absl::Duration run_budget = absl::Seconds(3);
  // The results CSV's times.
  absl::TimeZone zone = absl::UTCTimeZone();
};

class OrderJobApp {
 public:
  OrderJobApp(pg::Pool& pool, const Clock& clock, OrderJobOptions options = {})
      : pool_(pool), clock_(clock), options_(options) {}

  absl::StatusOr<v1::OrderJob> Create(const v1::CreateOrderJobRequest& request,
                                      const std::string& actor);
  absl::StatusOr<v1::PreviewOrderJobResponse> Preview(const v1::CreateOrderJobRequest& request);
  absl::StatusOr<v1::OrderJob> Get(const std::string& job_id);
  absl::StatusOr<v1::ListOrderJobsResponse> List(const v1::ListOrderJobsRequest& request);
  absl::StatusOr<v1::ListOrderJobItemsResponse> ListItems(
      const v1::ListOrderJobItemsRequest& request);
  // The results CSV; NOT_FOUND before anything is written.
  absl::Status ExportItems(const std::string& job_id, const CsvStream::Sink& sink);
  static std::string ExportFileName(const std::string& job_id);
  absl::StatusOr<v1::OrderJob> Undo(const v1::UndoOrderJobRequest& request,
                                    const std::string& actor);

  // Works through unfinished jobs for up to options.run_budget (the
  // periodic task). Safe with several replicas.
  absl::Status RunPending();
  // Called when a job was stored, so it starts now rather than at the next
  // tick (the periodic task's Wake).
  void SetWake(std::function<void()> wake) { wake_ = std::move(wake); }
  void Wake() { wake_(); }

 private:
  // One transaction: up to `limit` pending items of `job` done. Returns how
  // many (0: none was pending).
  absl::StatusOr<int> RunBatch(const JobRow& job, const std::optional<JobRow>& undone, int limit);
  // After a batch failed: one item per transaction, so a bad order fails
  // alone (INTERNAL) and the others go on.
  absl::Status RunOneByOne(const JobRow& job, const std::optional<JobRow>& undone, int count);

  pg::Pool& pool_;
  const Clock& clock_;
  const OrderJobOptions options_;
  std::function<void()> wake_ = [] {};
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_ORDER_JOB_APP_H_
