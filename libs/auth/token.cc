#include "libs/auth/token.h"

#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"

namespace store::auth {
namespace {

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason, "", message);
}

// A claim as text; empty when absent.
std::string Grant(jwt_t* jwt, const char* name) {
  const char* value = jwt_get_grant(jwt, name);
  return value == nullptr ? std::string() : std::string(value);
}

// A numeric claim (seconds since the epoch), or nullopt when absent.
std::optional<absl::Time> TimeGrant(jwt_t* jwt, const char* name) {
  errno = 0;
  long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return std::nullopt;
  return absl::FromUnixSeconds(value);
}

}  // namespace

bool IsKnownRole(absl::string_view role) {
  return role == kRoleAdmin || role == kRoleStaff || role == kRoleMarketing ||
         role == kRoleStorefront || role == kRoleCustomer;
}

bool IsPriceAuthority(absl::string_view role) {
  return role == kRoleAdmin || role == kRoleStaff || role == kRoleStorefront;
}

absl::Status CheckTokenConfig(const TokenConfig& config) {
  if (config.secret.size() < 32) {
    return InvalidField("secret", "the token signing key must be at least 32 bytes");
  }
  if (config.issuer.empty()) return InvalidField("issuer", "must not be empty");
  if (config.audience.empty()) return InvalidField("audience", "must not be empty");
  return absl::OkStatus();
}

absl::StatusOr<std::string> IssueToken(const TokenConfig& config, const Claims& claims) {
  STORE_RETURN_IF_ERROR(CheckTokenConfig(config));
  if (!IsKnownRole(claims.role)) {
    return InvalidField("role", "must be one of admin, staff, marketing, storefront, customer");
  }
  if (claims.subject.empty()) return InvalidField("subject", "must not be empty");
  if (claims.expires_at <= claims.issued_at) {
    return InvalidField("ttl", "must be positive");
  }
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  std::string jti = claims.token_id.empty() ? NewUuid() : claims.token_id;
  bool ok = jwt_add_grant(jwt.get(), "iss", config.issuer.c_str()) == 0 &&
            jwt_add_grant(jwt.get(), "aud", config.audience.c_str()) == 0 &&
            jwt_add_grant(jwt.get(), "sub", claims.subject.c_str()) == 0 &&
            jwt_add_grant(jwt.get(), "role", claims.role.c_str()) == 0 &&
            jwt_add_grant(jwt.get(), "jti", jti.c_str()) == 0 &&
            jwt_add_grant_int(jwt.get(), "iat", absl::ToUnixSeconds(claims.issued_at)) == 0 &&
            jwt_add_grant_int(jwt.get(), "nbf", absl::ToUnixSeconds(claims.issued_at)) == 0 &&
            jwt_add_grant_int(jwt.get(), "exp", absl::ToUnixSeconds(claims.expires_at)) == 0 &&
            jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                        reinterpret_cast<const unsigned char*>(config.secret.data()),
                        static_cast<int>(config.secret.size())) == 0;
  if (!ok) return absl::InternalError("building the token failed");
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) return absl::InternalError("encoding the token failed");
  std::string token(encoded);
  free(encoded);
  return token;
}

absl::StatusOr<Claims> VerifyToken(const TokenConfig& config, absl::string_view token,
                                   absl::Time now) {
  if (token.empty()) return Unauthenticated("TOKEN_MISSING", "a bearer token is required");
  if (token.size() > 4096) return Unauthenticated("TOKEN_INVALID", "the token is not valid");
  std::string text(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, text.c_str(),
                      reinterpret_cast<const unsigned char*>(config.secret.data()),
                      static_cast<int>(config.secret.size()));
  JwtPtr jwt(raw);
  // The algorithm is pinned: a token that decodes under any other (`none`
  // above all) is refused, whatever the library accepted.
  if (rc != 0 || jwt == nullptr || jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
    return Unauthenticated("TOKEN_INVALID", "the token is not valid");
  }
  if (Grant(jwt.get(), "iss") != config.issuer || Grant(jwt.get(), "aud") != config.audience) {
    return Unauthenticated("TOKEN_INVALID", "the token is not valid for this API");
  }
  std::optional<absl::Time> exp = TimeGrant(jwt.get(), "exp");
  if (!exp.has_value()) return Unauthenticated("TOKEN_INVALID", "the token has no expiry");
  if (now >= *exp + config.leeway) return Unauthenticated("TOKEN_EXPIRED", "the token has expired");
  std::optional<absl::Time> nbf = TimeGrant(jwt.get(), "nbf");
  if (nbf.has_value() && now + config.leeway < *nbf) {
    return Unauthenticated("TOKEN_INVALID", "the token is not valid yet");
  }
  Claims claims;
  claims.subject = Grant(jwt.get(), "sub");
  claims.role = Grant(jwt.get(), "role");
  claims.token_id = Grant(jwt.get(), "jti");
  claims.expires_at = *exp;
  claims.issued_at = TimeGrant(jwt.get(), "iat").value_or(absl::InfinitePast());
  if (claims.subject.empty() || !IsKnownRole(claims.role)) {
    return Unauthenticated("TOKEN_INVALID", "the token has no valid subject or role");
  }
  return claims;
}

}  // namespace store::auth
