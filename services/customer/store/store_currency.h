// The store's currency: purchase facts and wallet amounts are kept in it
// (STORE_CURRENCY, set once at start-up).
#ifndef STORE_SERVICES_CUSTOMER_STORE_STORE_CURRENCY_H_
#define STORE_SERVICES_CUSTOMER_STORE_STORE_CURRENCY_H_

#include <string>

namespace store::customer {

const std::string& StoreCurrency();
void SetStoreCurrency(const std::string& code);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_STORE_STORE_CURRENCY_H_
