// The customer service's wiring: configuration (README "Configuration"), its
// apps, gRPC service, consumers and periodic jobs. main.cc runs it with
// RunService; the integration tests run the very same function in-process
// (libs/testing/service_fixture.h).
#ifndef STORE_SERVICES_CUSTOMER_WIRING_H_
#define STORE_SERVICES_CUSTOMER_WIRING_H_

#include <memory>
#include <optional>
#include <vector>

#include "libs/service/service_main.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/event_handlers.h"
#include "services/customer/app/privacy_app.h"
#include "services/customer/app/segment_app.h"
#include "services/customer/app/transfer_app.h"
#include "services/customer/app/wallet_app.h"

namespace store::customer {

// What a test may reach of the wired service.
struct Parts {
  std::shared_ptr<CustomerApp> customers;
  std::shared_ptr<WalletApp> wallet;
  std::shared_ptr<SegmentApp> segments;
  std::shared_ptr<TransferApp> transfer;
  std::shared_ptr<PrivacyApp> privacy;
  std::shared_ptr<EventHandlers> handlers;
};

// What a test may put in place of a collaborator.
struct Deps {
  // The other services' parts of a privacy export; default: gRPC to
  // ORDER_SERVICE_ADDR and NEWSLETTER_SERVICE_ADDR.
  std::optional<std::vector<DataSource>> sources;
};

ServiceSpec Spec(Parts* parts = nullptr, Deps deps = {});

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_WIRING_H_
