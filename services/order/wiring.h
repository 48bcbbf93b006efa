// The order service's wiring: configuration (README "Configuration"), its
// apps, gRPC services, consumer and periodic jobs. main.cc runs it with
// RunService; the integration tests run the very same function in-process
// (libs/testing/service_fixture.h).
#ifndef STORE_SERVICES_ORDER_WIRING_H_
#define STORE_SERVICES_ORDER_WIRING_H_

#include <memory>

#include "libs/service/service_main.h"
#include "services/order/app/cart_app.h"
#include "services/order/app/customer_gate.h"
#include "services/order/app/order_app.h"
#include "services/order/app/order_job_app.h"

namespace store::order {

// What a test may reach of the wired service.
struct Parts {
  std::shared_ptr<OrderApp> orders;
  std::shared_ptr<CartApp> carts;
  std::shared_ptr<OrderJobApp> jobs;
};

// What a test may put in place of a collaborator.
struct Deps {
  // The customer service as checkout sees it; default: from
  // CUSTOMER_SERVICE_ADDR (gRPC, or `disabled`).
  std::shared_ptr<CustomerGate> customers;
};

ServiceSpec Spec(Parts* parts = nullptr, Deps deps = {});

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_WIRING_H_
