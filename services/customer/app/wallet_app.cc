#include "services/customer/app/wallet_app.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/contact.h"
#include "libs/core/ids.h"
#include "libs/core/paging.h"
#include "libs/core/status.h"
#include "libs/pg/values.h"
#include "services/customer/app/customer_options.h"
#include "services/customer/domain/customer_rules.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/wallet_store.h"
#include "store/customer/v1/events.pb.h"

namespace store::customer {

using google::protobuf::util::TimeUtil;

namespace {

absl::Status CheckAmount(const common::v1::Money& m, const std::string& currency) {
  if (m.currency_code() != currency) {
    return InvalidField("amount.currency_code",
                        absl::StrCat("must be the store currency ", currency));
  }
  if (m.amount_minor() <= 0) return InvalidField("amount.amount_minor", "must be greater than 0");
  if (m.amount_minor() > 100'000'000'000LL)
    return InvalidField("amount.amount_minor", "is too large");
  return absl::OkStatus();
}

v1::WalletEntry NewEntry(v1::WalletEntryKind kind, int64_t amount, int64_t balance_after,
                         const std::string& reason, const std::string& actor,
                         const std::string& key, const std::string& currency, absl::Time now) {
  v1::WalletEntry e;
  e.set_id(NewUuid());
  e.set_kind(kind);
  e.mutable_amount()->set_amount_minor(amount);
  e.mutable_amount()->set_currency_code(currency);
  e.mutable_balance_after()->set_amount_minor(balance_after);
  e.mutable_balance_after()->set_currency_code(currency);
  e.set_reason(reason);
  e.set_actor(actor);
  e.set_idempotency_key(key);
  *e.mutable_create_time() = pg::ToTimestamp(now);
  return e;
}

void Publish(pqxx::transaction_base& tx, const v1::Customer& c, const v1::WalletEntry& e,
             bool notify, absl::Time now) {
  v1::WalletChanged ev;
  ev.set_customer_id(c.id());
  ev.set_email(c.email());
  *ev.mutable_entry() = e;
  ev.set_notify_customer(notify);
  PublishCustomerEvent(tx, ev, c.id(), c.version(), now);
}

// Writes off what is left of credits expired at `now`; the customer row is
// locked by the caller. Returns the balance afterwards.
int64_t WriteOffExpired(pqxx::transaction_base& tx, const v1::Customer& c,
                        const std::string& currency, absl::Time now) {
  int64_t balance = WalletStore::Balance(tx, c.id());
  for (const WalletCredit& credit : WalletStore::OpenCredits(tx, c.id())) {
    if (!credit.expires_at.has_value() || *credit.expires_at > now) continue;
    balance -= credit.remaining;
    WalletStore::Exhaust(tx, credit.id);
    v1::WalletEntry e = NewEntry(v1::WALLET_ENTRY_KIND_EXPIRY, -credit.remaining, balance,
                                 "store credit expired", "system", "", currency, now);
    WalletStore::Append(tx, c.id(), e, 0, credit.id);
    Publish(tx, c, e, true, now);
  }
  return balance;
}

absl::StatusOr<v1::Customer> LockCustomer(pqxx::transaction_base& tx, absl::string_view currency,
                                          const std::string& id) {
  if (!IsUuid(id)) return InvalidField("customer_id", "must be a UUID");
  std::optional<v1::Customer> c = CustomerStore::Load(tx, currency, id, true, false);
  if (!c.has_value()) return NotFound("customer", id);
  return *c;
}

}  // namespace

absl::StatusOr<v1::WalletEntry> WalletApp::Credit(const v1::CreditWalletRequest& r,
                                                  const Caller& caller) {
  STORE_RETURN_IF_ERROR(CheckAmount(r.amount(), options_.store_currency));
  STORE_RETURN_IF_ERROR(ValidateText("reason", r.reason(), 1, 500));
  STORE_RETURN_IF_ERROR(ValidateText("idempotency_key", r.idempotency_key(), 0, 200));
  const absl::Time now = clock_.Now();
  if (r.has_expire_time() &&
      TimeUtil::TimestampToMicroseconds(r.expire_time()) <= absl::ToUnixMicros(now)) {
    return InvalidField("expire_time", "must be in the future");
  }
  v1::WalletEntry out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c,
                           LockCustomer(tx, options_.store_currency, r.customer_id()));
    if (!r.idempotency_key().empty()) {
      if (auto prior = WalletStore::FindByKey(tx, options_.store_currency, c.id(),
                                              v1::WALLET_ENTRY_KIND_CREDIT, r.idempotency_key())) {
        out = *prior;
        return absl::OkStatus();
      }
    }
    const int64_t balance =
        WriteOffExpired(tx, c, options_.store_currency, now) + r.amount().amount_minor();
    out = NewEntry(v1::WALLET_ENTRY_KIND_CREDIT, r.amount().amount_minor(), balance, r.reason(),
                   caller.actor, r.idempotency_key(), options_.store_currency, now);
    if (r.has_expire_time()) *out.mutable_expire_time() = r.expire_time();
    WalletStore::Append(tx, c.id(), out, r.amount().amount_minor(), "");
    Publish(tx, c, out, r.notify_customer(), now);
    return FinishUpdate(tx, options_, c.id(), {"wallet_balance"}, now).status();
  }));
  return out;
}

