#include "libs/metrics/metrics.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace store::metrics {

std::shared_ptr<prometheus::Registry> SharedRegistry() {
  static auto* const kRegistry =
      new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *kRegistry;
}

prometheus::Registry& Registry() { return *SharedRegistry(); }

absl::StatusOr<std::unique_ptr<prometheus::Exposer>> StartExposer(const std::string& listen) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
    exposer->RegisterCollectable(SharedRegistry());
    return exposer;
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* const kBuckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *kBuckets;
}

#define STORE_FAMILY(Type, fn, name, help)                                          \
  prometheus::Family<prometheus::Type>& fn() {                                      \
    static auto& family =                                                           \
        prometheus::Build##Type().Name(name).Help(help).Register(Registry());       \
    return family;                                                                  \
  }

STORE_FAMILY(Counter, GrpcServerHandled, "grpc_server_handled_total",
             "gRPC calls completed on the server, by method and status code.")
STORE_FAMILY(Histogram, GrpcServerHandlingSeconds, "grpc_server_handling_seconds",
             "Time to handle a gRPC call on the server, in seconds.")
STORE_FAMILY(Counter, GrpcClientHandled, "grpc_client_handled_total",
             "gRPC calls completed by this process as a client, by method and status code.")
STORE_FAMILY(Counter, EventsPublished, "events_published_total",
             "Events published from the outbox to Kafka and acknowledged.")
STORE_FAMILY(Counter, EventsPublishFailures, "events_publish_failures_total",
             "Outbox events whose delivery to Kafka failed (they are retried).")
STORE_FAMILY(Counter, EventsConsumed, "events_consumed_total",
             "Events consumed, by topic and result (ok, duplicate, retry, dead_letter).")

STORE_FAMILY(Gauge, ConsumerLag, "consumer_lag_messages",
             "Records on the broker not yet applied by a consumer group, by consumer, topic and "
             "partition (each partition reported by the instance it is assigned to).")

#undef STORE_FAMILY

#define STORE_GAUGE(fn, name, help)                                                        \
  prometheus::Gauge& fn() {                                                                \
    static auto& gauge =                                                                   \
        prometheus::BuildGauge().Name(name).Help(help).Register(Registry()).Add({});       \
    return gauge;                                                                          \
  }

STORE_GAUGE(OutboxPendingEvents, "outbox_pending_events",
            "Events written to the outbox and not yet acknowledged by Kafka.")
STORE_GAUGE(OutboxOldestPendingAgeSeconds, "outbox_oldest_pending_age_seconds",
            "Age of the oldest event still waiting in the outbox, in seconds.")
STORE_GAUGE(OutboxRelayActive, "outbox_relay_active",
            "1 while this process's outbox relay holds its database's relay lock and "
            "publishes; 0 while it stands by (one replica per database publishes).")
STORE_GAUGE(DbPoolInUse, "db_pool_in_use", "Database connections currently leased.")
STORE_GAUGE(DbPoolSize, "db_pool_size", "Maximum number of database connections.")

#undef STORE_GAUGE

}  // namespace store::metrics
