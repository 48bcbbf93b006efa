// Digests and random tokens on libsodium, shared by the services that send
// or check single-use links (email verification, password reset, newsletter
// confirmation): the token goes into the link, only its SHA-256 is stored.
#ifndef STORE_LIBS_AUTH_DIGEST_H_
#define STORE_LIBS_AUTH_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace store::auth {

// Initialises libsodium once (safe to call from many threads); aborts when
// there is no usable random source.
void InitCrypto();

// 32 random bytes, base64url without padding (43 characters).
std::string NewToken();

// Raw SHA-256 of `data` (32 bytes), and its lower-case hex.
std::string Sha256(absl::string_view data);
std::string Sha256Hex(absl::string_view data);

}  // namespace store::auth

#endif  // STORE_LIBS_AUTH_DIGEST_H_
