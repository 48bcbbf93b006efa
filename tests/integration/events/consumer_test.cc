// The event consumer against real PostgreSQL and the Kafka-protocol broker:
// inbox deduplication, retries, dead letters, re-drive, and the outbox relay
// feeding it end to end.
#include "libs/events/consumer.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <atomic>
#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/clock.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/kafka.h"
#include "libs/events/migrations.h"
#include "libs/events/outbox.h"
#include "libs/events/relay.h"
#include "libs/events/replay.h"
#include "libs/metrics/metrics.h"
#include "libs/testing/test_database.h"
#include "libs/testing/test_kafka.h"
#include "libs/testing/wait.h"
#include "store/common/v1/money.pb.h"

namespace store::events {
namespace {

const std::vector<pg::Migration>& TestTables() {
  static const auto* const kMigrations = new std::vector<pg::Migration>{
      {"0001_applied.sql",
       "CREATE TABLE applied (event_id uuid PRIMARY KEY, amount bigint NOT NULL);"}};
  return *kMigrations;
}

constexpr char kTopic[] = "store.test.things.v1";

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create({{"events", &EventsMigrations()}, {"test", &TestTables()}});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    kafka_ = std::make_unique<testing::TestKafka>();
    kafka_->CreateTopic(kTopic, 1);
    pool_ = std::make_unique<pg::Pool>(pg::PoolOptions{.url = db_->url(), .size = 4});
  }

  std::string Envelope(int64_t amount, std::string* event_id = nullptr) {
    common::v1::Money m;
    m.set_amount_minor(amount);
    m.set_currency_code("USD");
    auto env = MakeEnvelope(m, "thing-1", 1, "test", absl::Now());
    if (event_id != nullptr) *event_id = env.event_id();
    return env.SerializeAsString();
  }