absl::StatusOr<v1::WalletEntry> WalletApp::Debit(const v1::DebitWalletRequest& r,
                                                 const Caller& caller) {
  STORE_RETURN_IF_ERROR(CheckAmount(r.amount(), options_.store_currency));
  STORE_RETURN_IF_ERROR(ValidateText("reason", r.reason(), 1, 500));
  STORE_RETURN_IF_ERROR(ValidateText("idempotency_key", r.idempotency_key(), 1, 200));
  const absl::Time now = clock_.Now();
  v1::WalletEntry out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    STORE_ASSIGN_OR_RETURN(v1::Customer c,
                           LockCustomer(tx, options_.store_currency, r.customer_id()));
    if (auto prior = WalletStore::FindByKey(tx, options_.store_currency, c.id(),
                                            v1::WALLET_ENTRY_KIND_DEBIT, r.idempotency_key())) {
      if (std::optional<std::string> reversal = WalletStore::ReversalOf(tx, prior->id())) {
        // That payment was given back (its order could not be stored): a
        // retry of the same order pays again.
        WalletStore::RetireKey(tx, prior->id(), *reversal);
      } else if (prior->amount().amount_minor() != -r.amount().amount_minor()) {
        return MakeError(absl::StatusCode::kInvalidArgument, "IDEMPOTENCY_KEY_REUSED",
                         "idempotency_key", "this key was used for a debit of another amount");
      } else {
        out = *prior;
        return absl::OkStatus();
      }
    }
    const int64_t balance = WriteOffExpired(tx, c, options_.store_currency, now);
    STORE_ASSIGN_OR_RETURN(auto allocations, AllocateDebit(WalletStore::OpenCredits(tx, c.id()),
                                                           r.amount().amount_minor(), now));
    out = NewEntry(v1::WALLET_ENTRY_KIND_DEBIT, -r.amount().amount_minor(),
                   balance - r.amount().amount_minor(), r.reason(), caller.actor,
                   r.idempotency_key(), options_.store_currency, now);
    WalletStore::Append(tx, c.id(), out, 0, "");
    WalletStore::Consume(tx, out.id(), allocations);
    Publish(tx, c, out, r.notify_customer(), now);
    return FinishUpdate(tx, options_, c.id(), {"wallet_balance"}, now).status();
  }));
  return out;
}

