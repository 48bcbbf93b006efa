#include "libs/events/kafka.h"

#include "absl/strings/str_cat.h"

namespace store::events {

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const std::map<std::string, std::string>& props) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [key, value] : props) {
    if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka setting ", key, ": ", err));
    }
  }
  return conf;
}

std::map<std::string, std::string> ProducerProps(absl::string_view brokers,
                                                 absl::string_view client_id) {
  return {
      {"bootstrap.servers", std::string(brokers)},
      {"client.id", std::string(client_id)},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "2"},
      {"compression.type", "none"},
      // A message not acknowledged within this time fails its delivery report
      // and stays in the outbox to be sent again.
      {"message.timeout.ms", "15000"},
      {"reconnect.backoff.max.ms", "2000"},
      {"log.connection.close", "false"},
  };
}

std::map<std::string, std::string> ConsumerProps(absl::string_view brokers,
                                                 absl::string_view group) {
  return {
      {"bootstrap.servers", std::string(brokers)},
      {"group.id", std::string(group)},
      {"client.id", std::string(group)},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", "500"},
      // Offsets are stored only after the consumer's transaction commits.
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      // Deliver what is there promptly instead of waiting to fill a fetch.
      {"fetch.wait.max.ms", "50"},
      // Read ahead at most 8 MB per consumer (librdkafka's default is 64 MB,
      // which a replay of a large topic fills in every reader).
      {"queued.max.messages.kbytes", "8192"},
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "1000"},
      {"topic.metadata.refresh.interval.ms", "5000"},
      {"reconnect.backoff.max.ms", "2000"},
      {"log.connection.close", "false"},
  };
}

std::string HeaderValue(RdKafka::Message& message, absl::string_view name) {
  RdKafka::Headers* headers = message.headers();
  if (headers == nullptr) return "";
  RdKafka::Headers::Header h = headers->get_last(std::string(name));
  if (h.err() != RdKafka::ERR_NO_ERROR || h.value() == nullptr) return "";
  return std::string(static_cast<const char*>(h.value()), h.value_size());
}

bool BrokerReachable(RdKafka::Handle& handle, int timeout_ms) {
  RdKafka::Metadata* md = nullptr;
  RdKafka::ErrorCode err = handle.metadata(/*all_topics=*/false, nullptr, &md, timeout_ms);
  delete md;
  return err == RdKafka::ERR_NO_ERROR;
}

std::string DeadLetterTopic(absl::string_view topic, absl::string_view consumer) {
  return absl::StrCat(topic, ".", consumer, ".dlq");
}

}  // namespace store::events
