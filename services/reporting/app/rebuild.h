// Rebuilding the read models from the topics (REP-07, `storectl reporting
// rebuild`): consumer groups of its own replay every topic from offset 0
// into the shadow tables (store/rebuild_store.h) while the live tables keep
// answering; once caught up, shadow and live are compared and, unless it is a
// dry run, swapped in one transaction; the replay then applies what arrived
// during the swap (every handler is idempotent) and stops. Driven by the
// "report-rebuild" job in the replica that started it; its progress is in
// report_rebuilds for every replica to show.
#ifndef STORE_SERVICES_REPORTING_APP_REBUILD_H_
#define STORE_SERVICES_REPORTING_APP_REBUILD_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "libs/events/consumer.h"
#include "libs/pg/pool.h"
#include "services/reporting/app/reporting_app.h"
#include "store/reporting/v1/reporting_service.pb.h"

namespace store::reporting {

class Rebuilder {
 public:
  Rebuilder(pg::Pool& pool, const Clock& clock, std::string brokers, ReportingApp& app);
  ~Rebuilder();

  absl::StatusOr<v1::Rebuild> Start(const v1::StartRebuildRequest& request);
  absl::StatusOr<v1::Rebuild> Get(const std::string& id);
  // One step of a running rebuild (the "report-rebuild" job, every second).
  absl::Status Step();
  // Rebuilds whose runner went silent (a stopped replica) become
  // INTERRUPTED; run by Step when this replica runs none.
  absl::Status Recover();

 private:
  absl::Status StartConsumers(bool shadow);
  void StopConsumers();
  absl::Status Save();
  absl::Status Finish(v1::RebuildState state, const std::string& error = "");

  pg::Pool& pool_;
  const Clock& clock_;
  const std::string brokers_;
  ReportingApp& app_;

  std::mutex mu_;
  std::optional<v1::Rebuild> running_;
  // Connections whose search_path starts with the shadow schema, opened once
  // it exists: the replay's statements are prepared on the shadow tables
  // (switching search_path per transaction would re-plan every statement).
  std::unique_ptr<pg::Pool> shadow_pool_;
  std::vector<std::unique_ptr<events::Consumer>> consumers_;
  std::atomic<int64_t> applied_{0};
  // When the replay first came within kNearlyCaughtUp events of the end.
  std::optional<absl::Time> near_since_;
};

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_APP_REBUILD_H_
