#include "libs/events/relay.h"

#include <librdkafka/rdkafkacpp.h>

#include <pqxx/pqxx>
#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/log.h"
#include "libs/events/kafka.h"
#include "libs/events/outbox.h"
#include "libs/metrics/metrics.h"

namespace store::events {
namespace {

// Session advisory lock held by the active relay of a database.
constexpr int64_t kRelayLockKey = 0x53544f52454c4159;  // "STORELAY"

class Wakeup final : public pqxx::notification_receiver {
 public:
  Wakeup(pqxx::connection_base& conn, bool* flag)
      : pqxx::notification_receiver(conn, std::string(kOutboxChannel)), flag_(flag) {}
  void operator()(const std::string&, int) override { *flag_ = true; }

 private:
  bool* flag_;
};

std::string PgArray(const absl::flat_hash_set<int64_t>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

}  // namespace

class OutboxRelay::Impl final : public RdKafka::DeliveryReportCb {
 public:
  Impl(RelayOptions options, std::atomic<bool>* broker_healthy, std::atomic<bool>* active)
      : options_(std::move(options)), broker_healthy_(broker_healthy), active_(active) {}

  absl::Status Start() {
    auto conf = MakeConf(ProducerProps(options_.brokers, options_.client_id));
    if (!conf.ok()) return conf.status();
    std::string err;
    (*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), err);
    producer_.reset(RdKafka::Producer::create(conf->get(), err));
    if (!producer_) return absl::InternalError(absl::StrCat("kafka producer: ", err));
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop(absl::Duration flush) {
    flush_ = flush;
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void dr_cb(RdKafka::Message& message) override {
    const int64_t id = reinterpret_cast<intptr_t>(message.msg_opaque());
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      delivered_.push_back(id);
      metrics::EventsPublished().Add({{"topic", message.topic_name()}}).Increment();
    } else if (message.err() == RdKafka::ERR__PURGE_QUEUE ||
               message.err() == RdKafka::ERR__PURGE_INFLIGHT) {
      in_flight_.erase(id);  // purged at shutdown: stays pending, sent after the restart
    } else {
      in_flight_.erase(id);
      metrics::EventsPublishFailures().Add({{"topic", message.topic_name()}}).Increment();
      log::Warning("outbox event delivery failed; it stays pending",
                   {{"outbox_id", absl::StrCat(id)}, {"error", message.errstr()}});
    }
  }

 private:
  void Run() {
    absl::Time next_health = absl::InfinitePast();
    absl::Time next_metrics = absl::InfinitePast();
    absl::Time next_cleanup = absl::Now() + absl::Minutes(1);
    absl::Time next_lock_try = absl::InfinitePast();
    absl::Duration backoff = absl::Milliseconds(200);
    while (!stop_) {
      const absl::Time now = absl::Now();
      if (now >= next_health) {
        broker_healthy_->store(BrokerReachable(*producer_, 1000));
        next_health = now + absl::Seconds(2);
      }
      try {
        if (!conn_ || !conn_->is_open()) Connect();
        if (!leader_) {
          if (now < next_lock_try) {
            producer_->poll(100);
            continue;
          }
          next_lock_try = now + absl::Seconds(2);
          pqxx::nontransaction tx(*conn_);
          leader_ = tx.exec_params1("SELECT pg_try_advisory_lock($1)", kRelayLockKey)[0].as<bool>();
          if (!leader_) continue;
          // Only the active relay listens: a standby that listened would
          // have every commit's notification queued in its connection,
          // unread, for as long as it stands by.
          wakeup_ = std::make_unique<Wakeup>(*conn_, &notified_);
          SetActive(true);
          log::Info("outbox relay active");
        }
        MarkDelivered();
        const int fetched = FetchAndProduce();
        if (now >= next_metrics) {
          UpdateBacklogMetrics();
          next_metrics = now + absl::Seconds(2);
        }
        if (now >= next_cleanup) {
          Cleanup();
          next_cleanup = now + absl::Minutes(1);
        }
        backoff = absl::Milliseconds(200);
        if (fetched < options_.batch_size) Wait();
      } catch (const std::exception& e) {
        log::Warning("outbox relay: database error, retrying", {{"error", e.what()}});
        wakeup_.reset();
        conn_.reset();
        leader_ = false;
        SetActive(false);
        const absl::Time until = absl::Now() + backoff;
        while (!stop_ && absl::Now() < until) producer_->poll(50);
        backoff = std::min(backoff * 2, absl::Seconds(5));
      }
    }
    // Give in-flight deliveries a chance, and record those that made it.
    const absl::Time deadline = absl::Now() + flush_;
    while (!in_flight_.empty() && absl::Now() < deadline) {
      producer_->poll(50);
      if (delivered_.size() == in_flight_.size()) break;
    }
    try {
      if (conn_ && conn_->is_open()) MarkDelivered();
    } catch (const std::exception& e) {
      log::Warning("outbox relay: could not mark the last deliveries; they will be resent",
                   {{"error", e.what()}});
    }
    SetActive(false);
    // Whatever the broker does, the producer is destroyed at once: what it
    // still holds is dropped here and stays pending in the outbox.
    if (const size_t undelivered =
            in_flight_.size() - std::min(in_flight_.size(), delivered_.size());
        undelivered > 0) {
      producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT |
                       RdKafka::Producer::PURGE_NON_BLOCKING);
      producer_->poll(0);
      log::Warning(
          "outbox relay stopped with events not delivered; they stay pending and go "
          "out after the restart",
          {{"events", absl::StrCat(undelivered)}});
    }
  }

