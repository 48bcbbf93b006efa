// An in-process stand-in for the customer service, for the order service's
// ORD-13 tests: CheckCheckout(s), DebitWallet and ReverseWalletDebit only,
// scripted per test, served over real gRPC on a free loopback port. It is the
// order service's peer (not its database or broker); the real pair is tested
// end to end.
//
// Wallet semantics assumed of the real service: DebitWallet is idempotent on
// (customer, idempotency_key) while the debit stands; once
// ReverseWalletDebit gave it back, the same key debits afresh (a PlaceOrder
// retried with the same request_id pays again).
#ifndef STORE_TESTS_INTEGRATION_ORDER_FAKE_CUSTOMER_SERVICE_H_
#define STORE_TESTS_INTEGRATION_ORDER_FAKE_CUSTOMER_SERVICE_H_

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "store/customer/v1/customer_service.grpc.pb.h"

namespace store::order {

class FakeCustomerService final : public customer::v1::CustomerService::Service {
 public:
  struct Debit {
    std::string customer_id;
    int64_t amount_minor = 0;
    std::string currency_code;
    std::string reason;
    std::string idempotency_key;
    bool reversed = false;
  };

  // ---- Script ----
  void AddCustomer(const std::string& id, int64_t balance = 0, int32_t discount_bp = 0,
                   const std::string& group = "Default") {
    std::lock_guard<std::mutex> lock(mu_);
    customers_[id] = {balance, discount_bp, group};
  }
  void Blacklist(const std::string& email) {
    std::lock_guard<std::mutex> lock(mu_);
    blacklisted_.insert(email);
  }
  // CheckCheckout for `email` (every buyer when empty) answers after `delay`.
  void SlowDown(absl::Duration delay, const std::string& email = "") {
    std::lock_guard<std::mutex> lock(mu_);
    delays_[email] = delay;
  }
  // CheckCheckouts answers UNIMPLEMENTED (a customer service from before it).
  void RefuseBatches() {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_batches_ = true;
  }
  // The next DebitWallet applies the debit, then answers UNAVAILABLE (as a
  // lost reply would look).
  void LoseNextDebitReply() {
    std::lock_guard<std::mutex> lock(mu_);
    lose_next_debit_reply_ = true;
  }

  // The next `n` ReverseWalletDebit calls fail UNAVAILABLE, changing nothing.
  void FailReversals(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_reversals_ = n;
  }

