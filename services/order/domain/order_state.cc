#include "services/order/domain/order_state.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/status.h"

namespace store::order {
namespace {

using v1::ORDER_STATUS_AWAITING_VERIFICATION;
using v1::ORDER_STATUS_CANCELLED;
using v1::ORDER_STATUS_COMPLETED;
using v1::ORDER_STATUS_PARTIALLY_REFUNDED;
using v1::ORDER_STATUS_PENDING;
using v1::ORDER_STATUS_PROCESSING;
using v1::ORDER_STATUS_REFUNDED;
using v1::ORDER_STATUS_REJECTED;
using v1::ORDER_STATUS_SHIPPED;

// The whole lifecycle. A refund of a cancelled or rejected order is allowed
// so that money taken before the cancellation can be returned; the app layer
// also requires something to have been paid.
constexpr std::pair<OrderStatus, OrderStatus> kTransitions[] = {
    {ORDER_STATUS_PENDING, ORDER_STATUS_AWAITING_VERIFICATION},
    {ORDER_STATUS_PENDING, ORDER_STATUS_PROCESSING},
    {ORDER_STATUS_PENDING, ORDER_STATUS_CANCELLED},
    {ORDER_STATUS_PENDING, ORDER_STATUS_REJECTED},
    {ORDER_STATUS_AWAITING_VERIFICATION, ORDER_STATUS_PROCESSING},
    {ORDER_STATUS_AWAITING_VERIFICATION, ORDER_STATUS_PENDING},
    {ORDER_STATUS_AWAITING_VERIFICATION, ORDER_STATUS_CANCELLED},
    {ORDER_STATUS_AWAITING_VERIFICATION, ORDER_STATUS_REJECTED},
    {ORDER_STATUS_PROCESSING, ORDER_STATUS_SHIPPED},
    {ORDER_STATUS_PROCESSING, ORDER_STATUS_COMPLETED},
    {ORDER_STATUS_PROCESSING, ORDER_STATUS_CANCELLED},
    {ORDER_STATUS_PROCESSING, ORDER_STATUS_REJECTED},
    {ORDER_STATUS_PROCESSING, ORDER_STATUS_REFUNDED},
    {ORDER_STATUS_PROCESSING, ORDER_STATUS_PARTIALLY_REFUNDED},
    {ORDER_STATUS_SHIPPED, ORDER_STATUS_COMPLETED},
    {ORDER_STATUS_SHIPPED, ORDER_STATUS_REFUNDED},
    {ORDER_STATUS_SHIPPED, ORDER_STATUS_PARTIALLY_REFUNDED},
    {ORDER_STATUS_COMPLETED, ORDER_STATUS_REFUNDED},
    {ORDER_STATUS_COMPLETED, ORDER_STATUS_PARTIALLY_REFUNDED},
    {ORDER_STATUS_PARTIALLY_REFUNDED, ORDER_STATUS_PARTIALLY_REFUNDED},
    {ORDER_STATUS_PARTIALLY_REFUNDED, ORDER_STATUS_REFUNDED},
    {ORDER_STATUS_PARTIALLY_REFUNDED, ORDER_STATUS_SHIPPED},
    {ORDER_STATUS_PARTIALLY_REFUNDED, ORDER_STATUS_COMPLETED},
    {ORDER_STATUS_CANCELLED, ORDER_STATUS_REFUNDED},
    {ORDER_STATUS_CANCELLED, ORDER_STATUS_PARTIALLY_REFUNDED},
    {ORDER_STATUS_REJECTED, ORDER_STATUS_REFUNDED},
    {ORDER_STATUS_REJECTED, ORDER_STATUS_PARTIALLY_REFUNDED},
};

// Steps back, made only by undoing a bulk job (CheckCorrection).
constexpr std::pair<OrderStatus, OrderStatus> kCorrections[] = {
    {ORDER_STATUS_SHIPPED, ORDER_STATUS_PROCESSING},
    {ORDER_STATUS_COMPLETED, ORDER_STATUS_SHIPPED},
    {ORDER_STATUS_COMPLETED, ORDER_STATUS_PROCESSING},
};

}  // namespace

absl::Status CheckCorrection(OrderStatus from, OrderStatus to) {
  for (const auto& [f, t] : kCorrections) {
    if (f == from && t == to) return absl::OkStatus();
  }
  return Precondition(
      "ILLEGAL_TRANSITION",
      absl::StrCat("an order cannot be taken back from ", StatusName(from), " to ", StatusName(to)),
      {{"from", StatusName(from)}, {"to", StatusName(to)}});
}

std::string StatusName(OrderStatus status) {
  std::string name = v1::OrderStatus_Name(status);
  constexpr absl::string_view kPrefix = "ORDER_STATUS_";
  if (absl::StartsWith(name, kPrefix)) name = name.substr(kPrefix.size());
  return absl::AsciiStrToLower(name);
}

OrderStatus StatusFromName(absl::string_view name) {
  OrderStatus s = v1::ORDER_STATUS_UNSPECIFIED;
  const std::string upper = absl::AsciiStrToUpper(name);
  if (v1::OrderStatus_Parse(absl::StrCat("ORDER_STATUS_", upper), &s)) return s;
  if (v1::OrderStatus_Parse(upper, &s)) return s;
  return v1::ORDER_STATUS_UNSPECIFIED;
}

std::vector<OrderStatus> AllowedNext(OrderStatus from) {
  std::vector<OrderStatus> next;
  for (const auto& [f, t] : kTransitions) {
    if (f == from) next.push_back(t);
  }
  return next;
}

absl::Status CheckTransition(OrderStatus from, OrderStatus to) {
  for (const auto& [f, t] : kTransitions) {
    if (f == from && t == to) return absl::OkStatus();
  }
  std::vector<std::string> allowed;
  for (OrderStatus s : AllowedNext(from)) allowed.push_back(StatusName(s));
  const std::string allowed_text = allowed.empty() ? "none, it is final" : absl::StrJoin(allowed, ", ");
  return Precondition("ILLEGAL_TRANSITION",
                      absl::StrCat("an order cannot go from ", StatusName(from), " to ",
                                   StatusName(to), "; from ", StatusName(from),
                                   " it can go to: ", allowed_text),
                      {{"from", StatusName(from)}, {"to", StatusName(to)},
                       {"allowed", absl::StrJoin(allowed, ",")}});
}

bool IsUnprocessed(OrderStatus status) {
  return status == ORDER_STATUS_PENDING || status == ORDER_STATUS_AWAITING_VERIFICATION ||
         status == ORDER_STATUS_PROCESSING;
}

bool IsTerminal(OrderStatus status) { return AllowedNext(status).empty(); }

}  // namespace store::order
