// HMAC-SHA256 request signatures (payment webhooks and other callers that
// share a secret with the store): the header value is
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">". Verification
// compares in constant time and refuses timestamps outside the tolerance,
// so a captured request cannot be replayed later.
#ifndef STORE_LIBS_AUTH_SIGNATURE_H_
#define STORE_LIBS_AUTH_SIGNATURE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store::auth {

// The header value signing `body` at `at` with `secret`.
std::string SignPayload(absl::string_view secret, absl::string_view body, absl::Time at);

// OK, or UNAUTHENTICATED (reason BAD_SIGNATURE or STALE_SIGNATURE).
absl::Status VerifyPayloadSignature(absl::string_view secret, absl::string_view header,
                                    absl::string_view body, absl::Time now,
                                    absl::Duration tolerance = absl::Minutes(5));

// Hex HMAC-SHA256 of `message` (used by the two above and by token signing
// of other services).
std::string HmacSha256Hex(absl::string_view key, absl::string_view message);

}  // namespace store::auth

#endif  // STORE_LIBS_AUTH_SIGNATURE_H_
