#include "libs/auth/link_token.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/core/status.h"

namespace store::auth {
namespace {

// Unpadded base64url of 32 bytes.
constexpr size_t kSignatureLength = 43;

// base64url(HMAC-SHA256(secret, purpose "\n" payload)). The payload never
// holds '\n', so (purpose, payload) is recoverable from the MAC input and no
// two pairs sign the same bytes.
std::string Signature(absl::string_view secret, absl::string_view purpose,
                      absl::string_view payload) {
  const auto bytes = [](absl::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  };
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, bytes(secret), secret.size());
  crypto_auth_hmacsha256_update(&state, bytes(purpose), purpose.size());
  crypto_auth_hmacsha256_update(&state, bytes("\n"), 1);
  crypto_auth_hmacsha256_update(&state, bytes(payload), payload.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof(state));
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac), sizeof(mac)));
}

absl::Status BadToken(absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, "BAD_TOKEN", "token",
                   absl::StrCat("token: ", message));
}

}  // namespace

bool IsValidTokenPayload(absl::string_view payload) {
  return !payload.empty() && payload.size() <= kMaxTokenPayload &&
         std::all_of(payload.begin(), payload.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
         });
}

std::string SignLinkToken(absl::string_view secret, absl::string_view purpose,
                      absl::string_view payload) {
  if (secret.empty() || !IsValidTokenPayload(payload)) {
    std::fprintf(stderr, "SignLinkToken: %s\n",
                 secret.empty() ? "empty secret" : "payload is not [A-Za-z0-9_.-]{1,2000}");
    std::abort();
  }
  return absl::StrCat(payload, ".", Signature(secret, purpose, payload));
}

absl::StatusOr<std::string> VerifyLinkToken(absl::string_view secret, absl::string_view purpose,
                                        absl::string_view token) {
  if (token.empty()) return BadToken("is required");
  const size_t dot = token.rfind('.');
  if (token.size() > kMaxTokenPayload + 1 + kSignatureLength || dot == absl::string_view::npos) {
    return BadToken("is malformed");
  }
  const absl::string_view payload = token.substr(0, dot);
  const absl::string_view signature = token.substr(dot + 1);
  if (!IsValidTokenPayload(payload) || signature.size() != kSignatureLength) {
    return BadToken("is malformed");
  }
  if (secret.empty()) return BadToken("cannot be verified");
  // Comparing the encoded text (not the decoded bytes) also refuses
  // non-canonical spellings of the right signature. The length is public.
  const std::string expected = Signature(secret, purpose, payload);
  if (sodium_memcmp(signature.data(), expected.data(), kSignatureLength) != 0) {
    return BadToken("is invalid");
  }
  return std::string(payload);
}

}  // namespace store::auth
