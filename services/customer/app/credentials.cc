#include "services/customer/app/credentials.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "libs/core/status.h"

namespace store::customer {

void InitCrypto() {
  static const int kInit = sodium_init();
  if (kInit < 0) std::abort();  // no usable random source: refuse to run
}

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

std::string NewToken() {
  InitCrypto();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string Sha256Hex(absl::string_view data) { return absl::BytesToHexString(Sha256(data)); }

}  // namespace store::customer
