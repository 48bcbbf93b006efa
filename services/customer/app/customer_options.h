// The customer service's settings that hold for the whole process, read once
// from the environment (wiring.cc) and handed to its apps, like the
// newsletter's NewsletterOptions.
#ifndef STORE_SERVICES_CUSTOMER_APP_CUSTOMER_OPTIONS_H_
#define STORE_SERVICES_CUSTOMER_APP_CUSTOMER_OPTIONS_H_

#include <string>

namespace store::customer {

struct CustomerOptions {
  // ISO 4217 code of the store currency (STORE_CURRENCY): purchase facts and
  // wallet amounts are kept in it, and money in segment rules is read in it.
  std::string store_currency = "USD";
};

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_APP_CUSTOMER_OPTIONS_H_
