// Bulk jobs (ORD-09, ORD-16) as pure rules: what a job request may hold,
// the tracking CSV, what a job does to one order, and how a job is undone.
// The app (app/order_job_app.h) stores jobs and runs them. No I/O.
#ifndef STORE_SERVICES_ORDER_DOMAIN_ORDER_JOB_H_
#define STORE_SERVICES_ORDER_DOMAIN_ORDER_JOB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/core/csv.h"
#include "services/order/domain/order_changes.h"
#include "store/order/v1/order_job.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

// Orders in one job, at most.
inline constexpr int kMaxJobOrders = 20000;

// "ship", "mark_paid", ... (messages, the CLI, the results CSV).
std::string JobActionName(v1::OrderJobAction action);
// "changed", "failed", ...
std::string JobOutcomeName(v1::OrderJobItemOutcome outcome);

// Checks a job request, apart from whether its orders exist: an action that
// can be submitted; exactly one of order_ids (UUIDs, each once), filter
// (ValidateOrderFilter), shipments or shipments_csv (ship jobs only, and
// ship jobs need one of them); a reason for cancel and reject only; at most
// kMaxJobOrders listed. INVALID_ARGUMENT naming the field.
absl::Status ValidateJobRequest(const v1::CreateOrderJobRequest& request);

// The shipments a ship job names, from `shipments` (each checked as
// ShipOrder checks it: "shipments[2].tracking_number") or parsed from
// `shipments_csv`: a header with order_number, carrier and tracking_number
// (any order, any case; tracking_url optional), then a row per order.
// A malformed row is INVALID_ARGUMENT on shipments_csv naming its line; an
// order (id or number) twice is INVALID_ARGUMENT too.
absl::StatusOr<std::vector<v1::OrderJobShipment>> JobShipments(
    const v1::CreateOrderJobRequest& request);

// The shipment a ship job's row makes, checked and normalised as ShipOrder
// does (BuildShipment: carrier lower-cased, tracking URL derived).
absl::StatusOr<v1::Shipment> ShipmentOf(const v1::OrderJobShipment& shipment);

// What a job does to one of its orders.
struct JobStep {
  v1::OrderJobAction action = v1::ORDER_JOB_ACTION_UNSPECIFIED;
  std::string job_id;
  std::string reason;     // cancel, reject
  v1::Shipment shipment;  // ship (as BuildShipment made it)
  // An UNDO job's step: what the undone job did to this order.
  v1::OrderJobAction undone_action = v1::ORDER_JOB_ACTION_UNSPECIFIED;
  v1::OrderStatus status_before = v1::ORDER_STATUS_UNSPECIFIED;
  int64_t version_after = 0;
};

// The change `step` makes to `order` (the same rules as the single-order
// RPCs), or why it cannot. An undo of an order changed since the job
// (another version) is FAILED_PRECONDITION CHANGED_SINCE_JOB: a conflict.
// `payment_id` is the id of a mark-paid payment.
absl::StatusOr<OrderChange> ApplyJobStep(const JobStep& step, v1::Order& order,
                                         const std::string& payment_id, absl::Time now);

// Whether a job of `action` can be undone (ship, complete).
bool IsUndoable(v1::OrderJobAction action);

// The results CSV of a job (ExportOrderJobItems): header, and a row per
// item with times in the store's time zone.
std::vector<std::string> JobItemsHeader();
absl::Status WriteJobItemRow(const v1::OrderJobItem& item, const absl::TimeZone& zone,
                             CsvStream& csv);

// The error code an undo conflict has.
inline constexpr char kChangedSinceJob[] = "CHANGED_SINCE_JOB";

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_ORDER_JOB_H_
