#include "libs/core/ids.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace store {

std::string NewUuid() {
  // Version 4 (random) UUID. A per-thread generator seeded once from the OS
  // keeps this free of system calls; ids are unique, not secret.
  thread_local absl::BitGen gen;
  const uint64_t hi = (absl::Uniform<uint64_t>(gen) & ~0xF000ull) | 0x4000ull;
  const uint64_t lo = (absl::Uniform<uint64_t>(gen) & ~(0xC000ull << 48)) | (0x8000ull << 48);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
    const uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    out[pos++] = kHex[(word >> shift) & 0xF];
  }
  return out;
}

bool IsSha256Hex(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace store
