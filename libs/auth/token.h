// Signed access tokens (JWT, HS256 pinned) for the gateway: staff tokens
// with a role (admin, staff, marketing) and service tokens for the shop's own
// storefront server (storefront) issued by `storectl token issue`, and
// customer tokens issued by the gateway's login. Verification checks the
// signature with the pinned algorithm (a token naming another one, `none`
// included, is refused before anything else is read), expiry, not-before,
// issuer and audience.
#ifndef STORE_LIBS_AUTH_TOKEN_H_
#define STORE_LIBS_AUTH_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store::auth {

inline constexpr absl::string_view kRoleAdmin = "admin";
inline constexpr absl::string_view kRoleStaff = "staff";
inline constexpr absl::string_view kRoleMarketing = "marketing";
inline constexpr absl::string_view kRoleStorefront = "storefront";
inline constexpr absl::string_view kRoleCustomer = "customer";

// True for the five roles above.
bool IsKnownRole(absl::string_view role);

// May set prices, discounts, fees and tax rates (ORD-18): admin, staff and
// storefront; never a customer or an anonymous caller.
bool IsPriceAuthority(absl::string_view role);

struct TokenConfig {
  // The HMAC key: at least 32 bytes.
  std::string secret;
  std::string issuer = "store-backend";
  std::string audience = "store-api";
  // Accepted clock difference for exp/nbf/iat.
  absl::Duration leeway = absl::Seconds(30);
};

struct Claims {
  std::string subject;  // staff name, or the customer's id
  std::string role;     // one of the roles above
  absl::Time issued_at;
  absl::Time expires_at;
  std::string token_id;  // jti
};

// INVALID_ARGUMENT when the config or the claims are unusable.
absl::Status CheckTokenConfig(const TokenConfig& config);
absl::StatusOr<std::string> IssueToken(const TokenConfig& config, const Claims& claims);

// UNAUTHENTICATED, with a message safe to show the caller, for any token that
// is malformed, signed with another key or algorithm, expired, not yet
// valid, or for another issuer or audience.
absl::StatusOr<Claims> VerifyToken(const TokenConfig& config, absl::string_view token,
                                   absl::Time now);

}  // namespace store::auth

#endif  // STORE_LIBS_AUTH_TOKEN_H_