  // A handler recording each event; amounts < 0 fail (a permanent bug).
  Handler Recorder() {
    return [this](pqxx::work& tx, const common::v1::EventEnvelope& env) -> absl::Status {
      ++calls_;
      common::v1::Money m;
      if (absl::Status s = UnpackPayload(env, &m); !s.ok()) return s;
      if (m.amount_minor() < 0) {
        ++failing_calls_;
        return absl::InternalError("negative amount");
      }
      tx.exec_params("INSERT INTO applied (event_id, amount) VALUES ($1::uuid, $2)", env.event_id(),
                     m.amount_minor());
      return absl::OkStatus();
    };
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  std::unique_ptr<Consumer> StartConsumer() {
    auto c = std::make_unique<Consumer>(
        ConsumerOptions{.name = "tester", .brokers = kafka_->brokers(), .topics = {kTopic},
                        .max_attempts = 3, .initial_backoff = absl::Milliseconds(10)},
        *pool_, Recorder());
    EXPECT_TRUE(c->Start().ok());
    return c;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<testing::TestKafka> kafka_;
  std::unique_ptr<pg::Pool> pool_;
  std::atomic<int> calls_{0};
  std::atomic<int> failing_calls_{0};
};

TEST_F(ConsumerTest, TheSameEventTwiceIsAppliedOnce) {
  const std::string value = Envelope(42);
  kafka_->Produce(kTopic, "thing-1", value);
  kafka_->Produce(kTopic, "thing-1", value);
  kafka_->Produce(kTopic, "thing-1", Envelope(7));
  auto consumer = StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM inbox") == 2; }));
  ASSERT_TRUE(testing::WaitFor([&] { return calls_.load() == 2; }));
  consumer->Stop();
  // Two calls, not more: the three records came as one batch, whose inbox
  // rows told the repeated event apart at once (a handler failing on the
  // repeat would have rolled the batch back and run it again one by one).
  EXPECT_EQ(calls_.load(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM applied"), 2);
  EXPECT_EQ(Count("SELECT sum(amount) FROM applied"), 49);
  // Offsets were committed: a new consumer in the same group starts after
  // them; an event applied before, delivered again beside a new one, is
  // skipped by the inbox.
  calls_ = 0;
  kafka_->Produce(kTopic, "thing-1", value);
  kafka_->Produce(kTopic, "thing-1", Envelope(1));
  auto again = StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 3; }));
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM inbox") == 3; }));
  again->Stop();
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(Count("SELECT sum(amount) FROM applied"), 50);
}

// before_commit runs in the events' transaction (its writes commit or roll
// back with them); after_commit runs once the events are committed; neither
// runs for a transaction of repeated events only.
TEST_F(ConsumerTest, HooksRunAroundEachTransactionThatAppliedNewEvents) {
  std::atomic<int> before{0}, after{0};
  std::atomic<bool> fail_before{true};
  std::atomic<int64_t> applied_seen_after{-1};
  ConsumerHooks hooks{.before_commit = [&](pqxx::work& tx) -> absl::Status {
                        ++before;
                        // The batch's rows are there already, uncommitted.
                        tx.exec(
                            "INSERT INTO applied (event_id, amount)"
                            " SELECT gen_random_uuid(), -count(*) FROM applied");
                        if (fail_before)
                          return absl::UnavailableError("the before-commit step failed");
                        return absl::OkStatus();
                      },
                      .after_commit =
                          [&] {
                            applied_seen_after =
                                Count("SELECT count(*) FROM applied WHERE amount > 0");
                            ++after;
                          }};
  const std::string value = Envelope(5);
  kafka_->Produce(kTopic, "thing-1", value);
  auto consumer =
      std::make_unique<Consumer>(ConsumerOptions{.name = "tester",
                                                 .brokers = kafka_->brokers(),
                                                 .topics = {kTopic},
                                                 .max_attempts = 3,
                                                 .initial_backoff = absl::Milliseconds(10),
                                                 .hooks = hooks},
                                 *pool_, Recorder());
  ASSERT_TRUE(consumer->Start().ok());
  // A failing before-commit step rolls the event back with it: retried.
  ASSERT_TRUE(testing::WaitFor([&] { return before.load() >= 2; }));
  EXPECT_EQ(Count("SELECT count(*) FROM applied"), 0);
  EXPECT_EQ(after.load(), 0);
  fail_before = false;
  ASSERT_TRUE(testing::WaitFor([&] { return after.load() == 1; }));
  EXPECT_EQ(applied_seen_after.load(), 1);  // committed before after_commit ran
  EXPECT_EQ(Count("SELECT count(*) FROM applied WHERE amount < 0"), 1);
  // A redelivered event alone applies nothing new: no hook runs.
  const int before_now = before.load();
  kafka_->Produce(kTopic, "thing-1", value);
  kafka_->Produce(kTopic, "thing-1", Envelope(6));
  ASSERT_TRUE(testing::WaitFor([&] { return after.load() == 2; }));
  EXPECT_EQ(before.load(), before_now + 1);
  consumer->Stop();
  EXPECT_EQ(Count("SELECT count(*) FROM applied WHERE amount > 0"), 2);
}

TEST_F(ConsumerTest, PoisonAndFailingEventsGoToTheDeadLetterTopicAndThePartitionFlows) {
  kafka_->Produce(kTopic, "thing-1", "this is not an envelope");
  kafka_->Produce(kTopic, "thing-1", Envelope(-1));  // handler fails every time
  kafka_->Produce(kTopic, "thing-1", Envelope(5));
  auto consumer = StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 1; }));
  consumer->Stop();
  const std::string dlq = DeadLetterTopic(kTopic, "tester");
  EXPECT_EQ(dlq, "store.test.things.v1.tester.dlq");
  std::vector<testing::Record> dead = kafka_->ReadTopic(dlq, 2);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].value, "this is not an envelope");
  EXPECT_EQ(dead[0].headers.at("dlq-original-topic"), kTopic);
  EXPECT_EQ(dead[0].headers.at("dlq-original-offset"), "0");
  EXPECT_THAT(dead[0].headers.at("dlq-error"), ::testing::HasSubstr("not a store.common.v1.EventEnvelope"));
  EXPECT_THAT(dead[1].headers.at("dlq-error"), ::testing::HasSubstr("negative amount"));
  EXPECT_EQ(dead[1].headers.at("dlq-consumer"), "tester");
  // The failing event was tried max_attempts (3) times on its own (plus,
  // possibly, once inside a batch that was then rolled back); the good one
  // was applied exactly once.
  EXPECT_GE(failing_calls_.load(), 3);
  EXPECT_LE(failing_calls_.load(), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM applied"), 1);

  // Re-drive puts them back on the original topic, without the dlq headers.
  absl::StatusOr<int> n = RedriveDeadLetters(kafka_->brokers(), dlq, 100, absl::Seconds(3));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  std::vector<testing::Record> all = kafka_->ReadTopic(kTopic, 5);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[3].value, "this is not an envelope");
  EXPECT_EQ(all[3].headers.count("dlq-error"), 0u);
  // A second re-drive finds nothing new.
  n = RedriveDeadLetters(kafka_->brokers(), dlq, 100, absl::Seconds(2));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_F(ConsumerTest, StaticMembersShareThePartitionsWithoutAGroupAndResumeFromTheirOffsets) {
  constexpr char kWide[] = "store.test.wide.v1";
  kafka_->CreateTopic(kWide, 4);
  for (int i = 1; i <= 40; ++i) kafka_->Produce(kWide, absl::StrCat("thing-", i), Envelope(i));
  auto start = [&](int member) {
    auto c = std::make_unique<Consumer>(ConsumerOptions{.name = "replayer",
                                                        .brokers = kafka_->brokers(),
                                                        .topics = {kWide},
                                                        .static_members = 2,
                                                        .static_member = member},
                                        *pool_, Recorder());
    EXPECT_TRUE(c->Start().ok());
    return c;
  };
  const absl::Time started = absl::Now();
  auto first = start(0);
  auto second = start(1);
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 40; }));
  // Reading starts at once: no group to form (a group's first join alone
  // waits 3 s on this broker).
  EXPECT_LT(absl::Now() - started, absl::Seconds(3));
  EXPECT_EQ(Count("SELECT sum(amount) FROM applied"), 820);
  EXPECT_EQ(calls_.load(), 40);
  absl::StatusOr<int64_t> lag0 = first->Lag(absl::Seconds(5));
  absl::StatusOr<int64_t> lag1 = second->Lag(absl::Seconds(5));
  ASSERT_TRUE(lag0.ok() && lag1.ok());
  EXPECT_EQ(*lag0 + *lag1, 0);
  first->Stop();
  second->Stop();

  // The group kept the offsets: new members have nothing left of the 40 and
  // read only what comes after.
  auto again0 = start(0);
  auto again1 = start(1);
  lag0 = again0->Lag(absl::Seconds(5));
  lag1 = again1->Lag(absl::Seconds(5));
  ASSERT_TRUE(lag0.ok() && lag1.ok());
  EXPECT_EQ(*lag0 + *lag1, 0);
  for (int i = 41; i <= 44; ++i) kafka_->Produce(kWide, absl::StrCat("thing-", i), Envelope(i));
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 44; }));
  again0->Stop();
  again1->Stop();
  EXPECT_EQ(calls_.load(), 44);

  // A topic that does not exist gives a static member nothing to read.
  Consumer none(ConsumerOptions{.name = "replayer",
                                .brokers = kafka_->brokers(),
                                .topics = {"store.test.missing.v1"},
                                .static_members = 1},
                *pool_, Recorder());
  ASSERT_TRUE(none.Start().ok());
  absl::StatusOr<int64_t> lag = none.Lag(absl::Seconds(5));
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_EQ(*lag, 0);
}

