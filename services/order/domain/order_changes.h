// The changes of an order after it was placed, as pure rules: each moves the
// order through the lifecycle (order_state.h), sets what it changes, and
// says what goes in the history and which event is published. The
// single-order RPCs and the bulk jobs (order_job.h) make the very same
// changes; the app layer writes them (app/order_writes.h). No I/O.
#ifndef STORE_SERVICES_ORDER_DOMAIN_ORDER_CHANGES_H_
#define STORE_SERVICES_ORDER_DOMAIN_ORDER_CHANGES_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

// What a change did, for the history entry and the event.
struct OrderChange {
  std::string action;  // history action: "shipped", "payment", ...
  std::string reason;
  // OrderShipped, OrderPaid, OrderStatusChanged, ...: its `order` and
  // `status_change` are filled when it is written.
  std::unique_ptr<google::protobuf::Message> event;
  // A payment to store with the change (a bulk "mark as paid").
  std::optional<v1::Payment> new_payment;
  // Nothing to write: an idempotent repeat of a change already made.
  bool noop = false;
};

// An idempotent repeat: nothing to write.
inline OrderChange NoChange() {
  OrderChange change;
  change.noop = true;
  return change;
}

// Moves `order` to `to` if the lifecycle allows it (else ILLEGAL_TRANSITION).
absl::Status Transition(v1::Order& order, v1::OrderStatus to);

// A succeeded payment (already validated): adds it to paid; paid in full
// moves the order to processing. OrderPaid.
absl::StatusOr<OrderChange> PaySucceeded(v1::Order& order, const v1::Payment& payment);

// processing -> shipped with `shipment` (BuildShipment's), shipped at `now`.
absl::StatusOr<OrderChange> Ship(v1::Order& order, v1::Shipment shipment, absl::Time now);
// shipped or processing -> completed.
absl::StatusOr<OrderChange> Complete(v1::Order& order);
// -> cancelled; `reason` already validated.
absl::StatusOr<OrderChange> Cancel(v1::Order& order, const std::string& reason,
                                   v1::CancelInitiator initiator);
// -> rejected; `reason` already validated.
absl::StatusOr<OrderChange> Reject(v1::Order& order, const std::string& reason);

// "Mark as paid" (bulk): a pending or awaiting_verification order gets a
// succeeded payment of the amount still due, provider "manual" and
// reference `reference`, made at `now`; FAILED_PRECONDITION
// ORDER_NOT_AWAITING_PAYMENT otherwise.
absl::StatusOr<OrderChange> MarkPaid(v1::Order& order, const std::string& payment_id,
                                     const std::string& reference, absl::Time now);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_ORDER_CHANGES_H_
