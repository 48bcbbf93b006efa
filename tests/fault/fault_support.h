// What the fault tests share: the order they place, and setting up the
// invoicing service.
#ifndef STORE_TESTS_FAULT_FAULT_SUPPORT_H_
#define STORE_TESTS_FAULT_FAULT_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/invoicing/v1/invoicing_service.grpc.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::testing {

// Three lines, shipped to Berlin, paid by card, in EUR; `n` varies the
// quantities and prices.
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

// Makes the invoicing service behind `channel` issue invoices when `mode`
// says (ON_ORDER_PLACED: one per placed order).
inline grpc::Status SetInvoicingMode(const std::shared_ptr<grpc::Channel>& channel,
                                     invoicing::v1::IssueMode mode) {
  auto stub = invoicing::v1::InvoicingService::NewStub(channel);
  invoicing::v1::UpdateSettingsRequest req;
  req.mutable_settings()->set_mode(mode);
  req.mutable_update_mask()->add_paths("mode");
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-actor", "staff:fault");
  invoicing::v1::InvoicingSettings out;
  return stub->UpdateSettings(&ctx, req, &out);
}

}  // namespace store::testing

#endif  // STORE_TESTS_FAULT_FAULT_SUPPORT_H_
