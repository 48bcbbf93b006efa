// The invoicing service's wiring: configuration (README "Configuration"),
// its apps, gRPC service and consumers. main.cc runs it with RunService; the
// integration tests run the very same function in-process
// (libs/testing/service_fixture.h).
#ifndef STORE_SERVICES_INVOICING_WIRING_H_
#define STORE_SERVICES_INVOICING_WIRING_H_

#include <memory>

#include "libs/service/service_main.h"
#include "services/invoicing/app/invoicing_app.h"

namespace store::invoicing {

// What a test may reach of the wired service.
struct Parts {
  std::shared_ptr<InvoicingApp> app;
};

// What a test may put in place of a collaborator.
struct Deps {
  // The order service's GetOrder; default: gRPC to ORDER_SERVICE_ADDR.
  OrderLookup orders;
};

ServiceSpec Spec(Parts* parts = nullptr, Deps deps = {});

}  // namespace store::invoicing

#endif  // STORE_SERVICES_INVOICING_WIRING_H_
