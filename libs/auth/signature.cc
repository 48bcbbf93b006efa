#include "libs/auth/signature.h"

#include <sodium.h>

#include <cstdint>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/core/status.h"

namespace store::auth {
namespace {

absl::Status BadSignature(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason, "", message);
}

}  // namespace

std::string HmacSha256Hex(absl::string_view key, absl::string_view message) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), sizeof(mac)));
}

std::string SignPayload(absl::string_view secret, absl::string_view body, absl::Time at) {
  std::string t = absl::StrCat(absl::ToUnixSeconds(at));
  return absl::StrCat("t=", t, ",v1=", HmacSha256Hex(secret, absl::StrCat(t, ".", body)));
}

absl::Status VerifyPayloadSignature(absl::string_view secret, absl::string_view header,
                                    absl::string_view body, absl::Time now,
                                    absl::Duration tolerance) {
  if (header.empty()) return BadSignature("BAD_SIGNATURE", "a signature header is required");
  absl::string_view t;
  std::vector<absl::string_view> candidates;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, '=');
    if (kv.first == "t") t = kv.second;
    if (kv.first == "v1") candidates.push_back(kv.second);
  }
  int64_t seconds = 0;
  if (t.empty() || !absl::SimpleAtoi(t, &seconds) || candidates.empty()) {
    return BadSignature("BAD_SIGNATURE", "the signature header is malformed");
  }
  absl::Time at = absl::FromUnixSeconds(seconds);
  if (at < now - tolerance || at > now + tolerance) {
    return BadSignature("STALE_SIGNATURE", "the signature timestamp is outside the tolerance");
  }
  std::string expected = HmacSha256Hex(secret, absl::StrCat(t, ".", body));
  bool match = false;
  for (absl::string_view candidate : candidates) {
    // Constant time over equal lengths (the length is public: 64 hex digits).
    if (candidate.size() == expected.size() &&
        sodium_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
      match = true;
    }
  }
  if (!match) return BadSignature("BAD_SIGNATURE", "the signature does not match");
  return absl::OkStatus();
}

}  // namespace store::auth
