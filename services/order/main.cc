// order-service: wiring only. Configuration is in the README.
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/config/env_config.h"
#include "libs/core/clock.h"
#include "libs/core/log.h"
#include "libs/events/migrations.h"
#include "libs/events/relay.h"
#include "libs/grpcx/server.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "services/order/app/order_app.h"
#include "services/order/migrations.h"
#include "services/order/order_service.h"

int main(int argc, char** argv) {
  using namespace store;
  grpcx::BlockTerminationSignals();
  const bool migrate_only = argc > 1 && std::strcmp(argv[1], "--migrate-only") == 0;
  if (argc > 1 && !migrate_only) {
    std::fprintf(stderr, "usage: order-service [--migrate-only]\nConfiguration comes from the "
                         "environment; see services/order/README.md.\n");
    return 2;
  }

  EnvConfig env;
  const std::string database_url = env.Required("DATABASE_URL", "libpq URL of the order database");
  const std::string brokers =
      migrate_only ? "" : env.Required("KAFKA_BROKERS", "Kafka bootstrap servers, host:port,...");
  const std::string grpc_listen = env.ListenAddress("GRPC_LISTEN", "127.0.0.1:50051");
  const std::string metrics_listen = env.ListenAddress("METRICS_LISTEN", "127.0.0.1:9101");
  const int pool_size = env.Int("DB_POOL_SIZE", 16, 1, 512);
  const bool migrate_on_start = env.Bool("MIGRATE_ON_START", true);
  const std::string log_format = env.Optional("LOG_FORMAT", "json");
  const std::string log_level = env.Optional("LOG_LEVEL", "info");
  const absl::Duration shutdown_grace = env.Duration("SHUTDOWN_GRACE", absl::Seconds(20));
  log::Init("order-service", log::ParseLevel(log_level), log_format != "text");
  if (absl::Status s = env.Check(); !s.ok()) {
    std::fprintf(stderr, "order-service: %s\n", std::string(s.message()).c_str());
    return 2;
  }

  const std::vector<pg::MigrationSet> migrations = {{"events", &EventsMigrations()},
                                                    {"order", &OrderMigrations()}};
  if (migrate_only || migrate_on_start) {
    absl::StatusOr<std::vector<std::string>> applied = pg::Migrate(database_url, migrations);
    if (!applied.ok()) {
      log::Error("migrations failed", {{"error", applied.status().ToString()}});
      return 1;
    }
    log::Info("migrations up to date", {{"applied_now", absl::StrCat(applied->size())}});
    if (migrate_only) return 0;
  }

  auto exposer = metrics::StartExposer(metrics_listen);
  if (!exposer.ok()) {
    log::Error("metrics endpoint failed", {{"error", exposer.status().ToString()}});
    return 1;
  }

  pg::Pool pool({.url = database_url, .size = pool_size});
  events::OutboxRelay relay({.database_url = database_url, .brokers = brokers,
                             .client_id = "order-service-relay"});
  if (absl::Status s = relay.Start(); !s.ok()) {
    log::Error("outbox relay failed to start", {{"error", s.ToString()}});
    return 1;
  }

  order::OrderApp app(pool, SystemClock::Get());
  order::OrderServiceImpl service(app);
  grpcx::ServerHost host({.listen = grpc_listen, .shutdown_grace = shutdown_grace});
  host.AddService(&service);
  host.AddReadinessCheck({"database", [&pool] { return pool.Ping(); }});
  host.AddReadinessCheck({"kafka", [&relay] {
                            return relay.BrokerHealthy()
                                       ? absl::OkStatus()
                                       : absl::UnavailableError("kafka brokers unreachable");
                          }});
  host.AddStopHook([&relay] { relay.Stop(absl::Seconds(5)); });
  if (absl::Status s = host.Start(); !s.ok()) {
    log::Error("grpc server failed to start", {{"error", s.ToString()}});
    return 1;
  }
  host.WaitForTerminationSignal();
  return 0;
}
