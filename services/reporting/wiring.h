// The reporting service's wiring: configuration (README "Configuration"),
// its app, gRPC service and consumers. main.cc runs it with RunService; the
// integration tests run the very same function in-process
// (libs/testing/service_fixture.h).
#ifndef STORE_SERVICES_REPORTING_WIRING_H_
#define STORE_SERVICES_REPORTING_WIRING_H_

#include <memory>

#include "libs/service/service_main.h"
#include "services/reporting/app/rebuild.h"
#include "services/reporting/app/reporting_app.h"

namespace store::reporting {

// What a test may reach of the wired service.
struct Parts {
  std::shared_ptr<ReportingApp> app;
  std::shared_ptr<Rebuilder> rebuilder;
};

// Nothing to replace: the service calls no other service.
struct Deps {};

ServiceSpec Spec(Parts* parts = nullptr, Deps deps = {});

}  // namespace store::reporting

#endif  // STORE_SERVICES_REPORTING_WIRING_H_
