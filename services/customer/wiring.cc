#include "services/customer/wiring.h"

#include <utility>

#include "libs/core/money.h"
#include "libs/events/migrations.h"
#include "services/customer/app/customer_options.h"
#include "services/customer/clients/newsletter_source.h"
#include "services/customer/clients/order_source.h"
#include "services/customer/customer_service.h"
#include "services/customer/migrations.h"
#include "store/topics.h"

namespace store::customer {
namespace {

absl::Status Wire(ServiceRuntime& rt, Parts* parts, const Deps& deps) {
  CustomerOptions options;
  options.store_currency = rt.env().Optional("STORE_CURRENCY", "USD");
  if (!CurrencyExponent(options.store_currency).has_value()) {
    rt.env().Problem("STORE_CURRENCY", "not an ISO 4217 code we know");
  }
  std::vector<DataSource> sources;
  if (deps.sources.has_value()) {
    sources = *deps.sources;
  } else {
    const std::string order_addr =
        rt.env().Required("ORDER_SERVICE_ADDR", "host:port of the order service");
    // Optional: without it, exports name the newsletter as a missing source.
    const std::string newsletter_addr = rt.env().Optional("NEWSLETTER_SERVICE_ADDR", "");
    sources = {OrdersDataSource(order_addr), NewsletterDataSource(newsletter_addr)};
  }
  const absl::Duration expiry_every = rt.env().Duration("WALLET_EXPIRY_INTERVAL", absl::Minutes(1));
  const absl::Duration segments_every =
      rt.env().Duration("SEGMENT_REFRESH_INTERVAL", absl::Minutes(10));

  Parts p;
  p.customers = std::make_shared<CustomerApp>(rt.pool(), rt.clock(), options);
  p.wallet = std::make_shared<WalletApp>(rt.pool(), rt.clock(), options);
  p.segments = std::make_shared<SegmentApp>(rt.pool(), rt.clock(), options);
  p.transfer = std::make_shared<TransferApp>(rt.pool(), rt.clock(), options);
  p.privacy = std::make_shared<PrivacyApp>(rt.pool(), rt.clock(), std::move(sources), options);
  p.handlers = std::make_shared<EventHandlers>(rt.clock(), options);
  rt.Keep(p.customers);
  rt.Keep(p.wallet);
  rt.Keep(p.segments);
  rt.Keep(p.transfer);
  rt.Keep(p.privacy);
  rt.Keep(p.handlers);
  rt.AddService(
      NewCustomerService({*p.customers, *p.wallet, *p.segments, *p.transfer, *p.privacy}));
  auto handlers = p.handlers;
  rt.AddConsumer(
      "customer-facts", {order::v1::kOrdersTopic},
      [handlers](pqxx::work& tx, const common::v1::EventEnvelope& env) {
        return handlers->HandleOrderEvent(tx, env);
      },
      {.on_begin = [handlers] { handlers->BeginOrderEvents(); },
       .before_commit = [handlers](pqxx::work& tx) { return handlers->FinishOrderEvents(tx); }});
  rt.AddConsumer("customer-erasures", {customer::v1::kErasuresTopic},
                 [handlers](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                   return handlers->HandleErasureReport(tx, env);
                 });
  rt.AddConsumer("customer-newsletter", {newsletter::v1::kSubscribersTopic},
                 [handlers](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                   return handlers->HandleNewsletterEvent(tx, env);
                 });
  rt.AddPeriodic("wallet-expiry", expiry_every,
                 [wallet = p.wallet] { return wallet->ExpireDue().status(); });
  rt.AddPeriodic("segment-refresh", segments_every,
                 [segments = p.segments] { return segments->RefreshAll(true).status(); });
  if (parts != nullptr) *parts = std::move(p);
  return absl::OkStatus();
}

}  // namespace

ServiceSpec Spec(Parts* parts, Deps deps) {
  return WiredSpec("customer-service",
                   {{"events", &EventsMigrations()}, {"customer", &CustomerMigrations()}}, &Wire,
                   parts, std::move(deps));
}

}  // namespace store::customer
