// librdkafka configuration shared by producers and consumers, and small
// helpers around the C++ API.
#ifndef STORE_LIBS_EVENTS_KAFKA_H_
#define STORE_LIBS_EVENTS_KAFKA_H_

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace store::events {

// Builds a global configuration from key/value pairs; INVALID_ARGUMENT
// naming the first property librdkafka refuses.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const std::map<std::string, std::string>& props);

// Settings of an idempotent, acks=all producer for `brokers`.
std::map<std::string, std::string> ProducerProps(absl::string_view brokers,
                                                 absl::string_view client_id);

// Settings of a consumer in group `group` that stores offsets only when told.
std::map<std::string, std::string> ConsumerProps(absl::string_view brokers,
                                                 absl::string_view group);

// The value of header `name` of `message`, or "" when absent.
std::string HeaderValue(RdKafka::Message& message, absl::string_view name);

// True when a metadata request to the cluster succeeds within `timeout_ms`.
bool BrokerReachable(RdKafka::Handle& handle, int timeout_ms);

// Dead-letter topic of `consumer` for `topic`: "<topic>.<consumer>.dlq".
std::string DeadLetterTopic(absl::string_view topic, absl::string_view consumer);

// Header names on dead-lettered records.
inline constexpr absl::string_view kDlqErrorHeader = "dlq-error";
inline constexpr absl::string_view kDlqTopicHeader = "dlq-original-topic";
inline constexpr absl::string_view kDlqPartitionHeader = "dlq-original-partition";
inline constexpr absl::string_view kDlqOffsetHeader = "dlq-original-offset";
inline constexpr absl::string_view kDlqConsumerHeader = "dlq-consumer";

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_KAFKA_H_
