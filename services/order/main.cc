// order-service: wiring only. Configuration is in the README.
#include "libs/events/migrations.h"
#include "libs/service/service_main.h"
#include "services/order/app/order_app.h"
#include "services/order/migrations.h"
#include "services/order/order_service.h"

int main(int argc, char** argv) {
  using namespace store;
  return RunService(
      argc, argv,
      {.name = "order-service",
       .migrations = {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}},
       .wire = [](ServiceRuntime& rt) -> absl::Status {
         auto app = std::make_shared<order::OrderApp>(rt.pool(), rt.clock());
         rt.Keep(app);
         rt.AddService(std::make_unique<order::OrderServiceImpl>(*app));
         return absl::OkStatus();
       }});
}
