// Identifiers: random (v4) UUIDs in their canonical lower-case text form.
#ifndef STORE_LIBS_CORE_IDS_H_
#define STORE_LIBS_CORE_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace store {

// A new random UUID ("3f0c...-...").
std::string NewUuid();

// True for a canonical 36-character UUID (any version, either case).
bool IsUuid(absl::string_view text);

// True for 64 hex digits (a SHA-256 digest as text).
bool IsSha256Hex(absl::string_view text);

}  // namespace store

#endif  // STORE_LIBS_CORE_IDS_H_