  // ---- What happened ----
  int64_t Balance(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return customers_.at(id).balance;
  }
  std::vector<Debit> Debits() {
    std::lock_guard<std::mutex> lock(mu_);
    return debits_;
  }
  std::vector<std::string> Reversals() {
    std::lock_guard<std::mutex> lock(mu_);
    return reversals_;
  }
  // Checks answered, one per buyer, by either RPC.
  int checks() {
    std::lock_guard<std::mutex> lock(mu_);
    return checks_;
  }
  // CheckCheckout and CheckCheckouts calls answered.
  int check_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return check_calls_;
  }
  // Checks that came in a CheckCheckouts call of more than one.
  int batched_checks() {
    std::lock_guard<std::mutex> lock(mu_);
    return batched_checks_;
  }
  int debit_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return debit_calls_;
  }

  // ---- The RPCs ----
  grpc::Status CheckCheckout(grpc::ServerContext*, const customer::v1::CheckCheckoutRequest* req,
                             customer::v1::CheckCheckoutResponse* resp) override {
    absl::SleepFor(Delay({*req}));
    std::lock_guard<std::mutex> lock(mu_);
    ++check_calls_;
    return CheckLocked(*req, resp);
  }

  // The checks answered together after the longest delay any of them has.
  grpc::Status CheckCheckouts(grpc::ServerContext*, const customer::v1::CheckCheckoutsRequest* req,
                              customer::v1::CheckCheckoutsResponse* resp) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (refuse_batches_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
    }
    absl::SleepFor(Delay({req->checks().begin(), req->checks().end()}));
    std::lock_guard<std::mutex> lock(mu_);
    ++check_calls_;
    if (req->checks_size() > 1) batched_checks_ += req->checks_size();
    for (const auto& check : req->checks()) {
      customer::v1::CheckCheckoutResult* r = resp->add_results();
      grpc::Status s = CheckLocked(check, r->mutable_decision());
      if (!s.ok()) {
        r->clear_decision();
        *r->mutable_error() = ToStatusDetails(grpcx::FromGrpcStatus(s));
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status DebitWallet(grpc::ServerContext*, const customer::v1::DebitWalletRequest* req,
                           customer::v1::WalletEntry* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++debit_calls_;
    auto it = customers_.find(req->customer_id());
    if (it == customers_.end())
      return grpcx::ToGrpcStatus(NotFound("customer", req->customer_id()));
    for (const Debit& d : debits_) {
      if (d.customer_id == req->customer_id() && d.idempotency_key == req->idempotency_key() &&
          !d.reversed) {
        return Entry(d, it->second.balance, resp);  // a retry: the first debit stands
      }
    }
    const int64_t amount = req->amount().amount_minor();
    if (amount <= 0) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "amount");
    if (it->second.balance < amount) {
      return grpcx::ToGrpcStatus(
          Precondition("INSUFFICIENT_FUNDS", absl::StrCat("the wallet holds ", it->second.balance,
                                                          ", less than the ", amount, " to pay")));
    }
    it->second.balance -= amount;
    debits_.push_back({req->customer_id(), amount, req->amount().currency_code(), req->reason(),
                       req->idempotency_key()});
    if (lose_next_debit_reply_) {
      lose_next_debit_reply_ = false;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset");
    }
    return Entry(debits_.back(), it->second.balance, resp);
  }

  grpc::Status ReverseWalletDebit(grpc::ServerContext*,
                                  const customer::v1::ReverseWalletDebitRequest* req,
                                  customer::v1::ReverseWalletDebitResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (failing_reversals_ > 0) {
      --failing_reversals_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
    }
    reversals_.push_back(req->idempotency_key());
    for (Debit& d : debits_) {
      if (d.customer_id == req->customer_id() && d.idempotency_key == req->idempotency_key() &&
          !d.reversed) {
        d.reversed = true;
        customers_.at(d.customer_id).balance += d.amount_minor;
        resp->mutable_reversal()->set_id(NewUuid());
        resp->mutable_reversal()->set_kind(customer::v1::WALLET_ENTRY_KIND_REVERSAL);
        resp->mutable_reversal()->mutable_amount()->set_amount_minor(d.amount_minor);
        break;
      }
    }
    return grpc::Status::OK;
  }

 private:
  struct Customer {
    int64_t balance = 0;
    int32_t discount_bp = 0;
    std::string group;
  };
  absl::Duration Delay(const std::vector<customer::v1::CheckCheckoutRequest>& checks) {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Duration delay = absl::ZeroDuration();
    for (const auto& c : checks) {
      if (auto it = delays_.find(c.email()); it != delays_.end())
        delay = std::max(delay, it->second);
      if (auto it = delays_.find(""); it != delays_.end()) delay = std::max(delay, it->second);
    }
    return delay;
  }
  grpc::Status CheckLocked(const customer::v1::CheckCheckoutRequest& req,
                           customer::v1::CheckCheckoutResponse* resp) {
    ++checks_;
    if (blacklisted_.count(req.email()) > 0) {
      return grpcx::ToGrpcStatus(Precondition(
          "CUSTOMER_BLACKLISTED",
          absl::StrCat("orders from ", req.email(), " are not accepted (blacklisted)")));
    }
    if (req.customer_id().empty()) return grpc::Status::OK;  // a guest
    auto it = customers_.find(req.customer_id());
    if (it == customers_.end()) {
      return grpcx::ToGrpcStatus(NotFound("customer", req.customer_id()));
    }
    resp->set_group_discount_bp(it->second.discount_bp);
    resp->set_group_name(it->second.group);
    return grpc::Status::OK;
  }
  static grpc::Status Entry(const Debit& d, int64_t balance, customer::v1::WalletEntry* out) {
    out->set_id(NewUuid());
    out->set_kind(customer::v1::WALLET_ENTRY_KIND_DEBIT);
    out->mutable_amount()->set_amount_minor(-d.amount_minor);
    out->mutable_amount()->set_currency_code(d.currency_code);
    out->mutable_balance_after()->set_amount_minor(balance);
    out->set_idempotency_key(d.idempotency_key);
    return grpc::Status::OK;
  }

  std::mutex mu_;
  std::map<std::string, Customer> customers_;
  std::set<std::string> blacklisted_;
  std::map<std::string, absl::Duration> delays_;
  bool lose_next_debit_reply_ = false;
  int failing_reversals_ = 0;
  std::vector<Debit> debits_;
  std::vector<std::string> reversals_;
  bool refuse_batches_ = false;
  int checks_ = 0;
  int check_calls_ = 0;
  int batched_checks_ = 0;
  int debit_calls_ = 0;
};

// The fake served on 127.0.0.1:<free port>.
class FakeCustomerServer {
 public:
  FakeCustomerServer()
      : host_(std::make_unique<grpcx::ServerHost>(
            grpcx::ServerOptions{.listen = "127.0.0.1:0", .shutdown_grace = absl::Seconds(5)})) {
    host_->AddService(&service_);
    started_ = host_->Start();
    address_ = absl::StrCat("127.0.0.1:", host_->port());
  }
  ~FakeCustomerServer() { Stop(); }

  // Nothing listens at address() any more.
  void Stop() {
    if (host_) host_->Shutdown();
    host_.reset();
  }

  const absl::Status& started() const { return started_; }
  const std::string& address() const { return address_; }
  FakeCustomerService& service() { return service_; }

 private:
  FakeCustomerService service_;
  std::unique_ptr<grpcx::ServerHost> host_;
  absl::Status started_;
  std::string address_;
};

}  // namespace store::order

#endif  // STORE_TESTS_INTEGRATION_ORDER_FAKE_CUSTOMER_SERVICE_H_
