// What PlaceOrder asks the customer service (ORD-13): whether the buyer may
// order at all, their group discount, and store-credit debits. The gRPC
// implementation is in services/order/clients/customer_gate_grpc.h; this
// interface keeps the use case testable and the RPC details out of it.
//
// Errors every implementation returns, ready for the caller of PlaceOrder:
// - FAILED_PRECONDITION with the customer service's reason and message
//   (CUSTOMER_BLACKLISTED, CUSTOMER_BLOCKED, CUSTOMER_INACTIVE,
//   INSUFFICIENT_FUNDS, ...), passed through;
// - INVALID_ARGUMENT field `customer.customer_id` "no such customer";
// - UNAVAILABLE reason CUSTOMER_SERVICE_UNAVAILABLE when the customer
//   service could not answer in time (or answered anything else).
#ifndef STORE_SERVICES_ORDER_APP_CUSTOMER_GATE_H_
#define STORE_SERVICES_ORDER_APP_CUSTOMER_GATE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/common/v1/money.pb.h"

namespace store::order {

// Reason of the UNAVAILABLE error when the customer service cannot answer.
inline constexpr char kCustomerServiceUnavailable[] = "CUSTOMER_SERVICE_UNAVAILABLE";

struct CheckoutDecision {
  // Discount of the customer's group in basis points (0: none, guests).
  int32_t group_discount_bp = 0;
  std::string group_name;
  // The buyer's group (for discount codes limited to a group); empty when
  // unknown (customer checks disabled).
  std::string group_id;
};

class CustomerGate {
 public:
  virtual ~CustomerGate() = default;

  // May this buyer order? `customer_id` is empty for a guest.
  virtual absl::StatusOr<CheckoutDecision> Check(const std::string& customer_id,
                                                 const std::string& email,
                                                 const std::string& phone) = 0;

  // Takes `amount` from the customer's wallet. Idempotent on
  // (customer_id, idempotency_key): PlaceOrder passes the request_id.
  virtual absl::Status DebitWallet(const std::string& customer_id, const common::v1::Money& amount,
                                   const std::string& reason,
                                   const std::string& idempotency_key) = 0;

  // Gives back the debit made with `idempotency_key`: true when it did (or
  // had before), false when there was no such debit (nothing to give back).
  virtual absl::StatusOr<bool> ReverseDebit(const std::string& customer_id,
                                            const std::string& idempotency_key,
                                            const std::string& reason) = 0;
};

// CUSTOMER_SERVICE_ADDR=disabled: every buyer may order, without a group
// discount; store credit is refused (FAILED_PRECONDITION
// STORE_CREDIT_UNAVAILABLE), since there is no wallet to debit. For running
// the order service alone (benchmarks, fault tests); main() logs a warning.
class DisabledCustomerGate final : public CustomerGate {
 public:
  absl::StatusOr<CheckoutDecision> Check(const std::string& customer_id, const std::string& email,
                                         const std::string& phone) override;
  absl::Status DebitWallet(const std::string& customer_id, const common::v1::Money& amount,
                           const std::string& reason, const std::string& idempotency_key) override;
  absl::StatusOr<bool> ReverseDebit(const std::string& customer_id,
                                    const std::string& idempotency_key,
                                    const std::string& reason) override;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_CUSTOMER_GATE_H_
