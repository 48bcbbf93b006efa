#include "libs/core/contact.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/core/status.h"

namespace store {

bool HasControlCharacters(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t min, size_t max) {
  if (value.size() < min) {
    return InvalidField(field, min == 1 ? "is required"
                                        : absl::StrCat("needs at least ", min, " characters"));
  }
  if (value.size() > max) {
    return InvalidField(field, absl::StrCat("is longer than ", max, " characters"));
  }
  if (HasControlCharacters(value)) return InvalidField(field, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status ValidateMultilineText(absl::string_view field, absl::string_view value, size_t min,
                                   size_t max) {
  std::string flat(value);
  for (size_t i = 0; i < flat.size(); ++i) {
    const bool crlf = flat[i] == '\r' && i + 1 < flat.size() && flat[i + 1] == '\n';
    if (flat[i] == '\n' || flat[i] == '\t' || crlf) flat[i] = ' ';
  }
  return ValidateText(field, flat, min, max);
}

absl::StatusOr<std::string> NormalizeEmail(absl::string_view field, absl::string_view email) {
  std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  if (e.empty()) return InvalidField(field, "is required");
  if (e.size() > 254) return InvalidField(field, "is longer than 254 characters");
  if (HasControlCharacters(e) || absl::StrContains(e, ' ')) {
    return InvalidField(field, "must not contain spaces or control characters");
  }
  const size_t at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) {
    return InvalidField(field, absl::StrCat("'", email, "' is not an email address (name@example.com)"));
  }
  absl::string_view domain = absl::string_view(e).substr(at + 1);
  const size_t dot = domain.rfind('.');
  if (domain.empty() || dot == absl::string_view::npos || dot == 0 || dot + 1 >= domain.size() ||
      absl::StrContains(domain, "..") || domain.front() == '-' ) {
    return InvalidField(field, absl::StrCat("'", email, "' is not an email address (name@example.com)"));
  }
  for (char c : domain) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '.' || static_cast<unsigned char>(c) >= 0x80)) {
      return InvalidField(field, absl::StrCat("'", email, "' has an invalid domain"));
    }
  }
  return e;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view field, absl::string_view phone) {
  absl::string_view p = absl::StripAsciiWhitespace(phone);
  if (p.empty()) return InvalidField(field, "is required");
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '+' && i == 0) {
      plus = true;
    } else if (absl::ascii_isdigit(c)) {
      digits.push_back(c);
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      continue;
    } else {
      return InvalidField(field, absl::StrCat("'", phone,
                                              "' is not a phone number: use the international "
                                              "form with country code, e.g. +96512345678"));
    }
  }
  if (!plus) {
    if (absl::StartsWith(digits, "00")) {
      digits.erase(0, 2);
    } else {
      return InvalidField(field, absl::StrCat("'", phone,
                                              "' has no country code: start with + or 00, e.g. "
                                              "+96512345678"));
    }
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
    return InvalidField(field, absl::StrCat("'", phone,
                                            "' is not an E.164 number (country code and 8 to 15 "
                                            "digits in all, e.g. +96512345678)"));
  }
  return absl::StrCat("+", digits);
}

}  // namespace store
