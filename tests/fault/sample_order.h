// The order the fault tests place: three lines, shipped to Berlin, paid by
// card, in EUR; `n` varies the quantities and prices.
#ifndef STORE_TESTS_FAULT_SAMPLE_ORDER_H_
#define STORE_TESTS_FAULT_SAMPLE_ORDER_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "store/order/v1/order_service.pb.h"

namespace store::testing {

inline order::v1::PlaceOrderRequest SampleOrder(const std::string& request_id, int n = 0) {
  order::v1::PlaceOrderRequest r;
  r.set_request_id(request_id);
  r.set_currency_code("EUR");
  r.mutable_customer()->set_email("fault@example.com");
  r.mutable_customer()->set_name("Fault Tester");
  for (int i = 0; i < 3; ++i) {
    auto* item = r.add_items();
    item->set_sku(absl::StrCat("SKU-", i));
    item->set_name("Thing");
    item->set_quantity(1 + i + n % 3);
    item->mutable_unit_price()->set_amount_minor(990 + n % 100);
  }
  auto* a = r.mutable_shipping_address();
  a->set_name("Fault Tester");
  a->set_line1("1 Crash Lane");
  a->set_city("Berlin");
  a->set_country_code("DE");
  r.mutable_delivery_method()->set_code("standard");
  r.set_payment_method(order::v1::PAYMENT_METHOD_CARD);
  return r;
}

}  // namespace store::testing

#endif  // STORE_TESTS_FAULT_SAMPLE_ORDER_H_