// consumer_lag_messages{consumer,topic,partition}: one series per partition
// the consumer holds, 0 once it has caught up, gone when it stops (another
// instance reports the partition then).
std::map<std::string, double> LagSeries(const std::string& consumer) {
  std::map<std::string, double> out;
  for (const prometheus::MetricFamily& family : metrics::Registry().Collect()) {
    if (family.name != "consumer_lag_messages") continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const prometheus::ClientMetric::Label& l : m.label) labels[l.name] = l.value;
      if (labels["consumer"] != consumer) continue;
      out[labels["topic"] + "/" + labels["partition"]] = m.gauge.value;
    }
  }
  return out;
}

TEST_F(ConsumerTest, LagIsReportedPerPartitionAndDropsToZero) {
  constexpr char kTwo[] = "store.test.lag.v1";
  kafka_->CreateTopic(kTwo, 2);
  for (int i = 0; i < 6; ++i) kafka_->Produce(kTwo, absl::StrCat("thing-", i), Envelope(i + 1));
  Consumer consumer(
      ConsumerOptions{.name = "lag-tester", .brokers = kafka_->brokers(), .topics = {kTwo}}, *pool_,
      Recorder());
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 6; }));
  // Refreshed every 5 s on the consuming thread.
  const std::map<std::string, double> caught_up = {{std::string(kTwo) + "/0", 0},
                                                   {std::string(kTwo) + "/1", 0}};
  ASSERT_TRUE(
      testing::WaitFor([&] { return LagSeries("lag-tester") == caught_up; }, absl::Seconds(20)))
      << ::testing::PrintToString(LagSeries("lag-tester"));
  consumer.Stop();
  EXPECT_TRUE(LagSeries("lag-tester").empty()) << ::testing::PrintToString(LagSeries("lag-tester"));
}

// Sums of a group's offsets over a topic's partitions.
struct Totals {
  int64_t committed = 0, high = 0, remaining = 0;
};
Totals Sum(const std::vector<PartitionOffsets>& parts) {
  Totals t;
  for (const PartitionOffsets& p : parts) {
    t.committed += std::max<int64_t>(0, p.committed);
    t.high += p.high;
    t.remaining += p.Remaining();
  }
  return t;
}

