#include "services/customer/domain/customer_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "libs/core/contact.h"
#include "libs/core/money.h"
#include "libs/core/status.h"

namespace store::customer {

absl::Status ValidatePassword(absl::string_view field, absl::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return InvalidField(field, absl::StrCat("must have at least ", kMinPasswordLength,
                                            " characters"));
  }
  if (password.size() > kMaxPasswordLength) {
    return InvalidField(field, absl::StrCat("must have at most ", kMaxPasswordLength,
                                            " characters"));
  }
  if (absl::StripAsciiWhitespace(password).empty()) {
    return InvalidField(field, "must not be only spaces");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeCountry(absl::string_view field, absl::string_view country) {
  std::string c = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(country));
  if (c.empty()) return c;
  if (c.size() != 2 || !absl::ascii_isalpha(c[0]) || !absl::ascii_isalpha(c[1])) {
    return InvalidField(field, "must be an ISO 3166-1 alpha-2 country code such as \"DE\"");
  }
  return c;
}

absl::Status NormalizeProfile(absl::string_view prefix, v1::Customer& c, bool name_required) {
  auto f = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  STORE_ASSIGN_OR_RETURN(std::string email, NormalizeEmail(f("email"), c.email()));
  c.set_email(email);
  c.set_name(std::string(absl::StripAsciiWhitespace(c.name())));
  STORE_RETURN_IF_ERROR(ValidateText(f("name"), c.name(), name_required ? 1 : 0, 200));
  if (!c.phone().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string phone, NormalizePhone(f("phone"), c.phone()));
    c.set_phone(phone);
  }
  STORE_ASSIGN_OR_RETURN(std::string country, NormalizeCountry(f("country_code"), c.country_code()));
  c.set_country_code(country);
  return absl::OkStatus();
}

absl::Status NormalizeAddress(absl::string_view prefix, common::v1::Address& a) {
  auto f = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  STORE_RETURN_IF_ERROR(ValidateText(f("name"), a.name(), 0, 200));
  STORE_RETURN_IF_ERROR(ValidateText(f("company"), a.company(), 0, 200));
  STORE_RETURN_IF_ERROR(ValidateText(f("line1"), a.line1(), 1, 200));
  STORE_RETURN_IF_ERROR(ValidateText(f("line2"), a.line2(), 0, 200));
  STORE_RETURN_IF_ERROR(ValidateText(f("city"), a.city(), 1, 200));
  STORE_RETURN_IF_ERROR(ValidateText(f("region"), a.region(), 0, 100));
  STORE_RETURN_IF_ERROR(ValidateText(f("postal_code"), a.postal_code(), 0, 20));
  STORE_RETURN_IF_ERROR(ValidateText(f("vat_id"), a.vat_id(), 0, 40));
  if (a.country_code().empty()) return InvalidField(f("country_code"), "is required");
  STORE_ASSIGN_OR_RETURN(std::string country, NormalizeCountry(f("country_code"), a.country_code()));
  a.set_country_code(country);
  if (!a.phone().empty()) {
    STORE_ASSIGN_OR_RETURN(std::string phone, NormalizePhone(f("phone"), a.phone()));
    a.set_phone(phone);
  }
  return absl::OkStatus();
}

