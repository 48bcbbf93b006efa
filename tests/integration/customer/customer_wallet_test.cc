// The wallet ledger (CUS-10) against a real PostgreSQL database.
#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/grpcx/status.h"
#include "tests/integration/customer/customer_fixture.h"

namespace store::customer {
namespace {

using google::protobuf::util::TimeUtil;

class WalletTest : public CustomerFixture {
 protected:
  grpc::Status Credit(const std::string& id, int64_t minor, std::optional<absl::Duration> ttl,
                      v1::WalletEntry* out = nullptr, const std::string& key = "") {
    v1::CreditWalletRequest req;
    req.set_customer_id(id);
    req.mutable_amount()->set_amount_minor(minor);
    req.mutable_amount()->set_currency_code("USD");
    req.set_reason("goodwill");
    req.set_idempotency_key(key);
    if (ttl) *req.mutable_expire_time() = TimeUtil::MicrosecondsToTimestamp(
                 absl::ToUnixMicros(clock_.Now() + *ttl));
    v1::WalletEntry e;
    return stub_->CreditWallet(Ctx().get(), req, out ? out : &e);
  }
  grpc::Status Debit(const std::string& id, int64_t minor, const std::string& key,
                     v1::WalletEntry* out = nullptr) {
    v1::DebitWalletRequest req;
    req.set_customer_id(id);
    req.mutable_amount()->set_amount_minor(minor);
    req.mutable_amount()->set_currency_code("USD");
    req.set_reason("order payment");
    req.set_idempotency_key(key);
    v1::WalletEntry e;
    return stub_->DebitWallet(Ctx().get(), req, out ? out : &e);
  }
  v1::Wallet Get(const std::string& id) {
    v1::GetWalletRequest req;
    req.set_customer_id(id);
    v1::Wallet w;
    EXPECT_TRUE(stub_->GetWallet(Ctx().get(), req, &w).ok());
    return w;
  }
  int64_t Remaining(const std::string& credit_id) {
    return Sql("SELECT remaining FROM wallet_entries WHERE id = '" + credit_id + "'")[0][0]
        .as<int64_t>();
  }
};

TEST_F(WalletTest, DebitsConsumeSoonestExpiringCreditFirstWithHistory) {
  v1::Customer c = Create("w@example.com");
  v1::WalletEntry forever, late, soon;
  ASSERT_TRUE(Credit(c.id(), 1000, std::nullopt, &forever).ok());
  ASSERT_TRUE(Credit(c.id(), 500, absl::Hours(48), &late).ok());
  ASSERT_TRUE(Credit(c.id(), 300, absl::Hours(1), &soon).ok());
  v1::WalletEntry d;
  ASSERT_TRUE(Debit(c.id(), 700, "order-1", &d).ok());
  EXPECT_EQ(d.amount().amount_minor(), -700);
  EXPECT_EQ(d.balance_after().amount_minor(), 1100);
  EXPECT_EQ(Remaining(soon.id()), 0);
  EXPECT_EQ(Remaining(late.id()), 100);
  EXPECT_EQ(Remaining(forever.id()), 1000);
  // Idempotent on the key; the same key for another amount is refused.
  v1::WalletEntry again;
  ASSERT_TRUE(Debit(c.id(), 700, "order-1", &again).ok());
  EXPECT_EQ(again.id(), d.id());
  EXPECT_EQ(grpcx::ErrorInfoOf(Debit(c.id(), 10, "order-1"))->reason(), "IDEMPOTENCY_KEY_REUSED");
  v1::Wallet w = Get(c.id());
  EXPECT_EQ(w.balance().amount_minor(), 1100);
  ASSERT_EQ(w.entries_size(), 4);  // newest first
  EXPECT_EQ(w.entries(0).kind(), v1::WALLET_ENTRY_KIND_DEBIT);
  EXPECT_EQ(w.entries(0).actor(), "staff:test");
  EXPECT_EQ(w.entries(3).balance_after().amount_minor(), 1000);
}

TEST_F(WalletTest, NeverNegativeAndBadAmountsChangeNothing) {
  v1::Customer c = Create("n@example.com");
  ASSERT_TRUE(Credit(c.id(), 100, std::nullopt).ok());
  grpc::Status s = Debit(c.id(), 101, "k1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(grpcx::ErrorInfoOf(s)->reason(), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(grpcx::ErrorInfoOf(Debit(c.id(), 0, "k2"))->field(), "amount.amount_minor");
  v1::DebitWalletRequest eur;
  eur.set_customer_id(c.id());
  eur.mutable_amount()->set_amount_minor(10);
  eur.mutable_amount()->set_currency_code("EUR");
  eur.set_reason("x");
  eur.set_idempotency_key("k3");
  v1::WalletEntry e;
  EXPECT_EQ(grpcx::ErrorInfoOf(stub_->DebitWallet(Ctx().get(), eur, &e))->field(),
            "amount.currency_code");
  EXPECT_EQ(Get(c.id()).entries_size(), 1);
}

TEST_F(WalletTest, ConcurrentDebitsNeverOverdraw) {
  v1::Customer c = Create("race@example.com");
  ASSERT_TRUE(Credit(c.id(), 1000, std::nullopt).ok());
  ASSERT_TRUE(Credit(c.id(), 1000, absl::Hours(5)).ok());
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      grpc::Status s = Debit(c.id(), 300, absl::StrCat("k", i));
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);  // 6 × 300 = 1800 of 2000
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Get(c.id()).balance().amount_minor(), 200);
  // The stored balance equals the credits' remainders, and no balance_after is negative.
  EXPECT_EQ(Sql("SELECT wallet_balance FROM customers WHERE id = '" + c.id() + "'")[0][0]
                .as<int64_t>(),
            200);
  EXPECT_EQ(Sql("SELECT sum(remaining) FROM wallet_entries WHERE customer_id = '" + c.id() + "'")
                [0][0].as<int64_t>(),
            200);
}

TEST_F(WalletTest, ExpiryIsWrittenOffByTheSchedulerOnTheInjectedClock) {
  v1::Customer c = Create("exp@example.com");
  v1::WalletEntry temp;
  ASSERT_TRUE(Credit(c.id(), 500, absl::Hours(24), &temp).ok());
  ASSERT_TRUE(Credit(c.id(), 200, std::nullopt).ok());
  ASSERT_TRUE(Debit(c.id(), 100, "before").ok());  // from the expiring credit
  EXPECT_EQ(Remaining(temp.id()), 400);
  absl::StatusOr<int> none = wallet_->ExpireDue();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(Get(c.id()).balance().amount_minor(), 200);  // spendable, before the write-off
  absl::StatusOr<int> done = wallet_->ExpireDue();
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, 1);
  v1::Wallet w = Get(c.id());
  EXPECT_EQ(w.balance().amount_minor(), 200);
  EXPECT_EQ(w.entries(0).kind(), v1::WALLET_ENTRY_KIND_EXPIRY);
  EXPECT_EQ(w.entries(0).amount().amount_minor(), -400);
  EXPECT_EQ(w.entries(0).balance_after().amount_minor(), 200);
  EXPECT_EQ(*wallet_->ExpireDue(), 0);  // once
  EXPECT_EQ(grpcx::ErrorInfoOf(Debit(c.id(), 201, "after"))->reason(), "INSUFFICIENT_FUNDS");
}

