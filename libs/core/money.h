// Money arithmetic in integer minor units. No floating point anywhere.
#ifndef STORE_LIBS_CORE_MONEY_H_
#define STORE_LIBS_CORE_MONEY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace store {

// Largest amount accepted anywhere (10^15 minor units): far below int64
// overflow even after multiplying by a quantity of 10^4 and summing lines.
inline constexpr int64_t kMaxAmountMinor = 1'000'000'000'000'000;

// Number of minor-unit digits of an active ISO 4217 currency (2 for USD, 3
// for KWD, 0 for JPY), or nullopt when the code is not one.
std::optional<int> CurrencyExponent(absl::string_view code);

// OK when `code` is an active ISO 4217 code; else INVALID_ARGUMENT naming
// `field`.
absl::Status ValidateCurrency(absl::string_view field, absl::string_view code);

// amount * basis_points / 10000, rounded half away from zero.
int64_t ApplyBasisPoints(int64_t amount, int64_t basis_points);

// Splits `total` among `weights` in proportion, exactly: the shares add up to
// `total` (largest remainder goes first). All to the first share when the
// weights add up to zero.
std::vector<int64_t> AllocateProportionally(int64_t total, const std::vector<int64_t>& weights);

// "12.50 USD" for logs, documents and the CLI.
std::string FormatMoney(int64_t amount_minor, absl::string_view currency_code);
// "12.50": the amount alone as a decimal string in the currency's minor
// digits ("-3.000" for KWD, "1200" for JPY), for CSV money columns.
std::string FormatDecimal(int64_t amount_minor, absl::string_view currency_code);

// Parses "12.50" (or "12") in a currency's minor units: 1250 for USD.
absl::StatusOr<int64_t> ParseMoney(absl::string_view text, absl::string_view currency_code);

}  // namespace store

#endif  // STORE_LIBS_CORE_MONEY_H_
