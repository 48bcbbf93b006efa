#include "services/order/domain/order_changes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/status.h"
#include "services/order/domain/order_rules.h"
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
  // Paid in full moves an order awaiting payment on; an order that owed the
  // balance of an edit keeps its status.
  if (full && (order.status() == v1::ORDER_STATUS_PENDING ||
               order.status() == v1::ORDER_STATUS_AWAITING_VERIFICATION)) {
    STORE_RETURN_IF_ERROR(Transition(order, v1::ORDER_STATUS_PROCESSING));
  }
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

EditBalance BalanceOf(const v1::Order& order) {
  const v1::OrderTotals& t = order.totals();
  const int64_t net_paid = t.paid().amount_minor() - t.refunded().amount_minor();
  const int64_t balance = t.total().amount_minor() - net_paid;
  return balance >= 0 ? EditBalance{balance, 0} : EditBalance{0, -balance};
}

namespace {

v1::OrderItem* FindLine(v1::Order& order, const std::string& sku) {
  for (v1::OrderItem& item : *order.mutable_items()) {
    if (item.sku() == sku) return &item;
  }
  return nullptr;
}

// Removes the line with `sku` (one that exists).
void RemoveLine(v1::Order& order, const std::string& sku) {
  auto* items = order.mutable_items();
  for (int i = 0; i < items->size(); ++i) {
    if (items->Get(i).sku() == sku) {
      items->DeleteSubrange(i, 1);
      return;
    }
  }
}

// Applies one change; returns its words for the history.
absl::StatusOr<std::string> ApplyEditChange(v1::Order& order, const v1::OrderEditChange& c,
                                            const std::string& f) {
  const std::string& currency = order.currency_code();
  switch (c.change_case()) {
    case v1::OrderEditChange::kAddItem: {
      const std::string field = absl::StrCat(f, ".add_item");
      STORE_ASSIGN_OR_RETURN(v1::OrderItem item, CheckItem(field, c.add_item(), currency));
      if (FindLine(order, item.sku()) != nullptr) {
        return InvalidField(absl::StrCat(field, ".sku"),
                            absl::StrCat("'", item.sku(),
                                         "' is already on the order; change its quantity instead"));
      }
      if (order.items_size() >= kMaxItems) {
        return InvalidField(field, absl::StrCat("an order holds at most ", kMaxItems, " lines"));
      }
      const std::string words = absl::StrCat("added ", item.quantity(), " x ", item.sku());
      *order.add_items() = std::move(item);
      return words;
    }
    case v1::OrderEditChange::kSetQuantity: {
      const std::string field = absl::StrCat(f, ".set_quantity");
      const v1::LineQuantity& q = c.set_quantity();
      v1::OrderItem* item = FindLine(order, q.sku());
      if (item == nullptr) {
        return InvalidField(absl::StrCat(field, ".sku"),
                            absl::StrCat("'", q.sku(), "' is not on the order"));
      }
      if (q.quantity() < 0 || q.quantity() > kMaxQuantity) {
        return InvalidField(absl::StrCat(field, ".quantity"),
                            absl::StrCat("must be 0..", kMaxQuantity, " (0 removes the line)"));
      }
      if (q.quantity() < item->refunded_quantity()) {
        return InvalidField(absl::StrCat(field, ".quantity"),
                            absl::StrCat("must not be below the ", item->refunded_quantity(),
                                         " units already refunded"));
      }
      const std::string words =
          absl::StrCat(q.sku(), " quantity ", item->quantity(), " -> ", q.quantity());
      if (q.quantity() == 0) {
        RemoveLine(order, q.sku());
      } else {
        item->set_quantity(q.quantity());
      }
      return words;
    }
    case v1::OrderEditChange::kRemoveSku: {
      const std::string field = absl::StrCat(f, ".remove_sku");
      v1::OrderItem* item = FindLine(order, c.remove_sku());
      if (item == nullptr) {
        return InvalidField(field, absl::StrCat("'", c.remove_sku(), "' is not on the order"));
      }
      if (item->refunded_quantity() > 0) {
        return InvalidField(field, "units of this line were refunded; it stays on the order");
      }
      RemoveLine(order, c.remove_sku());
      return absl::StrCat("removed ", c.remove_sku());
    }
    case v1::OrderEditChange::kShippingAddress: {
      common::v1::Address address = c.shipping_address();
      STORE_RETURN_IF_ERROR(CheckAddress(absl::StrCat(f, ".shipping_address"), &address));
      *order.mutable_shipping_address() = std::move(address);
      return std::string("shipping address changed");
    }
    case v1::OrderEditChange::kAddDiscount: {
      const std::string field = absl::StrCat(f, ".add_discount");
      STORE_ASSIGN_OR_RETURN(v1::Discount d, CheckDiscount(field, c.add_discount(), currency));
      for (const v1::Discount& existing : order.discounts()) {
        if (!d.code().empty() && existing.code() == d.code()) {
          return InvalidField(absl::StrCat(field, ".code"),
                              absl::StrCat("'", d.code(), "' is already on the order"));
        }
      }
      if (order.discounts_size() >= 21) {
        return InvalidField(field, "an order holds at most 20 discounts");
      }
      const std::string words =
          absl::StrCat("discount ", d.code().empty() ? d.description() : d.code(), " added");
      *order.add_discounts() = std::move(d);
      return words;
    }
    case v1::OrderEditChange::kRemoveDiscountCode: {
      const std::string field = absl::StrCat(f, ".remove_discount_code");
      auto* discounts = order.mutable_discounts();
      for (auto it = discounts->begin(); it != discounts->end(); ++it) {
        if (it->code() == c.remove_discount_code() && !it->code().empty()) {
          discounts->erase(it);
          return absl::StrCat("discount ", c.remove_discount_code(), " removed");
        }
      }
      return InvalidField(field, absl::StrCat("'", c.remove_discount_code(),
                                              "' is not a discount code of the order"));
    }
    default:
      return InvalidField(f,
                          "names no change (add_item, set_quantity, remove_sku, "
                          "shipping_address, add_discount or remove_discount_code)");
  }
}

}  // namespace

