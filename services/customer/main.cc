// customer-service: wiring only. Configuration is in the README.
#include "libs/core/money.h"
#include "libs/events/migrations.h"
#include "libs/service/service_main.h"
#include "services/customer/app/customer_app.h"
#include "services/customer/app/event_handlers.h"
#include "services/customer/app/privacy_app.h"
#include "services/customer/app/segment_app.h"
#include "services/customer/app/transfer_app.h"
#include "services/customer/app/wallet_app.h"
#include "services/customer/clients/newsletter_source.h"
#include "services/customer/clients/order_source.h"
#include "services/customer/customer_service.h"
#include "services/customer/migrations.h"
#include "services/customer/store/customer_store.h"
#include "services/customer/store/store_currency.h"
#include "store/topics.h"

int main(int argc, char** argv) {
  using namespace store;
  using namespace store::customer;
  return RunService(
      argc, argv,
      {.name = "customer-service",
       .migrations = {{"events", &EventsMigrations()}, {"customer", &CustomerMigrations()}},
       .wire = [](ServiceRuntime& rt) -> absl::Status {
         const std::string currency = rt.env().Optional("STORE_CURRENCY", "USD");
         if (!CurrencyExponent(currency).has_value()) {
           return absl::InvalidArgumentError("STORE_CURRENCY: not an ISO 4217 code we know");
         }
         SetStoreCurrency(currency);
         const std::string order_addr =
             rt.env().Required("ORDER_SERVICE_ADDR", "host:port of the order service");
         const absl::Duration expiry_every =
             rt.env().Duration("WALLET_EXPIRY_INTERVAL", absl::Minutes(1));
         const absl::Duration segments_every =
             rt.env().Duration("SEGMENT_REFRESH_INTERVAL", absl::Minutes(10));

         auto customers = std::make_shared<CustomerApp>(rt.pool(), rt.clock());
         auto wallet = std::make_shared<WalletApp>(rt.pool(), rt.clock());
         auto segments = std::make_shared<SegmentApp>(rt.pool(), rt.clock());
         auto transfer = std::make_shared<TransferApp>(rt.pool(), rt.clock());
         // Optional: without it, exports name the newsletter as a missing source.
         const std::string newsletter_addr = rt.env().Optional("NEWSLETTER_SERVICE_ADDR", "");
         auto privacy = std::make_shared<PrivacyApp>(
             rt.pool(), rt.clock(),
             std::vector<DataSource>{OrdersDataSource(order_addr),
                                     NewsletterDataSource(newsletter_addr)});
         auto handlers = std::make_shared<EventHandlers>(rt.clock());
         rt.Keep(customers);
         rt.Keep(wallet);
         rt.Keep(segments);
         rt.Keep(transfer);
         rt.Keep(privacy);
         rt.Keep(handlers);
         rt.AddService(NewCustomerService({*customers, *wallet, *segments, *transfer, *privacy}));
         rt.AddConsumer("customer-facts", {order::v1::kOrdersTopic},
                        [handlers](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return handlers->HandleOrderEvent(tx, env);
                        });
         rt.AddConsumer("customer-erasures", {customer::v1::kErasuresTopic},
                        [handlers](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return handlers->HandleErasureReport(tx, env);
                        });
         rt.AddConsumer("customer-newsletter", {newsletter::v1::kSubscribersTopic},
                        [handlers](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                          return handlers->HandleNewsletterEvent(tx, env);
                        });
         rt.AddPeriodic("wallet-expiry", expiry_every,
                        [wallet] { return wallet->ExpireDue().status(); });
         rt.AddPeriodic("segment-refresh", segments_every,
                        [segments] { return segments->RefreshAll(true).status(); });
         return absl::OkStatus();
       }});
}
