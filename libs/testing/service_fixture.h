// ServiceFixture: one service wired by the very function its main.cc runs
// (its ServiceSpec, services/<svc>/wiring.h), in-process, for integration
// tests: a fresh PostgreSQL database with the spec's migrations, a pool, an
// in-process Kafka cluster with every topic of store/topics.h and the outbox
// relay, a FakeClock, the gRPC host on 127.0.0.1:0 and a channel to it.
// Configuration comes from a map instead of the environment.
//
// Consumers and periodic jobs are wired but not started, so nothing happens
// behind a test's back: a test delivers an event to a consumer's handler
// (Deliver), starts the real consumer on the test cluster (StartConsumer) or
// runs a job once (RunPeriodic).
//
//   class InvoicingTest : public testing::ServiceFixture {
//     void SetUp() override {
//       StartService(invoicing::Spec(&parts_), {{"ORDER_SERVICE_ADDR", "127.0.0.1:1"}});
//     }
//     invoicing::Parts parts_;
//   };
#ifndef STORE_LIBS_TESTING_SERVICE_FIXTURE_H_
#define STORE_LIBS_TESTING_SERVICE_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/config/env_config.h"
#include "libs/core/clock.h"
#include "libs/events/consumer.h"
#include "libs/events/relay.h"
#include "libs/grpcx/server.h"
#include "libs/pg/pool.h"
#include "libs/service/service_main.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "store/common/v1/event.pb.h"

namespace store::testing {

struct FixtureOptions {
  // An in-process Kafka cluster (every topic, 3 partitions) and the outbox
  // relay publishing to it; off: events stay in the outbox table.
  bool kafka = true;
  int pool_size = 16;
  absl::Duration relay_poll = absl::Milliseconds(200);
};

class ServiceFixture : public ::testing::Test {
 protected:
  ServiceFixture();
  ~ServiceFixture() override;

  // Wires `spec` with `env` as its whole environment and serves it; fails
  // the test (fatally) when the wiring or the configuration fails. Call it
  // from SetUp, then `if (HasFatalFailure()) return;` if more follows.
  void StartService(const ServiceSpec& spec, std::map<std::string, std::string> env = {},
                    FixtureOptions options = {});
  void TearDown() override;

  // A channel to the served service; NewStub(Channel()).
  std::shared_ptr<grpc::Channel> Channel() const { return channel_; }

  // Runs the handler consumer `name` was wired with on `event`, in one
  // transaction, as the consumer would (its hooks included, without the
  // inbox's deduplication).
  absl::Status Deliver(const std::string& name, const common::v1::EventEnvelope& event);
  // The same for `events` in one transaction, as the consumer applies the
  // records it fetched together.
  absl::Status DeliverTogether(const std::string& name,
                               const std::vector<common::v1::EventEnvelope>& events);
  // Starts the real consumer `name` on the test cluster (with the inbox,
  // retries and dead letters); stopped at TearDown.
  void StartConsumer(const std::string& name);
  // Runs the periodic job `name` once, now.
  absl::Status RunPeriodic(const std::string& name);

  void StartRelay();
  void StopRelay();

  // SQL against the service's database, each in its own transaction.
  pqxx::result Sql(const std::string& sql);
  int64_t Count(const std::string& sql);
  // The envelopes in the outbox table of payload type `type` (all when
  // empty), oldest first.
  std::vector<common::v1::EventEnvelope> OutboxEvents(const std::string& type = "");

  FakeClock clock_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<TestKafka> kafka_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<events::OutboxRelay> relay_;
  std::unique_ptr<grpcx::ServerHost> host_;

 private:
  class Runtime;
  FixtureOptions options_;
  std::unique_ptr<Runtime> runtime_;
  std::vector<std::unique_ptr<events::Consumer>> consumers_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_SERVICE_FIXTURE_H_