absl::StatusOr<v1::ReverseWalletDebitResponse> WalletApp::Reverse(
    const v1::ReverseWalletDebitRequest& r, const Caller& caller) {
  STORE_RETURN_IF_ERROR(ValidateText("idempotency_key", r.idempotency_key(), 1, 200));
  const absl::Time now = clock_.Now();
  v1::ReverseWalletDebitResponse out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.Clear();
    STORE_ASSIGN_OR_RETURN(v1::Customer c,
                           LockCustomer(tx, options_.store_currency, r.customer_id()));
    if (auto prior = WalletStore::FindByKey(tx, options_.store_currency, c.id(),
                                            v1::WALLET_ENTRY_KIND_REVERSAL, r.idempotency_key())) {
      *out.mutable_reversal() = *prior;
      return absl::OkStatus();
    }
    std::optional<v1::WalletEntry> debit = WalletStore::FindByKey(
        tx, options_.store_currency, c.id(), v1::WALLET_ENTRY_KIND_DEBIT, r.idempotency_key());
    if (!debit.has_value()) return absl::OkStatus();  // nothing was debited: nothing to give back
    const int64_t restored = WalletStore::Restore(tx, debit->id());
    const int64_t balance = WalletStore::Balance(tx, c.id()) + restored;
    v1::WalletEntry e = NewEntry(v1::WALLET_ENTRY_KIND_REVERSAL, restored, balance,
                                 r.reason().empty() ? "debit reversed" : r.reason(), caller.actor,
                                 r.idempotency_key(), options_.store_currency, now);
    WalletStore::Append(tx, c.id(), e, 0, debit->id());
    Publish(tx, c, e, false, now);
    // A restored credit that expired meanwhile is written off at once.
    WriteOffExpired(tx, c, options_.store_currency, now);
    *out.mutable_reversal() = e;
    return FinishUpdate(tx, options_, c.id(), {"wallet_balance"}, now).status();
  }));
  return out;
}

absl::StatusOr<v1::Wallet> WalletApp::Get(const v1::GetWalletRequest& r) {
  if (!IsUuid(r.customer_id())) return InvalidField("customer_id", "must be a UUID");
  if (r.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int limit = r.page_size() == 0 ? 50 : std::min(r.page_size(), 500);
  const std::string binding = absl::StrCat("wallet:", r.customer_id());
  std::optional<KeysetCursor> after;
  if (!r.page_token().empty()) {
    STORE_ASSIGN_OR_RETURN(after, DecodePageToken(r.page_token(), binding));
  }
  const absl::Time now = clock_.Now();
  v1::Wallet out;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    out.Clear();
    std::optional<v1::Customer> c =
        CustomerStore::Load(tx, options_.store_currency, r.customer_id(), false, false);
    if (!c.has_value()) return NotFound("customer", r.customer_id());
    // What can be spent now, even before the scheduler wrote off expired credits.
    out.mutable_balance()->set_amount_minor(
        SpendableBalance(WalletStore::OpenCredits(tx, c->id()), now));
    out.mutable_balance()->set_currency_code(options_.store_currency);
    auto rows = WalletStore::Entries(tx, options_.store_currency, c->id(), after, limit);
    const bool more = static_cast<int>(rows.size()) > limit;
    if (more) rows.resize(limit);
    for (auto& [seq, e] : rows) *out.add_entries() = e;
    if (more) {
      out.set_next_page_token(EncodePageToken(
          {.sort_value = rows.back().first, .id = rows.back().second.id(), .sort_text = ""},
          binding));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int> WalletApp::ExpireDue(int batch) {
  const absl::Time now = clock_.Now();
  std::vector<std::string> ids;
  STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
    ids = WalletStore::CustomersWithDueCredits(tx, now, batch);
    return absl::OkStatus();
  }));
  for (const auto& id : ids) {
    STORE_RETURN_IF_ERROR(pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
      std::optional<v1::Customer> c =
          CustomerStore::Load(tx, options_.store_currency, id, true, false);
      if (!c.has_value()) return absl::OkStatus();
      WriteOffExpired(tx, *c, options_.store_currency, now);
      return FinishUpdate(tx, options_, id, {"wallet_balance"}, now).status();
    }));
  }
  return static_cast<int>(ids.size());
}

}  // namespace store::customer
