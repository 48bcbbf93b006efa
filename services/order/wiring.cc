#include "services/order/wiring.h"

#include <utility>

#include "libs/core/log.h"
#include "libs/events/migrations.h"
#include "libs/grpcx/server.h"
#include "services/order/cart_service.h"
#include "services/order/clients/customer_gate_grpc.h"
#include "services/order/migrations.h"
#include "services/order/order_service.h"
#include "store/topics.h"

namespace store::order {
namespace {

// CUSTOMER_SERVICE_ADDR and CUSTOMER_CHECK_TIMEOUT: the checkout checks and
// store credit (ORD-13).
std::shared_ptr<CustomerGate> CustomerGateFromEnv(EnvConfig& env) {
  const std::string customer_addr =
      env.Required("CUSTOMER_SERVICE_ADDR",
                   "host:port of the customer service (checkout checks, store credit), or "
                   "`disabled` to place orders without them");
  const absl::Duration check_timeout = env.Duration("CUSTOMER_CHECK_TIMEOUT", absl::Seconds(2));
  if (check_timeout <= absl::ZeroDuration()) {
    env.Problem("CUSTOMER_CHECK_TIMEOUT", "must be positive");
  }
  if (customer_addr.empty()) {
    // Reported with the other configuration problems; the process stops.
    return std::make_shared<DisabledCustomerGate>();
  }
  if (customer_addr == "disabled") {
    log::Warning(
        "CUSTOMER_SERVICE_ADDR=disabled: orders are placed WITHOUT customer checks "
        "(no blacklist, blocked or inactive account check, no group discount) and "
        "store credit is refused; never run production like this");
    return std::make_shared<DisabledCustomerGate>();
  }
  log::Info("customer checks on", {{"customer_service", customer_addr},
                                   {"timeout", absl::FormatDuration(check_timeout)}});
  return std::make_shared<GrpcCustomerGate>(grpcx::MakeChannel(customer_addr), check_timeout);
}

// STORE_CURRENCY, CART_RECOVERY_SECRET(_FILE), CART_RECOVERY_URL.
CartOptions CartOptionsFromEnv(EnvConfig& env) {
  CartOptions options;
  options.store_currency = env.Optional("STORE_CURRENCY", "USD");
  options.recovery_url = env.Optional("CART_RECOVERY_URL", "");
  if (!env.Optional("CART_RECOVERY_SECRET", "").empty() ||
      !env.Optional("CART_RECOVERY_SECRET_FILE", "").empty()) {
    options.recovery_secret = env.Required(
        "CART_RECOVERY_SECRET", "HMAC key of the cart recovery links, at least 32 bytes");
    if (options.recovery_secret.size() < 32) {
      env.Problem("CART_RECOVERY_SECRET", "must be at least 32 bytes");
    }
  }
  if (options.recovery_secret.empty() || options.recovery_url.empty()) {
    log::Warning(
        "CART_RECOVERY_SECRET or CART_RECOVERY_URL is not set: abandoned-cart events "
        "carry no recovery link");
  }
  return options;
}

absl::Status Wire(ServiceRuntime& rt, Parts* parts, const Deps& deps) {
  std::shared_ptr<CustomerGate> customers =
      deps.customers ? deps.customers : CustomerGateFromEnv(rt.env());
  rt.Keep(customers);
  const absl::Duration debit_wait = rt.env().Duration("WALLET_DEBIT_WAIT", absl::Seconds(60));
  if (debit_wait < absl::Seconds(1)) rt.env().Problem("WALLET_DEBIT_WAIT", "must be at least 1s");
  auto orders = std::make_shared<OrderApp>(rt.pool(), rt.clock(), *customers, debit_wait);
  rt.Keep(orders);
  rt.AddPeriodic("wallet-reversals",
                 rt.env().Duration("WALLET_REVERSAL_INTERVAL", absl::Seconds(10)),
                 [orders] { return orders->GiveBackStrandedDebits().status(); });
  const absl::TimeZone zone = rt.env().TimeZone("STORE_TIME_ZONE", "UTC");
  auto exports = std::make_shared<OrderExportApp>(rt.pool(), zone);
  rt.Keep(exports);
  auto packing = std::make_shared<PackingApp>(
      rt.pool(), PackingOptions{.store_name = rt.env().Optional("STORE_NAME", ""), .zone = zone});
  rt.Keep(packing);
  OrderJobOptions job_options;
  job_options.batch_size = rt.env().Int("ORDER_JOB_BATCH_SIZE", 250, 1, 5000);
  job_options.zone = zone;
  auto jobs = std::make_shared<OrderJobApp>(rt.pool(), rt.clock(), job_options);
  rt.Keep(jobs);
  jobs->SetWake(rt.AddPeriodic("order-jobs",
                               rt.env().Duration("ORDER_JOB_INTERVAL", absl::Seconds(5)),
                               [jobs] { return jobs->RunPending(); }));
  jobs->Wake();  // jobs a stopped or crashed instance left unfinished resume at start-up
  rt.AddService(std::make_unique<OrderServiceImpl>(*orders, *exports, *packing, *jobs));
  auto carts =
      std::make_shared<CartApp>(rt.pool(), rt.clock(), *orders, CartOptionsFromEnv(rt.env()));
  rt.Keep(carts);
  rt.AddPeriodic("cart-sweep", rt.env().Duration("CART_SWEEP_INTERVAL", absl::Seconds(30)),
                 [carts] { return carts->Sweep(); });
  rt.AddService(std::make_unique<CartServiceImpl>(*carts));
  rt.AddService(std::make_unique<DiscountCodeServiceImpl>(*carts));
  rt.AddConsumer(kErasureConsumer, {customer::v1::kCustomersTopic},
                 [orders](pqxx::work& tx, const common::v1::EventEnvelope& env) {
                   return orders->HandleCustomerEvent(tx, env);
                 });
  if (parts != nullptr) *parts = {.orders = orders, .carts = carts, .jobs = jobs};
  return absl::OkStatus();
}

}  // namespace

ServiceSpec Spec(Parts* parts, Deps deps) {
  return WiredSpec("order-service",
                   {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}}, &Wire, parts,
                   std::move(deps));
}

}  // namespace store::order
