// CustomerGate over gRPC: store.customer.v1.CustomerService's CheckCheckout,
// DebitWallet and ReverseWalletDebit, each call with its own deadline.
//
// The checks of concurrent placements are coalesced: while kChecksInFlight
// calls are on their way, the checks that arrive wait and go together in one
// CheckCheckouts call (up to kMaxCheckBatch), answered with one statement. A
// lone check goes at once as CheckCheckout. A customer service that does not
// know CheckCheckouts yet (UNIMPLEMENTED, during a rolling upgrade) is asked
// one check at a time from then on.
#ifndef STORE_SERVICES_ORDER_CLIENTS_CUSTOMER_GATE_GRPC_H_
#define STORE_SERVICES_ORDER_CLIENTS_CUSTOMER_GATE_GRPC_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/core/coalescer.h"
#include "services/order/app/customer_gate.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace store::order {

class GrpcCustomerGate final : public CustomerGate {
 public:
  // `timeout` bounds each call (CUSTOMER_CHECK_TIMEOUT).
  GrpcCustomerGate(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  static constexpr size_t kMaxCheckBatch = 64;
  static constexpr int kChecksInFlight = 2;

  absl::StatusOr<CheckoutDecision> Check(const std::string& customer_id, const std::string& email,
                                         const std::string& phone) override;
  absl::Status DebitWallet(const std::string& customer_id, const common::v1::Money& amount,
                           const std::string& reason, const std::string& idempotency_key) override;
  absl::StatusOr<bool> ReverseDebit(const std::string& customer_id,
                                    const std::string& idempotency_key,
                                    const std::string& reason) override;

 private:
  using CheckResult = absl::StatusOr<CheckoutDecision>;
  CheckResult CheckOne(const customer::v1::CheckCheckoutRequest& request);
  std::vector<CheckResult> CheckMany(const std::vector<customer::v1::CheckCheckoutRequest>& checks);

  std::unique_ptr<customer::v1::CustomerService::Stub> stub_;
  absl::Duration timeout_;
  std::atomic<bool> batches_unsupported_{false};
  Coalescer<customer::v1::CheckCheckoutRequest, CheckResult> checks_;
};

// The status PlaceOrder returns for a failed customer-service call `what`
// ("CheckCheckout", ...): FAILED_PRECONDITION passed through (reason and
// message), NOT_FOUND as INVALID_ARGUMENT `customer.customer_id`, anything
// else as UNAVAILABLE CUSTOMER_SERVICE_UNAVAILABLE (logged).
absl::Status CustomerServiceError(const char* what, const grpc::Status& status);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_CLIENTS_CUSTOMER_GATE_GRPC_H_
