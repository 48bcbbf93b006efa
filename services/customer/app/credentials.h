// Password hashing and single-use tokens, on libsodium. Passwords are hashed
// with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1) in
// libsodium's self-describing encoded form; a stored hash made with weaker
// parameters is upgraded at the next successful sign-in.
#ifndef STORE_SERVICES_CUSTOMER_APP_CREDENTIALS_H_
#define STORE_SERVICES_CUSTOMER_APP_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/auth/digest.h"

namespace store::customer {

inline constexpr unsigned long long kArgonOpsLimit = 2;        // t
inline constexpr size_t kArgonMemLimit = 19u * 1024u * 1024u;  // m, bytes

// Digests and random tokens live in libs/auth (shared with the mailer).
using auth::InitCrypto;
using auth::NewToken;
using auth::Sha256;
using auth::Sha256Hex;

absl::StatusOr<std::string> HashPassword(absl::string_view password);

// Constant-time check of `password` against an encoded hash. An empty hash
// (no account) is checked against a dummy so timing does not tell.
bool VerifyPassword(absl::string_view password, absl::string_view encoded_hash);

// True when `encoded_hash` uses weaker parameters than the current ones.
bool PasswordNeedsRehash(absl::string_view encoded_hash);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_CREDENTIALS_H_
