#include "libs/auth/digest.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

namespace store::auth {

void InitCrypto() {
  static const int kInit = sodium_init();
  if (kInit < 0) std::abort();  // no usable random source: refuse to run
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

}  // namespace store::auth
