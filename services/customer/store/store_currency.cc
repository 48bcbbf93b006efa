#include "services/customer/store/store_currency.h"

namespace store::customer {
namespace {
std::string& Currency() {
  static auto* const kCurrency = new std::string("USD");
  return *kCurrency;
}
}  // namespace

const std::string& StoreCurrency() { return Currency(); }
void SetStoreCurrency(const std::string& code) { Currency() = code; }

}  // namespace store::customer
