#include "libs/core/money.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/core/status.h"

namespace store {
namespace {

// Active ISO 4217 codes (list of 2024) by minor-unit exponent.
constexpr absl::string_view kExponent0[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                            "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                            "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr absl::string_view kExponent3[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
constexpr absl::string_view kExponent4[] = {"CLF", "UYW"};
constexpr absl::string_view kExponent2[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
    "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
    "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "YER", "ZAR",
    "ZMW", "ZWL"};

const absl::flat_hash_map<std::string, int>& Exponents() {
  static const auto* const kMap = [] {
    auto* map = new absl::flat_hash_map<std::string, int>();
    for (auto c : kExponent0) map->emplace(c, 0);
    for (auto c : kExponent2) map->emplace(c, 2);
    for (auto c : kExponent3) map->emplace(c, 3);
    for (auto c : kExponent4) map->emplace(c, 4);
    return map;
  }();
  return *kMap;
}

int64_t Pow10(int exponent) {
  int64_t p = 1;
  for (int i = 0; i < exponent; ++i) p *= 10;
  return p;
}

}  // namespace

std::optional<int> CurrencyExponent(absl::string_view code) {
  auto it = Exponents().find(code);
  if (it == Exponents().end()) return std::nullopt;
  return it->second;
}

absl::Status ValidateCurrency(absl::string_view field, absl::string_view code) {
  if (code.empty()) return InvalidField(field, "is required (an ISO 4217 code such as USD)");
  if (!CurrencyExponent(code).has_value()) {
    return InvalidField(field, absl::StrCat("'", code,
                                            "' is not an ISO 4217 currency code (upper case, "
                                            "e.g. USD, EUR, KWD)"));
  }
  return absl::OkStatus();
}

int64_t ApplyBasisPoints(int64_t amount, int64_t basis_points) {
  // Both factors are bounded (amount <= 10^15 * 10^4, bp <= 10^4), so use
  // 128-bit intermediate to stay exact.
  __int128 product = static_cast<__int128>(amount) * basis_points;
  __int128 quotient = product / 10000;
  __int128 remainder = product % 10000;
  if (remainder < 0) remainder = -remainder;
  if (remainder * 2 >= 10000) quotient += (product < 0 ? -1 : 1);
  return static_cast<int64_t>(quotient);
}

std::vector<int64_t> AllocateProportionally(int64_t total, const std::vector<int64_t>& weights) {
  std::vector<int64_t> shares(weights.size(), 0);
  const __int128 sum = std::accumulate(weights.begin(), weights.end(), static_cast<__int128>(0));
  if (sum <= 0) {
    if (!shares.empty()) shares[0] = total;
    return shares;
  }
  std::vector<std::pair<__int128, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const __int128 exact = static_cast<__int128>(total) * weights[i];
    shares[i] = static_cast<int64_t>(exact / sum);
    given += shares[i];
    remainders.push_back({exact % sum, i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total && k < remainders.size(); ++k, ++given) {
    ++shares[remainders[k].second];
  }
  return shares;
}

std::string FormatDecimal(int64_t amount_minor, absl::string_view currency_code) {
  const int exponent = CurrencyExponent(currency_code).value_or(2);
  if (exponent == 0) return absl::StrCat(amount_minor);
  const int64_t scale = Pow10(exponent);
  const bool negative = amount_minor < 0;
  const uint64_t abs = negative ? -static_cast<uint64_t>(amount_minor) : amount_minor;
  return absl::StrFormat("%s%d.%0*d", negative ? "-" : "", abs / scale, exponent, abs % scale);
}

std::string FormatMoney(int64_t amount_minor, absl::string_view currency_code) {
  return absl::StrCat(FormatDecimal(amount_minor, currency_code), " ", currency_code);
}

absl::StatusOr<int64_t> ParseMoney(absl::string_view text, absl::string_view currency_code) {
  const int exponent = CurrencyExponent(currency_code).value_or(2);
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  int64_t whole = 0;
  int64_t frac = 0;
  if (parts.size() > 2 || parts[0].empty() || !absl::SimpleAtoi(parts[0], &whole) || whole < 0) {
    return InvalidField("amount", absl::StrCat("'", text, "' is not an amount like 12.50"));
  }
  if (parts.size() == 2) {
    if (parts[1].empty() || static_cast<int>(parts[1].size()) > exponent ||
        !absl::SimpleAtoi(parts[1], &frac) || parts[1][0] == '-' || parts[1][0] == '+') {
      return InvalidField("amount", absl::StrCat("'", text, "' has more than ", exponent,
                                                 " decimals for ", currency_code));
    }
    frac *= Pow10(exponent - static_cast<int>(parts[1].size()));
  }
  if (whole > kMaxAmountMinor / Pow10(exponent)) {
    return InvalidField("amount", "is too large");
  }
  return whole * Pow10(exponent) + frac;
}

}  // namespace store