  void Connect() {
    wakeup_.reset();
    conn_ = std::make_unique<pqxx::connection>(options_.database_url);
    leader_ = false;
    SetActive(false);
  }

  void SetActive(bool active) {
    active_->store(active);
    metrics::OutboxRelayActive().Set(active ? 1 : 0);
  }

  void MarkDelivered() {
    if (delivered_.empty()) return;
    absl::flat_hash_set<int64_t> ids(delivered_.begin(), delivered_.end());
    pqxx::work tx(*conn_);
    tx.exec_params("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", PgArray(ids));
    tx.commit();
    for (int64_t id : ids) in_flight_.erase(id);
    delivered_.clear();
  }

  int FetchAndProduce() {
    const int room = options_.max_in_flight - static_cast<int>(in_flight_.size());
    if (room <= 0) return 0;
    const int limit = std::min(room, options_.batch_size);
    pqxx::result rows;
    {
      pqxx::nontransaction tx(*conn_);
      rows = tx.exec_params(
          "SELECT id, topic, aggregate_id, event_id::text, event_type, envelope, traceparent"
          " FROM outbox WHERE sent_at IS NULL AND NOT (id = ANY($1::bigint[]))"
          " ORDER BY id LIMIT $2",
          PgArray(in_flight_), limit);
    }
    for (const auto& row : rows) {
      const int64_t id = row[0].as<int64_t>();
      const std::string topic = row[1].as<std::string>();
      const std::string key = row[2].as<std::string>();
      pqxx::binarystring value(row[5]);
      RdKafka::Headers* headers = RdKafka::Headers::create();
      headers->add("event_id", row[3].as<std::string>());
      headers->add("type", row[4].as<std::string>());
      headers->add("traceparent", row[6].as<std::string>());
      RdKafka::ErrorCode err = producer_->produce(
          topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(value.get()), value.size(), key.data(), key.size(), 0, headers,
          reinterpret_cast<void*>(static_cast<intptr_t>(id)));
      if (err != RdKafka::ERR_NO_ERROR) {
        delete headers;
        if (err != RdKafka::ERR__QUEUE_FULL) {
          log::Warning("outbox relay: produce refused", {{"error", RdKafka::err2str(err)}});
        }
        break;
      }
      in_flight_.insert(id);
    }
    producer_->poll(0);
    return static_cast<int>(rows.size());
  }

  // Waits for a notification, a delivery report, or the poll interval. Once
  // there is something to do it lingers a little, so that a burst of commits
  // is fetched, produced and marked in a few round trips instead of one each.
  void Wait() {
    const absl::Time until = absl::Now() + options_.poll_interval;
    absl::Time due = absl::InfiniteFuture();
    notified_ = false;
    while (!stop_) {
      const absl::Time now = absl::Now();
      if (now >= until || now >= due) break;
      if (in_flight_.empty()) {
        const int64_t wait_us = std::clamp<int64_t>(
            absl::ToInt64Microseconds(std::min(until, due) - now), 1, 50'000);
        conn_->await_notification(0, static_cast<long>(wait_us));
      } else {
        producer_->poll(5);
        conn_->get_notifs();
      }
      if ((notified_ || !delivered_.empty()) && due == absl::InfiniteFuture()) {
        due = absl::Now() + options_.linger;
      }
    }
  }

  void UpdateBacklogMetrics() {
    pqxx::nontransaction tx(*conn_);
    pqxx::row r = tx.exec1(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
        " FROM outbox WHERE sent_at IS NULL");
    metrics::OutboxPendingEvents().Set(r[0].as<double>());
    metrics::OutboxOldestPendingAgeSeconds().Set(r[1].as<double>());
  }

  void Cleanup() {
    pqxx::work tx(*conn_);
    tx.exec_params(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at < now() - "
        "make_interval(secs => $1) LIMIT 10000)",
        absl::ToDoubleSeconds(options_.retention));
    tx.commit();
  }

  RelayOptions options_;
  std::atomic<bool>* broker_healthy_;
  std::atomic<bool>* active_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Wakeup> wakeup_;
  bool notified_ = false;
  bool leader_ = false;
  absl::flat_hash_set<int64_t> in_flight_;
  std::vector<int64_t> delivered_;
  std::atomic<bool> stop_{false};
  absl::Duration flush_ = absl::Seconds(5);
  std::thread thread_;
};

OutboxRelay::OutboxRelay(RelayOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), &broker_healthy_, &active_)) {}

OutboxRelay::~OutboxRelay() { Stop(absl::ZeroDuration()); }

absl::Status OutboxRelay::Start() { return impl_->Start(); }

void OutboxRelay::Stop(absl::Duration flush) { impl_->Stop(flush); }

}  // namespace store::events
