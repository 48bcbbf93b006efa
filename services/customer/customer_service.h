// The gRPC edge of the customer service: translates calls to the use cases
// (app/) and absl::Status to grpc::Status, and enforces that a customer
// caller (x-customer-id set by the gateway) reaches only their own data:
// anyone else's is NOT_FOUND. No rules here.
#ifndef STORE_SERVICES_CUSTOMER_CUSTOMER_SERVICE_H_
#define STORE_SERVICES_CUSTOMER_CUSTOMER_SERVICE_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "services/customer/app/customer_app.h"
#include "services/customer/app/privacy_app.h"
#include "services/customer/app/segment_app.h"
#include "services/customer/app/transfer_app.h"
#include "services/customer/app/wallet_app.h"

namespace store::customer {

struct CustomerApps {
  CustomerApp& customers;
  WalletApp& wallet;
  SegmentApp& segments;
  TransferApp& transfer;
  PrivacyApp& privacy;
};

std::unique_ptr<grpc::Service> NewCustomerService(CustomerApps apps);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_CUSTOMER_SERVICE_H_
