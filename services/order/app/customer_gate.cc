#include "services/order/app/customer_gate.h"

#include "libs/core/status.h"

namespace store::order {

absl::StatusOr<CheckoutDecision> DisabledCustomerGate::Check(const std::string&, const std::string&,
                                                             const std::string&) {
  return CheckoutDecision{};
}

absl::Status DisabledCustomerGate::DebitWallet(const std::string&, const common::v1::Money&,
                                               const std::string&, const std::string&) {
  return Precondition("STORE_CREDIT_UNAVAILABLE",
                      "store credit cannot be used: this order service runs without the "
                      "customer service; choose another payment method");
}

absl::StatusOr<bool> DisabledCustomerGate::ReverseDebit(const std::string&, const std::string&,
                                                        const std::string&) {
  return false;  // nothing was ever debited
}

}  // namespace store::order
