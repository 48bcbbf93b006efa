// KafkaFixture: an in-process Kafka-protocol cluster (librdkafka's mock
// cluster, the same one tools/kafka-dev-broker runs) for integration tests,
// with helpers to read a topic from the start and to inject faults.
#ifndef STORE_LIBS_TESTING_TEST_KAFKA_H_
#define STORE_LIBS_TESTING_TEST_KAFKA_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace store::testing {

struct Record {
  std::string topic;
  int partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

class TestKafka {
 public:
  explicit TestKafka(int brokers = 3);
  ~TestKafka();
  TestKafka(const TestKafka&) = delete;
  TestKafka& operator=(const TestKafka&) = delete;

  const std::string& brokers() const { return bootstrap_; }
  void CreateTopic(const std::string& topic, int partitions);
  // All brokers down (connections refused) or up again.
  void SetAllBrokersDown(bool down);
  // The next `count` produce requests fail with `error` (an rd_kafka_resp_err_t).
  void FailNextProduces(int count, int error);

  // Reads `topic` from the beginning until at least `min_count` records were
  // seen and every partition was read to its end, or `timeout` passed; then
  // returns what was read.
  std::vector<Record> ReadTopic(const std::string& topic, size_t min_count,
                                absl::Duration timeout = absl::Seconds(10)) const;
  // Produces one record and waits for its acknowledgement.
  void Produce(const std::string& topic, const std::string& key, const std::string& value,
               const std::map<std::string, std::string>& headers = {});
  // Produces every (key, value) record through one producer and waits until
  // all are acknowledged: a backlog of thousands in about a second.
  void ProduceAll(const std::string& topic,
                  const std::vector<std::pair<std::string, std::string>>& records);

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_TEST_KAFKA_H_
