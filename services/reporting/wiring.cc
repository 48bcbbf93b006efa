#include "services/reporting/wiring.h"

#include <utility>

#include "libs/core/money.h"
#include "libs/events/migrations.h"
#include "services/reporting/migrations.h"
#include "services/reporting/reporting_service.h"
#include "store/topics.h"

namespace store::reporting {
namespace {

ReportingOptions ReadOptions(EnvConfig& env) {
  ReportingOptions options;
  options.store_currency = env.Optional("STORE_CURRENCY", "USD");
  if (!CurrencyExponent(options.store_currency).has_value()) {
    env.Problem("STORE_CURRENCY", "not an ISO 4217 code we know");
  }
  options.zone = env.TimeZone("STORE_TIME_ZONE", "UTC", &options.time_zone);
  absl::StatusOr<CountFrom> count_from =
      ParseCountFrom(env.Optional("REPORTING_COUNT_FROM", "placed"));
  if (count_from.ok()) {
    options.count_from = *count_from;
  } else {
    env.Problem("REPORTING_COUNT_FROM", count_from.status().message());
  }
  return options;
}

absl::Status Wire(ServiceRuntime& rt, Parts* parts, const Deps&) {
  auto app = std::make_shared<ReportingApp>(rt.pool(), ReadOptions(rt.env()));
  rt.Keep(app);
  auto rebuilder = std::make_shared<Rebuilder>(rt.pool(), rt.clock(), rt.brokers(), *app);
  rt.Keep(rebuilder);
  rt.AddService(std::make_unique<ReportingServiceImpl>(*app, *rebuilder));
  rt.AddPeriodic(kRebuildJob, absl::Seconds(1), [rebuilder] { return rebuilder->Step(); });
  auto handler = [app](auto method) {
    return [app, method](pqxx::work& tx, const common::v1::EventEnvelope& env) {
      return ((*app).*method)(tx, env);
    };
  };
  rt.AddConsumer(kOrdersConsumer, {order::v1::kOrdersTopic},
                 handler(&ReportingApp::HandleOrderEvent));
  rt.AddConsumer(kCustomersConsumer, {customer::v1::kCustomersTopic},
                 handler(&ReportingApp::HandleCustomerEvent));
  rt.AddConsumer(kCampaignsConsumer, {newsletter::v1::kCampaignsTopic},
                 handler(&ReportingApp::HandleCampaignEvent));
  if (parts != nullptr) *parts = {.app = app, .rebuilder = rebuilder};
  return app->Init();
}

}  // namespace

ServiceSpec Spec(Parts* parts, Deps deps) {
  return WiredSpec("reporting-service",
                   {{"events", &EventsMigrations()}, {"reporting", &ReportingMigrations()}}, &Wire,
                   parts, std::move(deps));
}

}  // namespace store::reporting
