// Signed tokens for links (NEW-02, SEC-7, SEC-11), the one mechanism every
// signed link uses: the newsletter's double opt-in confirmation, one-click
// unsubscribe and tracking links, the order service's abandoned-cart
// recovery links. A token is
//
//   <payload>.<signature>
//
// where the payload is URL-safe text chosen by the caller ([A-Za-z0-9_-],
// with '.' allowed to separate fields: "sub_42.1767225600") and the signature
// is the unpadded base64url of HMAC-SHA256(secret, purpose + "\n" + payload),
// always 43 characters after the LAST '.'. The purpose ("confirm",
// "unsubscribe", ...) binds a token to one use: a token signed for one
// purpose does not verify for another. Tokens carry no expiry of their own;
// put a timestamp in the payload when one is needed. The whole token is safe
// in a URL path or query without escaping.
#ifndef STORE_LIBS_AUTH_LINK_TOKEN_H_
#define STORE_LIBS_AUTH_LINK_TOKEN_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace store::auth {

// The longest payload SignLinkToken accepts (the token adds 44 characters).
inline constexpr size_t kMaxTokenPayload = 2000;

// True for a non-empty payload of at most kMaxTokenPayload characters from
// [A-Za-z0-9_.-].
bool IsValidTokenPayload(absl::string_view payload);

// "<payload>.<signature>". Preconditions (programming errors, the process
// aborts when violated): `secret` is not empty — use at least 32 random
// bytes — and IsValidTokenPayload(payload).
std::string SignLinkToken(absl::string_view secret, absl::string_view purpose,
                      absl::string_view payload);

// The payload of a token SignLinkToken(secret, purpose, payload) made; otherwise
// INVALID_ARGUMENT with ErrorInfo reason BAD_TOKEN and field "token" (for a
// malformed token, a changed payload or signature, another purpose or another
// secret). The signature is compared in constant time. An empty `secret`
// verifies nothing.
absl::StatusOr<std::string> VerifyLinkToken(absl::string_view secret, absl::string_view purpose,
                                        absl::string_view token);

}  // namespace store::auth

#endif  // STORE_LIBS_AUTH_LINK_TOKEN_H_
