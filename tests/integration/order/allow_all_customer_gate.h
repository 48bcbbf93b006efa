// A CustomerGate for tests that are not about the customer service: every
// buyer may order (no group discount) and every debit succeeds. Test code
// only; production runs GrpcCustomerGate or, explicitly configured,
// DisabledCustomerGate.
#ifndef STORE_TESTS_INTEGRATION_ORDER_ALLOW_ALL_CUSTOMER_GATE_H_
#define STORE_TESTS_INTEGRATION_ORDER_ALLOW_ALL_CUSTOMER_GATE_H_

#include <string>

#include "services/order/app/customer_gate.h"

namespace store::order {

class AllowAllCustomerGate final : public CustomerGate {
 public:
  absl::StatusOr<CheckoutDecision> Check(const std::string&, const std::string&,
                                         const std::string&) override {
    return CheckoutDecision{};
  }
  absl::Status DebitWallet(const std::string&, const common::v1::Money&, const std::string&,
                           const std::string&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<bool> ReverseDebit(const std::string&, const std::string&,
                                    const std::string&) override {
    return false;
  }
};

}  // namespace store::order

#endif  // STORE_TESTS_INTEGRATION_ORDER_ALLOW_ALL_CUSTOMER_GATE_H_
