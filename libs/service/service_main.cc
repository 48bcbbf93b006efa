#include "libs/service/service_main.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/core/process.h"
#include "libs/events/relay.h"
#include "libs/grpcx/server.h"
#include "libs/metrics/metrics.h"
#include "libs/service/periodic.h"

namespace store {
namespace {

class Runtime final : public ServiceRuntime {
 public:
  Runtime(EnvConfig& env, pg::Pool& pool, std::string brokers)
      : env_(env), pool_(pool), brokers_(std::move(brokers)) {}

  EnvConfig& env() override { return env_; }
  pg::Pool& pool() override { return pool_; }
  const Clock& clock() override { return SystemClock::Get(); }
  const std::string& brokers() override { return brokers_; }
  void AddService(std::unique_ptr<grpc::Service> service) override {
    services_.push_back(std::move(service));
  }
  void Keep(std::shared_ptr<void> object) override { kept_.push_back(std::move(object)); }
  using ServiceRuntime::AddConsumer;
  void AddConsumer(const std::string& name, std::vector<std::string> topics,
                   events::Handler handler, events::ConsumerHooks hooks) override {
    consumers_.push_back(
        std::make_unique<events::Consumer>(events::ConsumerOptions{.name = name,
                                                                   .brokers = brokers_,
                                                                   .topics = std::move(topics),
                                                                   .hooks = std::move(hooks)},
                                           pool_, std::move(handler)));
  }

  std::function<void()> AddPeriodic(const std::string& name, absl::Duration interval,
                                    std::function<absl::Status()> run) override {
    periodic_.push_back(std::make_unique<PeriodicTask>(name, interval, std::move(run)));
    PeriodicTask* task = periodic_.back().get();
    return [task] { task->Wake(); };
  }

  EnvConfig& env_;
  pg::Pool& pool_;
  std::string brokers_;
  std::vector<std::shared_ptr<void>> kept_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::vector<std::unique_ptr<events::Consumer>> consumers_;
  std::vector<std::unique_ptr<PeriodicTask>> periodic_;
};

}  // namespace

int RunService(int argc, char** argv, const ServiceSpec& spec) {
  InitProcess();
  grpcx::BlockTerminationSignals();
  const bool migrate_only = argc > 1 && std::strcmp(argv[1], "--migrate-only") == 0;
  if (argc > 1 && !migrate_only) {
    std::fprintf(stderr,
                 "usage: %s [--migrate-only]\nConfiguration comes from the environment; see "
                 "the service's README.md.\n",
                 spec.name.c_str());
    return 2;
  }

  EnvConfig env;
  const std::string database_url =
      env.Required("DATABASE_URL", "libpq URL of the service's own database");
  const std::string brokers =
      migrate_only ? "" : env.Required("KAFKA_BROKERS", "Kafka bootstrap servers, host:port,...");
  const std::string grpc_listen = env.ListenAddress("GRPC_LISTEN", "127.0.0.1:50051");
  const std::string metrics_listen = env.ListenAddress("METRICS_LISTEN", "127.0.0.1:9101");
  const int pool_size = env.Int("DB_POOL_SIZE", 16, 1, 512);
  const bool migrate_on_start = env.Bool("MIGRATE_ON_START", true);
  const std::string log_format = env.Optional("LOG_FORMAT", "json");
  const std::string log_level = env.Optional("LOG_LEVEL", "info");
  const absl::Duration shutdown_grace = env.Duration("SHUTDOWN_GRACE", absl::Seconds(20));
  const absl::Duration max_connection_age =
      env.Duration("GRPC_MAX_CONNECTION_AGE", absl::Minutes(5));
  log::Init(spec.name, log::ParseLevel(log_level), log_format != "text");

  if (migrate_only) {
    if (absl::Status s = env.Check(); !s.ok()) {
      std::fprintf(stderr, "%s: %s\n", spec.name.c_str(), std::string(s.message()).c_str());
      return 2;
    }
  }
  if (migrate_only || migrate_on_start) {
    absl::StatusOr<std::vector<std::string>> applied = pg::Migrate(database_url, spec.migrations);
    if (!applied.ok()) {
      log::Error("migrations failed", {{"error", applied.status().ToString()}});
      return 1;
    }
    log::Info("migrations up to date", {{"applied_now", absl::StrCat(applied->size())}});
    if (migrate_only) return 0;
  }

  pg::Pool pool({.url = database_url, .size = pool_size});
  Runtime runtime(env, pool, brokers);
  absl::Status wired = spec.wire(runtime);
  if (absl::Status s = env.Check(); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", spec.name.c_str(), std::string(s.message()).c_str());
    return 2;
  }
  if (!wired.ok()) {
    log::Error("start-up failed", {{"error", wired.ToString()}});
    return 1;
  }

  auto exposer = metrics::StartExposer(metrics_listen);
  if (!exposer.ok()) {
    log::Error("metrics endpoint failed", {{"error", exposer.status().ToString()}});
    return 1;
  }
  events::OutboxRelay relay({.database_url = database_url, .brokers = brokers,
                             .client_id = absl::StrCat(spec.name, "-relay")});
  if (absl::Status s = relay.Start(); !s.ok()) {
    log::Error("outbox relay failed to start", {{"error", s.ToString()}});
    return 1;
  }
  for (auto& consumer : runtime.consumers_) {
    if (absl::Status s = consumer->Start(); !s.ok()) {
      log::Error("consumer failed to start", {{"error", s.ToString()}});
      return 1;
    }
  }

  for (auto& task : runtime.periodic_) task->Start();

  grpcx::ServerHost host({.listen = grpc_listen,
                          .shutdown_grace = shutdown_grace,
                          .max_connection_age = max_connection_age});
  for (auto& service : runtime.services_) host.AddService(service.get());
  host.AddReadinessCheck(
      {.name = "database", .check = [&pool] { return pool.Ping(); }, .gates = true});
  // The broker does not gate readiness: while it is away the service keeps
  // serving (its events wait in the outbox, its consumers resume after);
  // health service "kafka" says NOT_SERVING meanwhile (REL-2).
  host.AddReadinessCheck({.name = "kafka",
                          .check =
                              [&relay] {
                                return relay.BrokerHealthy()
                                           ? absl::OkStatus()
                                           : absl::UnavailableError("kafka brokers unreachable");
                              },
                          .gates = false});
  // Stop hooks run in reverse: consumers commit and leave first, then the
  // relay flushes what is in flight.
  host.AddStopHook([&relay] { relay.Stop(absl::Seconds(5)); });
  host.AddStopHook([&runtime] {
    for (auto& consumer : runtime.consumers_) consumer->Stop();
  });
  host.AddStopHook([&runtime] {
    for (auto& task : runtime.periodic_) task->Stop();
  });
  if (absl::Status s = host.Start(); !s.ok()) {
    log::Error("grpc server failed to start", {{"error", s.ToString()}});
    return 1;
  }
  host.WaitForTerminationSignal();
  return 0;
}

}  // namespace store
