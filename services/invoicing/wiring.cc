#include "services/invoicing/wiring.h"

#include <utility>

#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "libs/grpcx/status.h"
#include "services/invoicing/invoicing_service.h"
#include "services/invoicing/migrations.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "store/topics.h"

namespace store::invoicing {
namespace {

OrderLookup GrpcOrderLookup(const std::string& order_addr) {
  std::shared_ptr<order::v1::OrderService::Stub> orders =
      order::v1::OrderService::NewStub(grpcx::MakeChannel(order_addr));
  return [orders](const std::string& id) -> absl::StatusOr<order::v1::Order> {
    auto ctx = grpcx::OutboundContext(absl::Seconds(5));
    order::v1::GetOrderRequest req;
    req.set_id(id);
    order::v1::Order out;
    grpc::Status s = orders->GetOrder(ctx.get(), req, &out);
    if (!s.ok()) return grpcx::FromGrpcStatus(s);
    return out;
  };
}

absl::Status Wire(ServiceRuntime& rt, Parts* parts, const Deps& deps) {
  OrderLookup lookup = deps.orders;
  if (!lookup) {
    lookup =
        GrpcOrderLookup(rt.env().Required("ORDER_SERVICE_ADDR", "host:port of the order service"));
  }
  auto app = std::make_shared<InvoicingApp>(rt.pool(), rt.clock(), std::move(lookup));
  rt.Keep(app);
  rt.AddService(std::make_unique<InvoicingServiceImpl>(*app));
  rt.AddConsumer(kConsumerName, {order::v1::kOrdersTopic},
                 [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                   return app->HandleOrderEvent(tx, env);
                 });
  rt.AddConsumer(kErasureConsumerName, {customer::v1::kCustomersTopic},
                 [app](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                   return app->HandleCustomerEvent(tx, env);
                 });
  if (parts != nullptr) parts->app = app;
  return absl::OkStatus();
}

}  // namespace

ServiceSpec Spec(Parts* parts, Deps deps) {
  return WiredSpec("invoicing-service",
                   {{"events", &EventsMigrations()}, {"invoicing", &InvoicingMigrations()}}, &Wire,
                   parts, std::move(deps));
}

}  // namespace store::invoicing