TEST_F(ConsumerTest, ReplayResetsTheGroupAndTheInboxSkipsWhatWasAppliedButNotWhileItRuns) {
  // Two partitions: on the dev broker a reset tells a live group by getting
  // only part of the partitions when it joins (real clusters answer
  // DescribeGroups), which a one-partition topic cannot show.
  constexpr char kReplayTopic[] = "store.test.replay.v1";
  kafka_->CreateTopic(kReplayTopic, 2);
  for (int i = 1; i <= 6; ++i)
    kafka_->Produce(kReplayTopic, absl::StrCat("thing-", i), Envelope(i));
  auto start = [&] {
    auto c = std::make_unique<Consumer>(
        ConsumerOptions{.name = "replayer", .brokers = kafka_->brokers(), .topics = {kReplayTopic}},
        *pool_, Recorder());
    EXPECT_TRUE(c->Start().ok());
    return c;
  };
  auto offsets = [&] {
    auto now = GroupOffsets(kafka_->brokers(), "replayer", kReplayTopic, absl::Seconds(10));
    EXPECT_TRUE(now.ok()) << now.status();
    return now.ok() ? Sum(*now) : Totals{};
  };
  auto consumer = start();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 6; }));
  consumer->Stop();  // commits and leaves the group
  Totals before = offsets();
  EXPECT_EQ(before.committed, 6);
  EXPECT_EQ(before.high, 6);
  EXPECT_EQ(before.remaining, 0);

  ReplayFrom from_zero;
  from_zero.kind = ReplayFrom::Kind::kOffset;
  from_zero.offset = 0;
  auto reset =
      ResetGroupOffsets(kafka_->brokers(), "replayer", kReplayTopic, from_zero, absl::Seconds(10));
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(Sum(*reset).committed, 6);
  for (const PartitionOffsets& p : *reset) EXPECT_EQ(p.reset_to, 0);
  ReplayFrom later;
  later.kind = ReplayFrom::Kind::kTime;
  later.time = absl::Now() + absl::Hours(1);
  auto to_end =
      ResetGroupOffsets(kafka_->brokers(), "replayer", kReplayTopic, later, absl::Seconds(10));
  ASSERT_TRUE(to_end.ok()) << to_end.status();
  for (const PartitionOffsets& p : *to_end) EXPECT_EQ(p.reset_to, p.high) << "after every record";
  EXPECT_EQ(offsets().remaining, 0);
  auto beginning = ResetGroupOffsets(kafka_->brokers(), "replayer", kReplayTopic, ReplayFrom{},
                                     absl::Seconds(10));
  ASSERT_TRUE(beginning.ok()) << beginning.status();
  Totals after = offsets();
  EXPECT_EQ(after.committed, 0);
  EXPECT_EQ(after.remaining, 6);

  // The service starts again: it reads all six again, the inbox skips them
  // (the handler never sees them), nothing is applied twice, and the group
  // catches up.
  calls_ = 0;
  auto again = start();
  ASSERT_TRUE(testing::WaitFor([&] { return offsets().committed == 6; }, absl::Seconds(30)));
  EXPECT_EQ(Count("SELECT count(*) FROM applied"), 6);
  EXPECT_EQ(Count("SELECT count(*) FROM inbox"), 6);
  EXPECT_EQ(calls_.load(), 0) << "replayed events already applied are skipped before the handler";

  // While it runs, its group has a live member: the reset is refused.
  auto busy = ResetGroupOffsets(kafka_->brokers(), "replayer", kReplayTopic, ReplayFrom{},
                                absl::Seconds(10));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kFailedPrecondition) << busy.status();
  ASSERT_TRUE(GetErrorInfo(busy.status()).has_value()) << busy.status();
  EXPECT_EQ(GetErrorInfo(busy.status())->reason(), "GROUP_HAS_MEMBERS");
  again->Stop();

  auto unknown =
      GroupOffsets(kafka_->brokers(), "replayer", "store.test.nothing.v1", absl::Seconds(5));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
}

TEST_F(ConsumerTest, OutboxToConsumerEndToEnd) {
  // Events written in transactions reach the consumer once each; a rolled
  // back transaction's event never leaves.
  RelayOptions options{.database_url = db_->url(), .brokers = kafka_->brokers()};
  OutboxRelay relay(options);
  ASSERT_TRUE(relay.Start().ok());
  for (int i = 1; i <= 10; ++i) {
    absl::Status s = pool_->InTransaction([&](pqxx::work& tx) -> absl::Status {
      common::v1::Money m;
      m.set_amount_minor(i);
      AppendToOutbox(tx, kTopic, MakeEnvelope(m, "thing-1", i, "test", absl::Now()));
      return i == 5 ? absl::AbortedError("rolled back") : absl::OkStatus();
    });
    EXPECT_EQ(s.ok(), i != 5);
  }
  auto consumer = StartConsumer();
  ASSERT_TRUE(testing::WaitFor([&] { return Count("SELECT count(*) FROM applied") == 9; }));
  consumer->Stop();
  relay.Stop();
  EXPECT_EQ(Count("SELECT sum(amount) FROM applied"), 55 - 5);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), 0);
}

}  // namespace
}  // namespace store::events
