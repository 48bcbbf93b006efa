// The main() every service shares: configuration from the environment
// (DATABASE_URL, KAFKA_BROKERS, GRPC_LISTEN, METRICS_LISTEN, DB_POOL_SIZE,
// MIGRATE_ON_START, SHUTDOWN_GRACE, GRPC_MAX_CONNECTION_AGE (5m: clients
// reconnect and re-resolve, so new replicas get calls), LOG_FORMAT, LOG_LEVEL, plus the
// service's own), migrations (`--migrate-only` applies them and exits),
// metrics endpoint, database pool, outbox relay, event consumers, the gRPC
// server host with readiness on database and Kafka, and the SIGTERM drain.
// A service's main.cc only wires its own parts:
//
//   int main(int argc, char** argv) {
//     return store::RunService(argc, argv, {
//         .name = "order-service",
//         .migrations = {{"events", &EventsMigrations()}, {"order", &OrderMigrations()}},
//         .wire = [](store::ServiceRuntime& rt) -> absl::Status { ... }});
//   }
#ifndef STORE_LIBS_SERVICE_SERVICE_MAIN_H_
#define STORE_LIBS_SERVICE_SERVICE_MAIN_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/config/env_config.h"
#include "libs/core/clock.h"
#include "libs/events/consumer.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"

namespace store {

// What wire() gets: the shared pieces, and where to add its own.
class ServiceRuntime {
 public:
  virtual ~ServiceRuntime() = default;
  // For the service's own variables (read them in wire(); problems are
  // reported together with the common ones).
  virtual EnvConfig& env() = 0;
  virtual pg::Pool& pool() = 0;
  virtual const Clock& clock() = 0;
  virtual const std::string& brokers() = 0;
  // Serves `service` (owned by the runtime).
  virtual void AddService(std::unique_ptr<grpc::Service> service) = 0;
  // Keeps `object` alive as long as the service runs (apps, clients).
  virtual void Keep(std::shared_ptr<void> object) = 0;
  // Consumes `topics` as consumer group `name` with `handler` (see
  // libs/events/consumer.h); started after wire() and stopped on shutdown.
  // `hooks` run around each transaction that applied a new event.
  virtual void AddConsumer(const std::string& name, std::vector<std::string> topics,
                           events::Handler handler, events::ConsumerHooks hooks) = 0;
  void AddConsumer(const std::string& name, std::vector<std::string> topics,
                   events::Handler handler) {
    AddConsumer(name, std::move(topics), std::move(handler), {});
  }
  // Runs `run` every `interval` (libs/service/periodic.h) from start-up until
  // shutdown. Jobs must be safe with several replicas running them. Returns
  // a call that runs it soon (PeriodicTask::Wake), e.g. when new work was
  // stored; callable while the service serves.
  virtual std::function<void()> AddPeriodic(const std::string& name, absl::Duration interval,
                                            std::function<absl::Status()> run) = 0;
};

struct ServiceSpec {
  std::string name;  // "order-service": logs, client ids, usage
  std::vector<pg::MigrationSet> migrations;
  std::function<absl::Status(ServiceRuntime&)> wire;
};

int RunService(int argc, char** argv, const ServiceSpec& spec);

// The ServiceSpec of a service whose wiring is `wire(rt, parts, deps)`
// (services/<svc>/wiring.cc): `parts`, when not null, receives what a test
// may reach; `deps` replaces collaborators in tests.
template <typename Parts, typename Deps>
ServiceSpec WiredSpec(std::string name, std::vector<pg::MigrationSet> migrations,
                      absl::Status (*wire)(ServiceRuntime&, Parts*, const Deps&), Parts* parts,
                      Deps deps) {
  return {.name = std::move(name),
          .migrations = std::move(migrations),
          .wire = [wire, parts, deps = std::move(deps)](ServiceRuntime& rt) {
            return wire(rt, parts, deps);
          }};
}

}  // namespace store

#endif  // STORE_LIBS_SERVICE_SERVICE_MAIN_H_
