// An event consumer for one service: a Kafka consumer group whose handler
// runs inside a database transaction together with an inbox insert.
//
// - At-least-once from Kafka, exactly-once effect in the database: the
//   (consumer, event_id) inbox row commits with the handler's changes, so a
//   redelivered event is skipped.
// - The offset is stored only after that transaction commits, and committed
//   to Kafka in the background and on Stop().
// - Records that arrive together are applied in one transaction (one commit
//   for many events); when one of them fails, the batch is rolled back and
//   its records are applied one by one.
// - A handler error is retried with backoff. Database unavailability is
//   retried until it comes back; other errors up to `max_attempts`, then the
//   record goes to the dead-letter topic "<topic>.<consumer>.dlq" with the
//   error and its origin in headers, and the partition moves on. A record
//   that is not an envelope at all (poison) goes there at once.
#ifndef STORE_LIBS_EVENTS_CONSUMER_H_
#define STORE_LIBS_EVENTS_CONSUMER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "store/common/v1/event.pb.h"

namespace store::events {

using Handler =
    std::function<absl::Status(pqxx::work& tx, const common::v1::EventEnvelope& envelope)>;

// Steps run around each transaction of a consumer, for what is done once
// per transaction rather than once per event.
struct ConsumerHooks {
  // Runs at the start of each transaction attempt, before its handlers:
  // resets what the handlers gather for before_commit, so an attempt that
  // rolled back leaves nothing behind.
  std::function<void()> on_begin = nullptr;
  // Runs in the transaction after its handlers, before it commits: what is
  // cheaper done once per transaction than once per event (e.g. the
  // customer service's segment refresh for every customer the events
  // touched). An error rolls the transaction back like a handler's.
  std::function<absl::Status(pqxx::work& tx)> before_commit = nullptr;
  // Runs on the consumer's thread after it committed: wakes the job that
  // acts on what the handlers stored (e.g. the newsletter's senders),
  // instead of it polling.
  std::function<void()> after_commit = nullptr;
};

struct ConsumerOptions {
  // Names the consumer group, the inbox rows and the dead-letter topics
  // (e.g. "invoicing").
  std::string name;
  std::string brokers;
  std::vector<std::string> topics;
  int max_attempts = 5;
  // Records already fetched are applied together, in one transaction, up to
  // this many; if any of them fails the batch is applied one by one.
  int max_batch = 200;
  // 0: the consumer joins its group and the group shares the partitions out.
  // N > 0: it takes partitions p with p % N == static_member itself, without
  // group membership (the group only keeps its committed offsets), so it
  // reads at once instead of waiting for a group to form: for one-off
  // readers such as a rebuild's replay, never for a service's own consumers
  // (a second replica would read the same partitions).
  int static_members = 0;
  int static_member = 0;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  ConsumerHooks hooks = {};
};

class Consumer {
 public:
  Consumer(ConsumerOptions options, pg::Pool& pool, Handler handler);
  ~Consumer();

  absl::Status Start();
  // Stops consuming, commits stored offsets and leaves the group.
  void Stop();

  // Records on the broker this consumer has not applied yet, over the
  // partitions assigned to it: the high watermark minus the next offset it
  // applied, else the group's committed offset, else the low watermark (a
  // new group reads from the beginning). Asks the broker (up to `timeout`).
  // UNAVAILABLE while the group has not assigned it any partition.
  absl::StatusOr<int64_t> Lag(absl::Duration timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Copies up to `max_messages` records from a dead-letter topic back to their
// original topics (header dlq-original-topic), without the dlq-* headers, and
// commits its progress in group "<dlq_topic>.redrive". Only the records that
// were in the topic when it began: one that fails again is dead-lettered
// after them and waits for the next redrive. Returns how many were
// re-driven; stops when no record arrives for `idle`.
absl::StatusOr<int> RedriveDeadLetters(const std::string& brokers, const std::string& dlq_topic,
                                       int max_messages, absl::Duration idle);

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_CONSUMER_H_