bool IsEditable(const v1::Order& order) {
  switch (order.status()) {
    case v1::ORDER_STATUS_PENDING:
    case v1::ORDER_STATUS_AWAITING_VERIFICATION:
    case v1::ORDER_STATUS_PROCESSING:
      return true;
    case v1::ORDER_STATUS_PARTIALLY_REFUNDED:  // e.g. the balance of an edit refunded
      return !order.has_shipment();
    default:
      return false;
  }
}

absl::StatusOr<OrderChange> Edit(v1::Order& order, const v1::EditOrderRequest& request) {
  const v1::OrderStatus s = order.status();
  if (!IsEditable(order)) {
    return Precondition(
        "ORDER_NOT_EDITABLE",
        absl::StrCat("an order is edited before it ships; this order is ", StatusName(s)),
        {{"status", StatusName(s)}});
  }
  if (request.changes().empty()) return InvalidField("changes", "name at least one change");
  if (request.changes_size() > 100) return InvalidField("changes", "at most 100 in one edit");
  if (!request.reason().empty()) STORE_RETURN_IF_ERROR(ValidateReason("reason", request.reason()));
  const int64_t from_version = order.version();
  const common::v1::Money previous_total = order.totals().total();
  std::vector<std::string> words;
  for (int i = 0; i < request.changes_size(); ++i) {
    STORE_ASSIGN_OR_RETURN(std::string w, ApplyEditChange(order, request.changes(i),
                                                          absl::StrCat("changes[", i, "]")));
    words.push_back(std::move(w));
  }
  if (order.items().empty()) {
    return InvalidField("changes", "would leave no line; cancel the order instead");
  }
  STORE_RETURN_IF_ERROR(PriceOrder(&order));
  if (order.totals().total().amount_minor() < order.totals().refunded().amount_minor()) {
    return InvalidField("changes", "would make the total less than what was already refunded");
  }
  const EditBalance balance = BalanceOf(order);
  OrderChange change;
  change.action = "edited";
  change.reason = absl::StrJoin(words, "; ");
  if (!request.reason().empty()) absl::StrAppend(&change.reason, ": ", request.reason());
  auto event = std::make_unique<v1::OrderEdited>();
  event->set_from_version(from_version);
  event->set_to_version(from_version + 1);
  *event->mutable_changes() = request.changes();
  *event->mutable_previous_total() = previous_total;
  event->mutable_amount_due()->set_amount_minor(balance.amount_due);
  event->mutable_amount_due()->set_currency_code(order.currency_code());
  event->mutable_refundable()->set_amount_minor(balance.refundable);
  event->mutable_refundable()->set_currency_code(order.currency_code());
  change.event = std::move(event);
  return change;
}

}  // namespace store::order
