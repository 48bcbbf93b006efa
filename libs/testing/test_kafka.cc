#include "libs/testing/test_kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <set>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/core/ids.h"
#include "libs/events/kafka.h"

namespace store::testing {

TestKafka::TestKafka(int brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk_ == nullptr) throw std::runtime_error(err);
  cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  if (cluster_ == nullptr) throw std::runtime_error("cannot create the mock cluster");
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

TestKafka::~TestKafka() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void TestKafka::CreateTopic(const std::string& topic, int partitions) {
  rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
}

void TestKafka::SetAllBrokersDown(bool down) {
  if (down) {
    rd_kafka_mock_broker_set_down(cluster_, -1);
  } else {
    rd_kafka_mock_broker_set_up(cluster_, -1);
  }
}

void TestKafka::FailNextProduces(int count, int error) {
  std::vector<rd_kafka_resp_err_t> errors(count, static_cast<rd_kafka_resp_err_t>(error));
  rd_kafka_mock_push_request_errors_array(cluster_, /*ApiKey Produce=*/0, errors.size(),
                                          errors.data());
}

std::vector<Record> TestKafka::ReadTopic(const std::string& topic, size_t min_count,
                                         absl::Duration timeout) const {
  auto props = events::ConsumerProps(bootstrap_, absl::StrCat("test-reader-", NewUuid()));
  props["enable.auto.commit"] = "false";
  props["enable.partition.eof"] = "true";
  auto conf = events::MakeConf(props);
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  // Manual assignment of every partition from the start: no group join.
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<RdKafka::TopicPartition*> partitions;
  while (partitions.empty() && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
    RdKafka::Metadata* md = nullptr;
    if (consumer->metadata(false, t.get(), &md, 2000) == RdKafka::ERR_NO_ERROR) {
      for (const auto* tm : *md->topics()) {
        if (tm->topic() != topic || tm->err() != RdKafka::ERR_NO_ERROR) continue;
        for (const auto* pm : *tm->partitions()) {
          partitions.push_back(
              RdKafka::TopicPartition::create(topic, pm->id(), RdKafka::Topic::OFFSET_BEGINNING));
        }
      }
    }
    delete md;
    if (partitions.empty()) absl::SleepFor(absl::Milliseconds(50));
  }
  consumer->assign(partitions);
  const size_t partition_count = partitions.size();
  RdKafka::TopicPartition::destroy(partitions);
  std::vector<Record> out;
  std::set<int> at_end;
  while ((out.size() < min_count || at_end.size() < partition_count) && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(100));
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(msg->partition());
      continue;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(msg->partition());
    Record r;
    r.topic = msg->topic_name();
    r.partition = msg->partition();
    r.offset = msg->offset();
    if (msg->key() != nullptr) r.key = *msg->key();
    if (msg->payload() != nullptr) r.value.assign(static_cast<const char*>(msg->payload()), msg->len());
    if (RdKafka::Headers* h = msg->headers()) {
      for (const auto& header : h->get_all()) {
        r.headers[header.key()] = header.value() == nullptr
                                      ? ""
                                      : std::string(static_cast<const char*>(header.value()),
                                                    header.value_size());
      }
    }
    out.push_back(std::move(r));
  }
  consumer->close();
  return out;
}

void TestKafka::Produce(const std::string& topic, const std::string& key, const std::string& value,
                        const std::map<std::string, std::string>& headers) {
  auto conf = events::MakeConf(events::ProducerProps(bootstrap_, "test-producer"));
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
  RdKafka::Headers* h = RdKafka::Headers::create();
  for (const auto& [k, v] : headers) h->add(k, v);
  producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                    const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, h,
                    nullptr);
  producer->flush(10000);
}

void TestKafka::ProduceAll(const std::string& topic,
                           const std::vector<std::pair<std::string, std::string>>& records) {
  auto conf = events::MakeConf(events::ProducerProps(bootstrap_, "test-producer"));
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
  for (const auto& [key, value] : records) {
    for (;;) {
      const RdKafka::ErrorCode rc = producer->produce(
          topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
      if (rc != RdKafka::ERR__QUEUE_FULL) break;
      producer->poll(100);  // the local queue is full: let deliveries drain it
    }
  }
  producer->flush(60000);
}

}  // namespace store::testing