TEST_F(WalletTest, ReversalGivesBackExactlyTheConsumedCreditsOnce) {
  v1::Customer c = Create("rev@example.com");
  v1::WalletEntry a, b;
  ASSERT_TRUE(Credit(c.id(), 300, absl::Hours(2), &a).ok());
  ASSERT_TRUE(Credit(c.id(), 300, std::nullopt, &b).ok());
  ASSERT_TRUE(Debit(c.id(), 400, "req-9").ok());
  v1::ReverseWalletDebitRequest rev;
  rev.set_customer_id(c.id());
  rev.set_idempotency_key("req-9");
  v1::ReverseWalletDebitResponse r1, r2;
  ASSERT_TRUE(stub_->ReverseWalletDebit(Ctx().get(), rev, &r1).ok());
  EXPECT_EQ(r1.reversal().amount().amount_minor(), 400);
  EXPECT_EQ(Remaining(a.id()), 300);
  EXPECT_EQ(Remaining(b.id()), 300);
  ASSERT_TRUE(stub_->ReverseWalletDebit(Ctx().get(), rev, &r2).ok());
  EXPECT_EQ(r2.reversal().id(), r1.reversal().id());
  EXPECT_EQ(Get(c.id()).balance().amount_minor(), 600);
  // No debit with that key: nothing to do.
  rev.set_idempotency_key("never-debited");
  v1::ReverseWalletDebitResponse r3;
  ASSERT_TRUE(stub_->ReverseWalletDebit(Ctx().get(), rev, &r3).ok());
  EXPECT_FALSE(r3.has_reversal());
  EXPECT_EQ(OutboxEvents("store.customer.v1.WalletChanged").size(), 4u);

  // The order is placed again with the same request_id: it pays again, and
  // that payment can be given back in turn.
  v1::WalletEntry second;
  ASSERT_TRUE(Debit(c.id(), 400, "req-9", &second).ok());
  EXPECT_EQ(Get(c.id()).balance().amount_minor(), 200);
  v1::WalletEntry replay;
  ASSERT_TRUE(Debit(c.id(), 400, "req-9", &replay).ok());
  EXPECT_EQ(replay.id(), second.id());
  rev.set_idempotency_key("req-9");
  v1::ReverseWalletDebitResponse r4;
  ASSERT_TRUE(stub_->ReverseWalletDebit(Ctx().get(), rev, &r4).ok());
  EXPECT_NE(r4.reversal().id(), r1.reversal().id());
  EXPECT_EQ(Get(c.id()).balance().amount_minor(), 600);
}

// The store currency is configuration (STORE_CURRENCY), not a constant.
class EuroWalletTest : public CustomerFixture {
 protected:
  std::string StoreCurrency() override { return "EUR"; }
};

TEST_F(EuroWalletTest, AmountsAreInTheConfiguredStoreCurrency) {
  v1::Customer c = Create("euro@example.com");
  v1::CreditWalletRequest req;
  req.set_customer_id(c.id());
  req.mutable_amount()->set_amount_minor(500);
  req.mutable_amount()->set_currency_code("USD");
  req.set_reason("goodwill");
  v1::WalletEntry e;
  grpc::Status refused = stub_->CreditWallet(Ctx().get(), req, &e);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("EUR"));
  req.mutable_amount()->set_currency_code("EUR");
  ASSERT_TRUE(stub_->CreditWallet(Ctx().get(), req, &e).ok());
  EXPECT_EQ(e.amount().currency_code(), "EUR");
  EXPECT_EQ(e.balance_after().currency_code(), "EUR");
  v1::GetCustomerRequest get;
  get.set_id(c.id());
  v1::Customer out;
  ASSERT_TRUE(stub_->GetCustomer(Ctx().get(), get, &out).ok());
  EXPECT_EQ(out.wallet_balance().amount_minor(), 500);
  EXPECT_EQ(out.wallet_balance().currency_code(), "EUR");
  EXPECT_EQ(out.facts().total_spent().currency_code(), "EUR");
}

}  // namespace
}  // namespace store::customer