absl::Status ValidateCustomFieldDef(const v1::CustomField& field) {
  const std::string& key = field.key();
  bool ok = !key.empty() && key.size() <= 63 && absl::ascii_islower(key[0]);
  for (char ch : key) ok = ok && (absl::ascii_islower(ch) || absl::ascii_isdigit(ch) || ch == '_');
  if (!ok) return InvalidField("field.key", "must match [a-z][a-z0-9_]{0,62}");
  STORE_RETURN_IF_ERROR(ValidateText("field.label", field.label(), 0, 200));
  if (field.type() == v1::CUSTOM_FIELD_TYPE_UNSPECIFIED || !v1::CustomFieldType_IsValid(field.type())) {
    return InvalidField("field.type", "must be TEXT, NUMBER, DATE or CHOICE");
  }
  if (field.type() == v1::CUSTOM_FIELD_TYPE_CHOICE) {
    if (field.choices().empty() || field.choices_size() > 100) {
      return InvalidField("field.choices", "a CHOICE field needs 1..100 choices");
    }
    std::set<std::string> seen;
    for (int i = 0; i < field.choices_size(); ++i) {
      const std::string where = absl::StrCat("field.choices[", i, "]");
      STORE_RETURN_IF_ERROR(ValidateText(where, field.choices(i), 1, 100));
      if (!seen.insert(field.choices(i)).second) return InvalidField(where, "is a duplicate");
    }
  } else if (!field.choices().empty()) {
    return InvalidField("field.choices", "only CHOICE fields have choices");
  }
  if (field.max_length() < 0 || field.max_length() > 10000) {
    return InvalidField("field.max_length", "must be 0..10000 (0 = 1000)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeCustomValue(const v1::CustomField& def,
                                                 absl::string_view value) {
  const std::string field = absl::StrCat("custom_fields.", def.key());
  switch (def.type()) {
    case v1::CUSTOM_FIELD_TYPE_TEXT: {
      const size_t max = def.max_length() > 0 ? def.max_length() : 1000;
      STORE_RETURN_IF_ERROR(ValidateText(field, value, 0, max));
      return std::string(value);
    }
    case v1::CUSTOM_FIELD_TYPE_NUMBER: {
      double d;
      std::string v(absl::StripAsciiWhitespace(value));
      bool digits_only = !v.empty();
      for (size_t i = 0; i < v.size(); ++i) {
        const char ch = v[i];
        digits_only = digits_only && (absl::ascii_isdigit(ch) || ch == '.' || (i == 0 && ch == '-'));
      }
      if (!digits_only || v.size() > 30 || !absl::SimpleAtod(v, &d)) {
        return InvalidField(field, "must be a number such as 42 or -3.5");
      }
      // Canonical text: no trailing zeros after the point.
      if (v.find('.') != std::string::npos) {
        while (!v.empty() && v.back() == '0') v.pop_back();
        if (!v.empty() && v.back() == '.') v.pop_back();
      }
      if (v == "-0") v = "0";
      return v;
    }
    case v1::CUSTOM_FIELD_TYPE_DATE: {
      absl::CivilDay day;
      if (value.size() != 10 || !absl::ParseCivilTime(value, &day) ||
          absl::FormatCivilTime(day) != value) {
        return InvalidField(field, "must be a date YYYY-MM-DD");
      }
      return std::string(value);
    }
    case v1::CUSTOM_FIELD_TYPE_CHOICE:
      for (const auto& choice : def.choices()) {
        if (choice == value) return std::string(value);
      }
      return InvalidField(field, absl::StrCat("must be one of: ", absl::StrJoin(def.choices(), ", ")));
    default:
      return InvalidField(field, "has no valid type");
  }
}

absl::Status ValidateGroup(absl::string_view name, int32_t discount_bp) {
  STORE_RETURN_IF_ERROR(ValidateText("name", absl::StripAsciiWhitespace(name), 1, 100));
  if (discount_bp < 0 || discount_bp > 10000) {
    return InvalidField("discount_bp", "must be 0..10000 basis points (500 = 5%)");
  }
  return absl::OkStatus();
}

void SortForSpending(std::vector<WalletCredit>& credits) {
  std::stable_sort(credits.begin(), credits.end(), [](const WalletCredit& a, const WalletCredit& b) {
    if (a.expires_at.has_value() != b.expires_at.has_value()) return a.expires_at.has_value();
    if (a.expires_at.has_value() && *a.expires_at != *b.expires_at) {
      return *a.expires_at < *b.expires_at;
    }
    return a.seq < b.seq;
  });
}

int64_t SpendableBalance(const std::vector<WalletCredit>& credits, absl::Time now) {
  int64_t sum = 0;
  for (const auto& c : credits) {
    if (!c.expires_at.has_value() || *c.expires_at > now) sum += c.remaining;
  }
  return sum;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> AllocateDebit(
    std::vector<WalletCredit> credits, int64_t amount, absl::Time now) {
  if (amount <= 0) return InvalidField("amount.amount_minor", "must be greater than 0");
  const int64_t balance = SpendableBalance(credits, now);
  if (balance < amount) {
    return Precondition("INSUFFICIENT_FUNDS",
                        absl::StrCat("the wallet holds ", balance, " (minor units), the debit needs ",
                                     amount),
                        {{"balance_minor", absl::StrCat(balance)},
                         {"amount_minor", absl::StrCat(amount)}});
  }
  SortForSpending(credits);
  std::vector<std::pair<std::string, int64_t>> out;
  int64_t left = amount;
  for (const auto& c : credits) {
    if (left == 0) break;
    if (c.remaining <= 0 || (c.expires_at.has_value() && *c.expires_at <= now)) continue;
    const int64_t take = std::min(left, c.remaining);
    out.emplace_back(c.id, take);
    left -= take;
  }
  return out;
}

}  // namespace store::customer
