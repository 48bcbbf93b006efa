#include "services/customer/app/credentials.h"

#include <sodium.h>

#include "libs/core/status.h"

namespace store::customer {

absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  InitCrypto();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kArgonOpsLimit, kArgonMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("not enough memory to hash the password; retry");
  }
  return std::string(out);
}

namespace {
const std::string& DummyHash() {
  static const std::string* const kHash = [] {
    absl::StatusOr<std::string> h = HashPassword("dummy password for timing");
    return new std::string(h.ok() ? *h : "");
  }();
  return *kHash;
}
}  // namespace

bool VerifyPassword(absl::string_view password, absl::string_view encoded_hash) {
  InitCrypto();
  const bool real = !encoded_hash.empty() && encoded_hash.size() < crypto_pwhash_STRBYTES;
  const std::string hash(real ? encoded_hash : absl::string_view(DummyHash()));
  const bool match =
      crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  return real && match;
}

bool PasswordNeedsRehash(absl::string_view encoded_hash) {
  InitCrypto();
  const std::string hash(encoded_hash);
  return crypto_pwhash_str_needs_rehash(hash.c_str(), kArgonOpsLimit, kArgonMemLimit) != 0;
}

}  // namespace store::customer
