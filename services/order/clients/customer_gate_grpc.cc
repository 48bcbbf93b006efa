#include "services/order/clients/customer_gate_grpc.h"

#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"

namespace store::order {

namespace cv1 = customer::v1;

absl::Status CustomerServiceError(const char* what, const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
      // The buyer may not order (blacklisted, blocked, ...) or cannot pay:
      // the customer service's reason and message are for the caller.
      return grpcx::FromGrpcStatus(status);
    case grpc::StatusCode::NOT_FOUND:
      return InvalidField("customer.customer_id", "no such customer");
    default:
      log::Warning("customer service call failed",
                   {{"call", what},
                    {"code", absl::StrCat(static_cast<int>(status.error_code()))},
                    {"error", status.error_message()}});
      return MakeError(absl::StatusCode::kUnavailable, kCustomerServiceUnavailable, "",
                       "cannot check the customer right now; retry");
  }
}

namespace {

CheckoutDecision DecisionOf(const cv1::CheckCheckoutResponse& resp) {
  return CheckoutDecision{.group_discount_bp = resp.group_discount_bp(),
                          .group_name = resp.group_name(),
                          .group_id = resp.group_id()};
}

}  // namespace

GrpcCustomerGate::GrpcCustomerGate(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(cv1::CustomerService::NewStub(std::move(channel))),
      timeout_(timeout),
      checks_([this](const std::vector<cv1::CheckCheckoutRequest>& c) { return CheckMany(c); },
              kMaxCheckBatch, kChecksInFlight) {}

absl::StatusOr<CheckoutDecision> GrpcCustomerGate::Check(const std::string& customer_id,
                                                         const std::string& email,
                                                         const std::string& phone) {
  cv1::CheckCheckoutRequest req;
  req.set_customer_id(customer_id);
  req.set_email(email);
  req.set_phone(phone);
  return checks_.Call(std::move(req));
}

GrpcCustomerGate::CheckResult GrpcCustomerGate::CheckOne(const cv1::CheckCheckoutRequest& req) {
  cv1::CheckCheckoutResponse resp;
  auto ctx = grpcx::OutboundContext(timeout_);
  grpc::Status s = stub_->CheckCheckout(ctx.get(), req, &resp);
  if (!s.ok()) return CustomerServiceError("CheckCheckout", s);
  return DecisionOf(resp);
}

std::vector<GrpcCustomerGate::CheckResult> GrpcCustomerGate::CheckMany(
    const std::vector<cv1::CheckCheckoutRequest>& checks) {
  std::vector<CheckResult> out;
  out.reserve(checks.size());
  if (checks.size() > 1 && !batches_unsupported_.load()) {
    cv1::CheckCheckoutsRequest req;
    for (const auto& c : checks) *req.add_checks() = c;
    cv1::CheckCheckoutsResponse resp;
    auto ctx = grpcx::OutboundContext(timeout_);
    grpc::Status s = stub_->CheckCheckouts(ctx.get(), req, &resp);
    if (s.ok() && resp.results_size() != req.checks_size()) {
      s = grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat(resp.results_size(), " answers to ",
                                                                req.checks_size(), " checks"));
    }
    if (s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      for (int i = 0; i < req.checks_size(); ++i) {
        if (!s.ok()) {
          out.push_back(CustomerServiceError("CheckCheckouts", s));
        } else if (const auto& r = resp.results(i); r.error().code() != 0) {
          out.push_back(CustomerServiceError("CheckCheckout", grpcx::GrpcStatusOf(r.error())));
        } else {
          out.push_back(DecisionOf(r.decision()));
        }
      }
      return out;
    }
    log::Warning("the customer service does not know CheckCheckouts; checking one at a time");
    batches_unsupported_ = true;
  }
  for (const auto& c : checks) out.push_back(CheckOne(c));
  return out;
}

absl::Status GrpcCustomerGate::DebitWallet(const std::string& customer_id,
                                           const common::v1::Money& amount,
                                           const std::string& reason,
                                           const std::string& idempotency_key) {
  cv1::DebitWalletRequest req;
  req.set_customer_id(customer_id);
  *req.mutable_amount() = amount;
  req.set_reason(reason);
  req.set_idempotency_key(idempotency_key);
  cv1::WalletEntry entry;
  auto ctx = grpcx::OutboundContext(timeout_);
  grpc::Status s = stub_->DebitWallet(ctx.get(), req, &entry);
  if (!s.ok()) return CustomerServiceError("DebitWallet", s);
  return absl::OkStatus();
}

absl::StatusOr<bool> GrpcCustomerGate::ReverseDebit(const std::string& customer_id,
                                                    const std::string& idempotency_key,
                                                    const std::string& reason) {
  cv1::ReverseWalletDebitRequest req;
  req.set_customer_id(customer_id);
  req.set_idempotency_key(idempotency_key);
  req.set_reason(reason);
  cv1::ReverseWalletDebitResponse resp;
  auto ctx = grpcx::OutboundContext(timeout_);
  grpc::Status s = stub_->ReverseWalletDebit(ctx.get(), req, &resp);
  if (!s.ok()) return CustomerServiceError("ReverseWalletDebit", s);
  return resp.has_reversal();
}

}  // namespace store::order
