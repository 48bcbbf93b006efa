// The outbox relay: publishes rows of the `outbox` table to Kafka.
//
// - One relay per database publishes at a time (a session advisory lock);
//   other replicas stand by (trying the lock every 2 s, not listening) and
//   take over when it goes away.
// - It wakes on NOTIFY store_outbox (sent by AppendToOutbox at commit) and
//   also polls, so nothing waits on a lost notification.
// - The producer is idempotent with acks=all. A row is marked sent only from
//   a successful delivery report; a failed or timed-out delivery leaves it
//   pending, to be sent again. Rows are tracked by id, never by a
//   high-water mark, so a transaction that commits late is not skipped.
// - Consumers deduplicate on event_id, so a resend after a crash between
//   delivery and marking is harmless.
#ifndef STORE_LIBS_EVENTS_RELAY_H_
#define STORE_LIBS_EVENTS_RELAY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace store::events {

struct RelayOptions {
  std::string database_url;
  std::string brokers;
  std::string client_id = "outbox-relay";
  // Fallback poll when no notification arrives.
  absl::Duration poll_interval = absl::Milliseconds(500);
  // After a wake-up, how long to gather more events before fetching.
  absl::Duration linger = absl::Milliseconds(5);
  int batch_size = 500;
  // At most this many events handed to the producer and not yet reported.
  int max_in_flight = 10000;
  // Sent rows are deleted after this long.
  absl::Duration retention = absl::Hours(24);
};

class OutboxRelay {
 public:
  explicit OutboxRelay(RelayOptions options);
  ~OutboxRelay();

  // Starts the relay thread; fails if the producer cannot be created.
  absl::Status Start();
  // Stops, after giving deliveries in flight up to `flush` to complete and
  // marking those that did.
  void Stop(absl::Duration flush = absl::Seconds(5));
  // True when the Kafka cluster answered a metadata request lately.
  bool BrokerHealthy() const { return broker_healthy_.load(); }
  // True while this relay holds the database's relay lock, listens for
  // commits and publishes; false while it stands by (it neither listens nor
  // reads the outbox then).
  bool Active() const { return active_.load(); }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> broker_healthy_{false};
  std::atomic<bool> active_{false};
};

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_RELAY_H_
