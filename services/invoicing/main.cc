// invoicing-service: wiring only. Configuration is in the README.
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "libs/service/service_main.h"
#include "services/invoicing/app/invoicing_app.h"
#include "services/invoicing/invoicing_service.h"
#include "services/invoicing/migrations.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"

int main(int argc, char** argv) {
  using namespace store;
  return RunService(
      argc, argv,
      {.name = "invoicing-service",
       .migrations = {{"events", &EventsMigrations()}, {"invoicing", &InvoicingMigrations()}},
       .wire = [](ServiceRuntime& rt) -> absl::Status {
         const std::string order_addr =
             rt.env().Required("ORDER_SERVICE_ADDR", "host:port of the order service");
         std::shared_ptr<order::v1::OrderService::Stub> orders =
             order::v1::OrderService::NewStub(grpcx::MakeChannel(order_addr));
         auto lookup = [orders](const std::string& id) -> absl::StatusOr<order::v1::Order> {
           auto ctx = grpcx::OutboundContext(absl::Seconds(5));
           order::v1::GetOrderRequest req;
           req.set_id(id);
           order::v1::Order out;
           grpc::Status s = orders->GetOrder(ctx.get(), req, &out);
           if (!s.ok()) return grpcx::FromGrpcStatus(s);
           return out;
         };
         auto app = std::make_shared<invoicing::InvoicingApp>(rt.pool(), rt.clock(), lookup);
         rt.Keep(app);
         rt.AddService(std::make_unique<invoicing::InvoicingServiceImpl>(*app));
         rt.AddConsumer(invoicing::kConsumerName, {order::v1::kOrdersTopic},
                        [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return app->HandleOrderEvent(tx, env);
                        });
         rt.AddConsumer(invoicing::kErasureConsumerName, {customer::v1::kCustomersTopic},
                        [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return app->HandleCustomerEvent(tx, env);
                        });
         return absl::OkStatus();
       }});
}
