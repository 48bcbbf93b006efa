// Pure rules of the customer service: validation of what callers send, the
// custom field types, and wallet arithmetic. No I/O; unit tested alone.
#ifndef STORE_SERVICES_CUSTOMER_DOMAIN_CUSTOMER_RULES_H_
#define STORE_SERVICES_CUSTOMER_DOMAIN_CUSTOMER_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/customer/v1/customer.pb.h"

namespace store::customer {

inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 256;

// Passwords: 8..256 bytes, not only whitespace. `field` names it in errors.
absl::Status ValidatePassword(absl::string_view field, absl::string_view password);

// ISO 3166-1 alpha-2, upper-cased ("de" → "DE"); empty stays empty.
absl::StatusOr<std::string> NormalizeCountry(absl::string_view field, absl::string_view country);

// Normalises the profile fields a caller may set (email, name, phone,
// country_code) in place, naming `prefix`.field in errors. `name_required`
// for registered customers (guests may have no name).
absl::Status NormalizeProfile(absl::string_view prefix, v1::Customer& customer,
                              bool name_required);

// Normalises and validates an address (country required, lines and city
// 1..200, phone E.164).
absl::Status NormalizeAddress(absl::string_view prefix, common::v1::Address& address);

// Custom field definitions: key [a-z][a-z0-9_]{0,62}, a label, a type,
// 1..100 distinct choices for CHOICE.
absl::Status ValidateCustomFieldDef(const v1::CustomField& field);

// A value for `def`, normalised ("42.50" → "42.5", dates checked). Errors
// name "custom_fields.<key>".
absl::StatusOr<std::string> NormalizeCustomValue(const v1::CustomField& def,
                                                 absl::string_view value);

// Group names: 1..100 characters; discounts 0..10000 basis points.
absl::Status ValidateGroup(absl::string_view name, int32_t discount_bp);

// ---- Wallet (CUS-10) ----

// A credit with something left to spend.
struct WalletCredit {
  std::string id;
  int64_t remaining = 0;
  std::optional<absl::Time> expires_at;
  int64_t seq = 0;  // ledger order: older first
};

// Credits in the order a debit consumes them: soonest expiry first, credits
// that never expire last, older first among equals.
void SortForSpending(std::vector<WalletCredit>& credits);

// Sum of what is left of the credits not expired at `now`.
int64_t SpendableBalance(const std::vector<WalletCredit>& credits, absl::Time now);

// Which credits a debit of `amount` (> 0) consumes and how much of each,
// skipping credits expired at `now`. FAILED_PRECONDITION
// INSUFFICIENT_FUNDS when the spendable balance is short: the balance never
// goes negative.
absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> AllocateDebit(
    std::vector<WalletCredit> credits, int64_t amount, absl::Time now);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_DOMAIN_CUSTOMER_RULES_H_
