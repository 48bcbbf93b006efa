// The order lifecycle (ORD-02) as a transition table. Pure rules, no I/O.
#ifndef STORE_SERVICES_ORDER_DOMAIN_ORDER_STATE_H_
#define STORE_SERVICES_ORDER_DOMAIN_ORDER_STATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/order/v1/order.pb.h"

namespace store::order {

using v1::OrderStatus;

// "pending", "awaiting_verification", ... (the names used in messages, logs,
// the CLI and metrics labels).
std::string StatusName(OrderStatus status);
// Inverse of StatusName; nullopt-like UNSPECIFIED when unknown.
OrderStatus StatusFromName(absl::string_view name);

// The statuses `from` may move to, in table order.
std::vector<OrderStatus> AllowedNext(OrderStatus from);

// OK when from -> to is a legal transition; otherwise FAILED_PRECONDITION
// with reason ILLEGAL_TRANSITION naming both statuses and the legal next ones.
absl::Status CheckTransition(OrderStatus from, OrderStatus to);

// OK when from -> to is a legal correction: a step back that only an undo
// of a bulk job makes (shipped -> processing, completed -> shipped or
// processing); FAILED_PRECONDITION ILLEGAL_TRANSITION otherwise. Payments,
// cancellations and rejections are never stepped back.
absl::Status CheckCorrection(OrderStatus from, OrderStatus to);

// Orders the store still has to act on (the admin badge).
bool IsUnprocessed(OrderStatus status);
// No transition leaves a terminal status.
bool IsTerminal(OrderStatus status);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_ORDER_STATE_H_
