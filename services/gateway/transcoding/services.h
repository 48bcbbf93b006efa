// The gRPC services the gateway exposes: every service whose methods carry
// `store.api.v1.http` routes. A new service is one line here (and its
// address in <NAME>_SERVICE_ADDR). AuthService is served by the gateway.
#ifndef STORE_SERVICES_GATEWAY_TRANSCODING_SERVICES_H_
#define STORE_SERVICES_GATEWAY_TRANSCODING_SERVICES_H_

#include <vector>

#include "google/protobuf/descriptor.h"
#include "store/api/v1/auth_service.pb.h"
#include "store/customer/v1/customer_service.pb.h"
#include "store/invoicing/v1/invoicing_service.pb.h"
#include "store/newsletter/v1/newsletter_service.pb.h"
#include "store/order/v1/cart_service.pb.h"
#include "store/order/v1/order_service.pb.h"
#include "store/reporting/v1/reporting_service.pb.h"

namespace store::gateway {

inline std::vector<const google::protobuf::ServiceDescriptor*> ExposedServices() {
  // Reached through a request type of each file, which also links it in.
  return {
      api::v1::LoginRequest::descriptor()->file()->FindServiceByName("AuthService"),
      order::v1::GetOrderRequest::descriptor()->file()->FindServiceByName("OrderService"),
      order::v1::GetCartRequest::descriptor()->file()->FindServiceByName("CartService"),
      order::v1::GetCartRequest::descriptor()->file()->FindServiceByName("DiscountCodeService"),
      customer::v1::GetCustomerRequest::descriptor()->file()->FindServiceByName("CustomerService"),
      invoicing::v1::GetInvoiceRequest::descriptor()->file()->FindServiceByName("InvoicingService"),
      newsletter::v1::SubscribeRequest::descriptor()->file()->FindServiceByName(
          "NewsletterService"),
      reporting::v1::GetSalesReportRequest::descriptor()->file()->FindServiceByName(
          "ReportingService"),
  };
}

}  // namespace store::gateway

#endif  // STORE_SERVICES_GATEWAY_TRANSCODING_SERVICES_H_
