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

// What an edited order still owes, or was paid beyond its total: the total
// less what was paid net of refunds, split into its two signs.
struct EditBalance {
  int64_t amount_due = 0;
  int64_t refundable = 0;
};
EditBalance BalanceOf(const v1::Order& order);

// Whether an order can still be edited: it has not shipped and is not
// cancelled, rejected or refunded (pending, awaiting_verification,
// processing, or partially refunded before shipping).
bool IsEditable(const v1::Order& order);

// ORD-06: applies `request.changes` to an editable order
// (FAILED_PRECONDITION ORDER_NOT_EDITABLE otherwise) and
// prices it again (PriceOrder). INVALID_ARGUMENT naming
// "changes[i].<field>" for a bad change (an unknown sku, a quantity below
// the refunded units, a sku or discount code already there, no line left,
// a new total below what was refunded). OrderEdited, history action
// "edited". The version check is the caller's.
absl::StatusOr<OrderChange> Edit(v1::Order& order, const v1::EditOrderRequest& request);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_ORDER_CHANGES_H_
