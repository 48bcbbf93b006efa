// Use cases of the customer service. Each runs one database transaction
// that loads what it needs, applies the rules (domain/), writes the change
// and its event(s) to the outbox, refreshes live segment membership for the
// customers it touched, and commits them together.
//
// Profiles, addresses, notes, accounts, consent, groups, settings, custom
// fields, blacklist and the checkout guard are here; the wallet, segments,
// import/export, order facts and privacy have their own files next door.
#ifndef STORE_SERVICES_CUSTOMER_APP_CUSTOMER_APP_H_
#define STORE_SERVICES_CUSTOMER_APP_CUSTOMER_APP_H_

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/customer/app/customer_options.h"
#include "services/customer/store/customer_store.h"
#include "store/customer/v1/customer.pb.h"
#include "store/customer/v1/customer_service.pb.h"

namespace store::customer {

// How long account tokens work.
inline constexpr absl::Duration kVerifyTokenTtl = absl::Hours(48);
inline constexpr absl::Duration kResetTokenTtl = absl::Hours(1);

// Who calls: the actor ("staff:alice", "customer:<id>") and, for a customer,
// their own id.
struct Caller {
  std::string actor;
  std::string customer_id;  // empty unless a customer calls
  bool is_customer() const { return !customer_id.empty(); }
};

// After a change to customer `id`: bumps its version, publishes
// CustomerUpdated with the fields named, refreshes its segment membership.
// Returns the customer as stored.
absl::StatusOr<v1::Customer> FinishUpdate(pqxx::transaction_base& tx,
                                          const CustomerOptions& options, const std::string& id,
                                          std::vector<std::string> changed_fields, absl::Time now,
                                          bool bump_version = true);

class CustomerApp {
 public:
  CustomerApp(pg::Pool& pool, const Clock& clock, CustomerOptions options = {})
      : pool_(pool), clock_(clock), options_(std::move(options)) {}

  absl::StatusOr<v1::Customer> CreateCustomer(const v1::CreateCustomerRequest& request,
                                              const Caller& caller);
  absl::StatusOr<v1::Customer> RegisterCustomer(const v1::RegisterCustomerRequest& request,
                                                const Caller& caller);
  absl::StatusOr<v1::Customer> GetCustomer(const std::string& id);
  absl::StatusOr<v1::Customer> UpdateCustomer(const v1::UpdateCustomerRequest& request,
                                              const Caller& caller);
  absl::Status DeleteCustomer(const std::string& id, const Caller& caller);
  absl::StatusOr<v1::BatchDeleteCustomersResponse> BatchDelete(
      const v1::BatchDeleteCustomersRequest& request, const Caller& caller);
  absl::StatusOr<v1::ListCustomersResponse> ListCustomers(const v1::ListCustomersRequest& request);

  absl::StatusOr<v1::CustomerAddress> AddAddress(const v1::AddAddressRequest& request);
  absl::StatusOr<v1::CustomerAddress> UpdateAddress(const v1::UpdateAddressRequest& request);
  absl::Status DeleteAddress(const v1::DeleteAddressRequest& request);

  absl::StatusOr<v1::CustomerNote> AddNote(const v1::AddCustomerNoteRequest& request,
                                           const Caller& caller);
  absl::StatusOr<std::vector<v1::CustomerNote>> ListNotes(const std::string& customer_id);

  // Accounts (CUS-03).
  absl::StatusOr<v1::Customer> Authenticate(const v1::AuthenticateCustomerRequest& request);
  absl::Status SetPassword(const v1::SetPasswordRequest& request, const Caller& caller);
  absl::StatusOr<absl::Time> RequestEmailVerification(const std::string& customer_id);
  absl::StatusOr<v1::Customer> VerifyEmail(const std::string& token);
  absl::StatusOr<v1::Customer> MarkEmailVerified(const std::string& customer_id,
                                                 const Caller& caller);
  absl::Status RequestPasswordReset(const std::string& email);
  absl::Status ResetPassword(const v1::ResetPasswordRequest& request);
  absl::StatusOr<v1::Customer> Approve(const std::string& customer_id, const Caller& caller);
  absl::StatusOr<v1::CustomerSettings> GetSettings();
  absl::StatusOr<v1::CustomerSettings> UpdateSettings(const v1::CustomerSettings& settings);

  // Consent ledger (CUS-16).
  absl::StatusOr<v1::ConsentRecord> SetConsent(const v1::SetConsentRequest& request,
                                               const Caller& caller);
  absl::StatusOr<std::vector<v1::ConsentRecord>> ListConsents(const std::string& customer_id);

  // Groups (CUS-06).
  absl::StatusOr<v1::CustomerGroup> CreateGroup(const v1::CreateGroupRequest& request);
  absl::StatusOr<v1::CustomerGroup> UpdateGroup(const v1::CustomerGroup& group);
  absl::Status DeleteGroup(const std::string& id);
  absl::StatusOr<std::vector<v1::CustomerGroup>> ListGroups();
  absl::StatusOr<v1::AssignGroupResponse> AssignGroup(const v1::AssignGroupRequest& request);

  // Custom fields (CUS-07).
  absl::StatusOr<v1::CustomField> DefineCustomField(const v1::CustomField& field);
  absl::StatusOr<std::vector<v1::CustomField>> ListCustomFields();
  absl::Status DeleteCustomField(const std::string& key);

  // Blacklist (CUS-11) and the checkout guard (ORD-13).
  absl::StatusOr<v1::BlacklistEntry> AddBlacklistEntry(v1::BlacklistEntry entry,
                                                       const Caller& caller);
  absl::StatusOr<v1::BlacklistEntry> UpdateBlacklistEntry(v1::BlacklistEntry entry);
  absl::Status RemoveBlacklistEntry(const std::string& id);
  absl::StatusOr<v1::ListBlacklistEntriesResponse> ListBlacklist(
      const v1::ListBlacklistEntriesRequest& request);
  absl::StatusOr<v1::CheckCheckoutResponse> CheckCheckout(const v1::CheckCheckoutRequest& request);
  // Up to kMaxCheckoutChecks checks in one statement, each with its own
  // answer; the call itself fails only on a bad batch or a database error.
  absl::StatusOr<v1::CheckCheckoutsResponse> CheckCheckouts(
      const v1::CheckCheckoutsRequest& request);
  static constexpr int kMaxCheckoutChecks = 100;

 private:
  // CustomerStore::Checkouts in one autocommit statement (on every order's
  // path: no BEGIN/COMMIT).
  absl::StatusOr<std::vector<CustomerStore::CheckoutFacts>> CheckoutFactsOf(
      const std::vector<CustomerStore::CheckoutKey>& keys);
  absl::StatusOr<v1::Customer> CreateAccount(v1::Customer customer, const std::string& password,
                                             const std::string& request_id, bool accepts_marketing,
                                             const std::string& consent_source,
                                             const std::string& wording_version,
                                             const std::vector<common::v1::Address>& addresses,
                                             bool send_welcome, bool self_signup,
                                             const Caller& caller);

  pg::Pool& pool_;
  const Clock& clock_;
  CustomerOptions options_;
};

// Records a consent change for `customer_id` (ledger row, latest state,
// ConsentChanged event). Shared by SetConsent, sign-up and import.
v1::ConsentRecord RecordConsent(pqxx::transaction_base& tx, const std::string& customer_id,
                                const std::string& email, v1::ConsentChannel channel, bool granted,
                                v1::ConsentLevel level, const std::string& source,
                                const std::string& wording_version, const std::string& ip,
                                const std::string& actor, absl::Time now);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_CUSTOMER_APP_H_
