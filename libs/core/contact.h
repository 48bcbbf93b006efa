// Normalisation of contact data: emails compare case-insensitively, phones
// are stored in E.164.
#ifndef STORE_LIBS_CORE_CONTACT_H_
#define STORE_LIBS_CORE_CONTACT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace store {

// Trims and lower-cases an email and checks its shape (local@domain.tld, no
// spaces or control characters, at most 254 characters). Errors name `field`.
absl::StatusOr<std::string> NormalizeEmail(absl::string_view field, absl::string_view email);

// "+965 1234-5678" and "00965 12345678" become "+96512345678". Spaces, dashes,
// dots and parentheses are dropped; a leading 00 becomes +. Anything else
// (letters, no country code, a length outside 8..15 digits) is rejected with
// INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> NormalizePhone(absl::string_view field, absl::string_view phone);

// OK when `value` has min..max bytes and no control characters; otherwise
// INVALID_ARGUMENT naming `field` ("is required", "is longer than 200
// characters", ...).
absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t min, size_t max);

// As ValidateText, for free text of several lines (a customer's delivery
// note): line breaks (LF, CRLF) and tabs are allowed, other control
// characters are not.
absl::Status ValidateMultilineText(absl::string_view field, absl::string_view value, size_t min,
                                   size_t max);

// True when `text` contains CR, LF or another control character.
bool HasControlCharacters(absl::string_view text);

}  // namespace store

#endif  // STORE_LIBS_CORE_CONTACT_H_
