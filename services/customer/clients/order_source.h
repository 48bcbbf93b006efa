// The order service's part of a customer's data export (CUS-13): their
// orders, and guest orders placed with their email, read over gRPC.
#ifndef STORE_SERVICES_CUSTOMER_CLIENTS_ORDER_SOURCE_H_
#define STORE_SERVICES_CUSTOMER_CLIENTS_ORDER_SOURCE_H_

#include <string>

#include "services/customer/app/privacy_app.h"

namespace store::customer {

DataSource OrdersDataSource(const std::string& order_service_addr);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_CLIENTS_ORDER_SOURCE_H_
