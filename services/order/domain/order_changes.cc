#include "services/order/domain/order_changes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/status.h"
#include "services/order/domain/order_state.h"
#include "store/order/v1/events.pb.h"

namespace store::order {
namespace {

google::protobuf::Timestamp At(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

absl::Status Transition(v1::Order& order, v1::OrderStatus to) {
  STORE_RETURN_IF_ERROR(CheckTransition(order.status(), to));
  order.set_status(to);
  return absl::OkStatus();
}

absl::StatusOr<OrderChange> PaySucceeded(v1::Order& order, const v1::Payment& payment) {
  auto* paid = order.mutable_totals()->mutable_paid();
  paid->set_amount_minor(paid->amount_minor() + payment.amount().amount_minor());
  const bool full = paid->amount_minor() >= order.totals().total().amount_minor();
  if (full) STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_PROCESSING));
  OrderChange change;
  change.action = "payment";
  change.reason = full ? "paid in full" : "partial payment";
  auto event = std::make_unique<v1::OrderPaid>();
  *event->mutable_payment() = payment;
  event->set_fully_paid(full);
  change.event = std::move(event);
  return change;
}

absl::StatusOr<OrderChange> Ship(v1::Order& order, v1::Shipment shipment, absl::Time now) {
  STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_SHIPPED));
  *shipment.mutable_shipped_at() = At(now);
  *order.mutable_shipment() = shipment;
  OrderChange change;
  change.action = "shipped";
  change.reason = absl::StrCat(shipment.carrier(), " ", shipment.tracking_number());
  auto event = std::make_unique<v1::OrderShipped>();
  *event->mutable_shipment() = std::move(shipment);
  change.event = std::move(event);
  return change;
}

absl::StatusOr<OrderChange> Complete(v1::Order& order) {
  STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_COMPLETED));
  OrderChange change;
  change.action = "completed";
  change.event = std::make_unique<v1::OrderStatusChanged>();
  return change;
}

absl::StatusOr<OrderChange> Cancel(v1::Order& order, const std::string& reason,
                                   v1::CancelInitiator initiator) {
  STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_CANCELLED));
  OrderChange change;
  change.action =
      initiator == v1::CANCEL_INITIATOR_CUSTOMER ? "cancelled_by_customer" : "cancelled";
  change.reason = reason;
  change.event = std::make_unique<v1::OrderStatusChanged>();
  return change;
}

absl::StatusOr<OrderChange> Reject(v1::Order& order, const std::string& reason) {
  STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_REJECTED));
  OrderChange change;
  change.action = "rejected";
  change.reason = reason;
  change.event = std::make_unique<v1::OrderStatusChanged>();
  return change;
}

absl::StatusOr<OrderChange> MarkPaid(v1::Order& order, const std::string& payment_id,
                                     const std::string& reference, absl::Time now) {
  if (order.status() != v1::ORDER_STATUS_PENDING &&
      order.status() != v1::ORDER_STATUS_AWAITING_VERIFICATION) {
    return Precondition("ORDER_NOT_AWAITING_PAYMENT",
                        absl::StrCat("only pending or awaiting_verification orders can be "
                                     "marked paid; this order is ",
                                     StatusName(order.status())),
                        {{"status", StatusName(order.status())}});
  }
  v1::Payment payment;
  payment.set_id(payment_id);
  payment.set_provider("manual");
  payment.set_reference(reference);
  const int64_t due = order.totals().total().amount_minor() - order.totals().paid().amount_minor();
  payment.mutable_amount()->set_amount_minor(due > 0 ? due : 0);
  payment.mutable_amount()->set_currency_code(order.currency_code());
  payment.set_outcome(v1::PAYMENT_OUTCOME_SUCCEEDED);
  *payment.mutable_create_time() = At(now);
  STORE_ASSIGN_OR_RETURN(OrderChange change, PaySucceeded(order, payment));
  change.reason = "marked paid";
  change.new_payment = std::move(payment);
  return change;
}

}  // namespace store::order
