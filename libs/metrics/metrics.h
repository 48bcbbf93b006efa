// The process's Prometheus registry, its HTTP exposer and the families every
// service shares. Families are created once here, so names, help texts,
// labels and buckets are the same in every service.
#ifndef STORE_LIBS_METRICS_METRICS_H_
#define STORE_LIBS_METRICS_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace store::metrics {

// The process-wide registry.
prometheus::Registry& Registry();
std::shared_ptr<prometheus::Registry> SharedRegistry();

// Serves /metrics at `listen` ("127.0.0.1:9101"). Fails when the port is taken.
absl::StatusOr<std::unique_ptr<prometheus::Exposer>> StartExposer(const std::string& listen);

// Histogram buckets for request latencies, in seconds (0.5 ms .. 10 s).
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

// grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
prometheus::Family<prometheus::Counter>& GrpcServerHandled();
// grpc_server_handling_seconds{grpc_service,grpc_method}
prometheus::Family<prometheus::Histogram>& GrpcServerHandlingSeconds();
// grpc_client_handled_total{grpc_service,grpc_method,grpc_code}
prometheus::Family<prometheus::Counter>& GrpcClientHandled();
// outbox_pending_events, outbox_oldest_pending_age_seconds
prometheus::Gauge& OutboxPendingEvents();
prometheus::Gauge& OutboxOldestPendingAgeSeconds();
prometheus::Gauge& OutboxRelayActive();
// events_published_total{topic}, events_publish_failures_total{topic}
prometheus::Family<prometheus::Counter>& EventsPublished();
prometheus::Family<prometheus::Counter>& EventsPublishFailures();
// events_consumed_total{topic,result}: result = ok|duplicate|retry|dead_letter
prometheus::Family<prometheus::Counter>& EventsConsumed();
// consumer_lag_messages{consumer,topic,partition}: records on the broker not
// yet applied by the consumer group (high watermark − position), per
// partition, reported by the instance the partition is assigned to, refreshed
// every few seconds.
prometheus::Family<prometheus::Gauge>& ConsumerLag();
// db_pool_in_use, db_pool_size
prometheus::Gauge& DbPoolInUse();
prometheus::Gauge& DbPoolSize();

}  // namespace store::metrics

#endif  // STORE_LIBS_METRICS_METRICS_H_
