// order-service: wiring only. Configuration is in the README.
#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/service/service_main.h"
#include "services/order/app/cart_app.h"
#include "services/order/app/customer_gate.h"
#include "services/order/app/order_app.h"
#include "services/order/clients/customer_gate_grpc.h"
#include "services/order/migrations.h"
#include "services/order/cart_service.h"
#include "services/order/order_service.h"
#include "store/topics.h"

int main(int argc, char** argv) {
  using namespace store;
  return RunService(
      argc, argv,
      {.name = "order-service",
       .migrations = {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}},
       .wire = [](ServiceRuntime& rt) -> absl::Status {
         const std::string customer_addr = rt.env().Required(
             "CUSTOMER_SERVICE_ADDR",
             "host:port of the customer service (checkout checks, store credit), or "
             "`disabled` to place orders without them");
         const absl::Duration check_timeout =
             rt.env().Duration("CUSTOMER_CHECK_TIMEOUT", absl::Seconds(2));
         if (check_timeout <= absl::ZeroDuration()) {
           return absl::InvalidArgumentError("CUSTOMER_CHECK_TIMEOUT must be positive");
         }
         std::shared_ptr<order::CustomerGate> customers;
         if (customer_addr.empty()) {
           // Reported with the other configuration problems; the process stops.
           customers = std::make_shared<order::DisabledCustomerGate>();
         } else if (customer_addr == "disabled") {
           log::Warning(
               "CUSTOMER_SERVICE_ADDR=disabled: orders are placed WITHOUT customer checks "
               "(no blacklist, blocked or inactive account check, no group discount) and "
               "store credit is refused; never run production like this");
           customers = std::make_shared<order::DisabledCustomerGate>();
         } else {
           customers = std::make_shared<order::GrpcCustomerGate>(
               grpcx::MakeChannel(customer_addr), check_timeout);
           log::Info("customer checks on", {{"customer_service", customer_addr},
                                            {"timeout", absl::FormatDuration(check_timeout)}});
         }
         rt.Keep(customers);
         auto app = std::make_shared<order::OrderApp>(rt.pool(), rt.clock(), *customers);
         rt.Keep(app);
         rt.AddService(std::make_unique<order::OrderServiceImpl>(*app));
         order::CartOptions cart_options;
         cart_options.store_currency = rt.env().Optional("STORE_CURRENCY", "USD");
         cart_options.recovery_url = rt.env().Optional("CART_RECOVERY_URL", "");
         if (!rt.env().Optional("CART_RECOVERY_SECRET", "").empty() ||
             !rt.env().Optional("CART_RECOVERY_SECRET_FILE", "").empty()) {
           cart_options.recovery_secret = rt.env().Required(
               "CART_RECOVERY_SECRET", "HMAC key of the cart recovery links, at least 32 bytes");
           if (cart_options.recovery_secret.size() < 32) {
             rt.env().Problem("CART_RECOVERY_SECRET", "must be at least 32 bytes");
           }
         }
         if (cart_options.recovery_secret.empty() || cart_options.recovery_url.empty()) {
           log::Warning(
               "CART_RECOVERY_SECRET or CART_RECOVERY_URL is not set: abandoned-cart events "
               "carry no recovery link");
         }
         auto carts =
             std::make_shared<order::CartApp>(rt.pool(), rt.clock(), *app, cart_options);
         rt.Keep(carts);
         rt.AddPeriodic("cart-sweep", rt.env().Duration("CART_SWEEP_INTERVAL", absl::Seconds(30)),
                        [carts] { return carts->Sweep(); });
         rt.AddService(std::make_unique<order::CartServiceImpl>(*carts));
         rt.AddService(std::make_unique<order::DiscountCodeServiceImpl>(*carts));
         rt.AddConsumer(order::kErasureConsumer, {customer::v1::kCustomersTopic},
                        [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return app->HandleCustomerEvent(tx, env);
                        });
         return absl::OkStatus();
       }});
}
