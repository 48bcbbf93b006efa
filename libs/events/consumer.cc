#include "libs/events/consumer.h"

#include <librdkafka/rdkafkacpp.h>
#include <prometheus/gauge.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/core/trace.h"
#include "libs/events/envelope.h"
#include "libs/events/kafka.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/values.h"

namespace store::events {
namespace {

const pg::Statement kInsertInbox(
    "store_inbox_insert",
    "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2::uuid, $3)"
    " ON CONFLICT DO NOTHING");

// A batch's inbox rows in one statement: the (1-based) position of each
// event that was new, the first one where an event id comes twice.
const pg::Statement kInsertInboxMany(
    "store_inbox_insert_many",
    "WITH e AS (SELECT * FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS e(id, topic, n)),"
    " ins AS (INSERT INTO inbox (consumer, event_id, topic)"
    "  SELECT DISTINCT ON (id) $1, id, topic FROM e ORDER BY id, n"
    "  ON CONFLICT DO NOTHING RETURNING event_id)"
    " SELECT min(e.n) FROM e JOIN ins ON ins.event_id = e.id GROUP BY e.id");

bool RetryForever(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kResourceExhausted ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

class SyncDelivery final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    ok = message.err() == RdKafka::ERR_NO_ERROR;
    error = message.errstr();
    done = true;
  }
  bool done = false;
  bool ok = false;
  std::string error;
};

// Produces one record and waits for its delivery report.
absl::Status ProduceSync(RdKafka::Producer& producer, SyncDelivery& delivery,
                         const std::string& topic, RdKafka::Message& original,
                         RdKafka::Headers* headers) {
  delivery.done = false;
  RdKafka::ErrorCode err = producer.produce(
      topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
      const_cast<void*>(original.payload()), original.len(),
      original.key_pointer(), original.key_len(), 0, headers, nullptr);
  if (err != RdKafka::ERR_NO_ERROR) {
    delete headers;
    return absl::UnavailableError(RdKafka::err2str(err));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!delivery.done && absl::Now() < deadline) producer.poll(20);
  if (!delivery.done) return absl::DeadlineExceededError("no delivery report");
  if (!delivery.ok) return absl::UnavailableError(delivery.error);
  return absl::OkStatus();
}

RdKafka::Headers* CopyHeaders(RdKafka::Message& message, bool drop_dlq) {
  RdKafka::Headers* out = RdKafka::Headers::create();
  if (RdKafka::Headers* in = message.headers()) {
    for (const RdKafka::Headers::Header& h : in->get_all()) {
      if (drop_dlq && h.key().rfind("dlq-", 0) == 0) continue;
      out->add(h.key(), h.value(), h.value_size());
    }
  }
  return out;
}

}  // namespace

class Consumer::Impl {
 public:
  Impl(ConsumerOptions options, pg::Pool& pool, Handler handler)
      : options_(std::move(options)), pool_(pool), handler_(std::move(handler)) {}

  absl::Status Start() {
    auto conf = MakeConf(ConsumerProps(options_.brokers, options_.name));
    if (!conf.ok()) return conf.status();
    std::string err;
    consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
    if (!consumer_) return absl::InternalError(absl::StrCat("kafka consumer: ", err));
    auto pconf = MakeConf(ProducerProps(options_.brokers, options_.name + "-dlq"));
    if (!pconf.ok()) return pconf.status();
    (*pconf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&delivery_), err);
    dlq_producer_.reset(RdKafka::Producer::create(pconf->get(), err));
    if (!dlq_producer_) return absl::InternalError(absl::StrCat("kafka producer: ", err));
    // Create every result series at 0 so increase() sees the first one.
    for (const std::string& topic : options_.topics) {
      for (const char* result : {"ok", "duplicate", "retry", "dead_letter"}) {
        metrics::EventsConsumed().Add({{"topic", topic}, {"result", result}});
      }
    }
    if (options_.static_members > 0) {
      STORE_RETURN_IF_ERROR(AssignStatically());
    } else if (RdKafka::ErrorCode code = consumer_->subscribe(options_.topics);
               code != RdKafka::ERR_NO_ERROR) {
      return absl::InternalError(absl::StrCat("subscribe: ", RdKafka::err2str(code)));
    }
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  // Assigns this member's share of every topic's partitions, each from the
  // group's committed offset (else auto.offset.reset).
  absl::Status AssignStatically() {
    std::vector<RdKafka::TopicPartition*> parts;
    for (const std::string& topic : options_.topics) {
      std::string err;
      std::unique_ptr<RdKafka::Topic> handle(
          RdKafka::Topic::create(consumer_.get(), topic, nullptr, err));
      if (!handle) return absl::InternalError(absl::StrCat("topic ", topic, ": ", err));
      RdKafka::Metadata* raw = nullptr;
      const RdKafka::ErrorCode code = consumer_->metadata(false, handle.get(), &raw, 10000);
      std::unique_ptr<RdKafka::Metadata> md(raw);
      if (code == RdKafka::ERR_NO_ERROR && !md->topics()->empty() &&
          md->topics()->front()->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
        log::Warning("topic does not exist yet: nothing to read from it",
                     {{"consumer", options_.name}, {"topic", topic}});
        continue;
      }
      if (code != RdKafka::ERR_NO_ERROR || md->topics()->empty() ||
          md->topics()->front()->err() != RdKafka::ERR_NO_ERROR) {
        RdKafka::TopicPartition::destroy(parts);
        return absl::UnavailableError(
            absl::StrCat("partitions of ", topic, ": ",
                         RdKafka::err2str(code != RdKafka::ERR_NO_ERROR || md->topics()->empty()
                                              ? code
                                              : md->topics()->front()->err())));
      }
      for (const RdKafka::PartitionMetadata* p : *md->topics()->front()->partitions()) {
        if (p->id() % options_.static_members != options_.static_member) continue;
        parts.push_back(
            RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_STORED));
      }
    }
    const RdKafka::ErrorCode code = consumer_->assign(parts);
    RdKafka::TopicPartition::destroy(parts);
    if (code != RdKafka::ERR_NO_ERROR) {
      return absl::InternalError(absl::StrCat("assign: ", RdKafka::err2str(code)));
    }
    return absl::OkStatus();
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    RemoveLagSeries();
    if (consumer_ && !closed_) {
      consumer_->close();
      closed_ = true;
    }
  }

 private:
  void Run() {
    std::vector<std::unique_ptr<RdKafka::Message>> batch;
    absl::Time next_lag = absl::Now();
    while (!stop_) {
      if (absl::Now() >= next_lag) {
        UpdateLag();
        next_lag = absl::Now() + absl::Seconds(1);
      }
      batch.clear();
      // Block for the first record, then take what is already there.
      for (int timeout_ms = 200; batch.size() < static_cast<size_t>(options_.max_batch);
           timeout_ms = 0) {
        std::unique_ptr<RdKafka::Message> msg(consumer_->consume(timeout_ms));
        if (msg->err() == RdKafka::ERR__TIMED_OUT || msg->err() == RdKafka::ERR__PARTITION_EOF) {
          break;
        }
        if (msg->err() != RdKafka::ERR_NO_ERROR) {
          log::Warning("consumer error", {{"consumer", options_.name}, {"error", msg->errstr()}});
          break;
        }
        batch.push_back(std::move(msg));
      }
      if (batch.empty()) continue;
      if (HandleBatch(batch)) {
        for (const auto& msg : batch) StoreOffset(*msg);
        continue;
      }
      // Something in the batch failed: apply the records one by one, with
      // retries and dead letters, so the good ones still go through.
      for (const auto& msg : batch) {
        if (!Handle(*msg)) break;  // stopping: its offset is not stored
        StoreOffset(*msg);
      }
    }
  }

  // consumer_lag_messages{consumer,topic,partition} for each partition
  // assigned to this instance, every second (sampled every 5 s it read 0
  // throughout a catch-up of 6,000 events; every second it peaked at
  // 3,800-4,000), from the watermarks the fetches brought (no broker round
  // trip): the high watermark minus the position (0 until the
  // first fetch after an assignment). A partition that moved to another
  // instance loses its series here; that instance reports it.
  void UpdateLag() {
    std::map<std::pair<std::string, int32_t>, int64_t> lag;
    std::vector<RdKafka::TopicPartition*> parts;
    if (consumer_->assignment(parts) == RdKafka::ERR_NO_ERROR && !parts.empty()) {
      consumer_->position(parts);
      for (RdKafka::TopicPartition* tp : parts) {
        int64_t low = 0, high = 0;
        int64_t n = 0;
        if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) ==
                RdKafka::ERR_NO_ERROR &&
            high >= 0 && tp->offset() >= 0) {
          n = std::max<int64_t>(0, high - tp->offset());
        }
        lag[{tp->topic(), tp->partition()}] = n;
      }
    }
    RdKafka::TopicPartition::destroy(parts);
    for (auto it = lag_gauges_.begin(); it != lag_gauges_.end();) {
      if (lag.count(it->first) == 0) {
        metrics::ConsumerLag().Remove(it->second);
        it = lag_gauges_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [key, n] : lag) {
      prometheus::Gauge*& gauge = lag_gauges_[key];
      if (gauge == nullptr) {
        gauge = &metrics::ConsumerLag().Add({{"consumer", options_.name},
                                             {"topic", key.first},
                                             {"partition", absl::StrCat(key.second)}});
      }
      gauge->Set(static_cast<double>(n));
    }
  }

  void RemoveLagSeries() {
    for (const auto& [key, gauge] : lag_gauges_) metrics::ConsumerLag().Remove(gauge);
    lag_gauges_.clear();
  }

  void StoreOffset(RdKafka::Message& msg) {
    std::vector<RdKafka::TopicPartition*> offsets = {
        RdKafka::TopicPartition::create(msg.topic_name(), msg.partition(), msg.offset() + 1)};
    consumer_->offsets_store(offsets);
    RdKafka::TopicPartition::destroy(offsets);
    std::lock_guard<std::mutex> lock(applied_mu_);
    applied_[{msg.topic_name(), msg.partition()}] = msg.offset() + 1;
  }

 public:
  absl::StatusOr<int64_t> Lag(absl::Duration timeout) {
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    std::vector<RdKafka::TopicPartition*> parts;
    if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR || parts.empty()) {
      RdKafka::TopicPartition::destroy(parts);
      if (options_.static_members > 0) return 0;  // its share is empty
      return absl::UnavailableError(
          absl::StrCat("consumer ", options_.name, " has no partitions assigned yet"));
    }
    std::map<std::pair<std::string, int32_t>, int64_t> applied;
    {
      std::lock_guard<std::mutex> lock(applied_mu_);
      applied = applied_;
    }
    const RdKafka::ErrorCode committed = consumer_->committed(parts, ms);
    // Every partition's first and next offset in two requests per broker
    // (one query per partition would take seconds over many partitions).
    std::vector<RdKafka::TopicPartition*> lows, highs;
    for (RdKafka::TopicPartition* tp : parts) {
      lows.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition(),
                                                     RdKafka::Topic::OFFSET_BEGINNING));
      highs.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition(),
                                                      RdKafka::Topic::OFFSET_END));
    }
    RdKafka::ErrorCode code = consumer_->offsetsForTimes(highs, ms);
    if (code == RdKafka::ERR_NO_ERROR) code = consumer_->offsetsForTimes(lows, ms);
    int64_t lag = 0;
    absl::Status status;
    for (size_t i = 0; i < parts.size() && status.ok(); ++i) {
      RdKafka::TopicPartition* tp = parts[i];
      if (code == RdKafka::ERR_NO_ERROR) code = highs[i]->err();
      if (code == RdKafka::ERR_NO_ERROR) code = lows[i]->err();
      if (code != RdKafka::ERR_NO_ERROR) {
        status = absl::UnavailableError(
            absl::StrCat("watermarks of ", tp->topic(), ": ", RdKafka::err2str(code)));
        break;
      }
      const int64_t low = std::max<int64_t>(0, lows[i]->offset());
      const int64_t high = std::max<int64_t>(0, highs[i]->offset());
      int64_t next = low;
      if (auto it = applied.find({tp->topic(), tp->partition()}); it != applied.end()) {
        next = it->second;
      } else if (committed == RdKafka::ERR_NO_ERROR && tp->offset() >= 0) {
        next = tp->offset();
      }
      lag += std::max<int64_t>(0, high - next);
    }
    RdKafka::TopicPartition::destroy(parts);
    RdKafka::TopicPartition::destroy(lows);
    RdKafka::TopicPartition::destroy(highs);
    if (!status.ok()) return status;
    return lag;
  }

 private:
  // Applies a whole batch in one transaction (one commit for many events).
  // False when any record is not an envelope or any handler fails: nothing of
  // the batch is then applied.
  bool HandleBatch(const std::vector<std::unique_ptr<RdKafka::Message>>& batch) {
    std::vector<common::v1::EventEnvelope> envelopes;
    for (const auto& msg : batch) {
      absl::StatusOr<common::v1::EventEnvelope> env = ParseEnvelope(absl::string_view(
          static_cast<const char*>(msg->payload()), msg->payload() == nullptr ? 0 : msg->len()));
      if (!env.ok()) return false;
      envelopes.push_back(*std::move(env));
    }
    std::vector<std::string> ids, topics;
    for (size_t i = 0; i < batch.size(); ++i) {
      ids.push_back(envelopes[i].event_id());
      topics.push_back(batch[i]->topic_name());
    }
    std::vector<bool> duplicate(batch.size(), true);
    bool applied = false;  // any new event
    absl::Status status = pool_.InTransaction(
        [&](pqxx::work& tx) -> absl::Status {
          // Every inbox row of the batch in one round trip; then the handlers
          // of the events that were new, in the order they came.
          if (options_.hooks.on_begin) options_.hooks.on_begin();
          std::fill(duplicate.begin(), duplicate.end(), true);
          applied = false;
          for (const auto& row : tx.exec_prepared(kInsertInboxMany.name, options_.name,
                                                  pg::TextArray(ids), pg::TextArray(topics))) {
            duplicate[row[0].as<size_t>() - 1] = false;
            applied = true;
          }
          for (size_t i = 0; i < batch.size(); ++i) {
            if (duplicate[i]) continue;
            std::optional<TraceContext> trace = ParseTraceparent(envelopes[i].traceparent());
            ScopedTrace scope(trace.has_value() ? ChildSpan(*trace) : NewTrace());
            STORE_RETURN_IF_ERROR(handler_(tx, envelopes[i]));
          }
          return applied && options_.hooks.before_commit ? options_.hooks.before_commit(tx)
                                                         : absl::OkStatus();
        },
        /*max_attempts=*/1);
    if (!status.ok()) return false;
    if (applied && options_.hooks.after_commit) options_.hooks.after_commit();
    for (size_t i = 0; i < batch.size(); ++i) {
      metrics::EventsConsumed()
          .Add({{"topic", batch[i]->topic_name()}, {"result", duplicate[i] ? "duplicate" : "ok"}})
          .Increment();
    }
    return true;
  }

  // Applies one record; false only when stopping before it was settled.
  bool Handle(RdKafka::Message& msg) {
    const std::string topic = msg.topic_name();
    absl::StatusOr<common::v1::EventEnvelope> envelope = ParseEnvelope(absl::string_view(
        static_cast<const char*>(msg.payload()), msg.payload() == nullptr ? 0 : msg.len()));
    if (!envelope.ok()) return DeadLetter(msg, envelope.status());
    std::optional<TraceContext> trace = ParseTraceparent(envelope->traceparent());
    ScopedTrace scope(trace.has_value() ? ChildSpan(*trace) : NewTrace());

    absl::Duration backoff = options_.initial_backoff;
    for (int attempt = 1; !stop_; ++attempt) {
      bool duplicate = false;
      absl::Status status = pool_.InTransaction([&](pqxx::work& tx) -> absl::Status {
        if (options_.hooks.on_begin) options_.hooks.on_begin();
        pqxx::result r =
            tx.exec_prepared(kInsertInbox.name, options_.name, envelope->event_id(), topic);
        if (r.affected_rows() == 0) {
          duplicate = true;
          return absl::OkStatus();
        }
        STORE_RETURN_IF_ERROR(handler_(tx, *envelope));
        return options_.hooks.before_commit ? options_.hooks.before_commit(tx) : absl::OkStatus();
      });
      if (status.ok()) {
        if (!duplicate && options_.hooks.after_commit) options_.hooks.after_commit();
        metrics::EventsConsumed()
            .Add({{"topic", topic}, {"result", duplicate ? "duplicate" : "ok"}})
            .Increment();
        return true;
      }
      metrics::EventsConsumed().Add({{"topic", topic}, {"result", "retry"}}).Increment();
      const bool permanent = status.code() == absl::StatusCode::kInvalidArgument;
      if (permanent || (!RetryForever(status) && attempt >= options_.max_attempts)) {
        return DeadLetter(msg, status);
      }
      log::Warning("event handling failed, retrying",
                   {{"consumer", options_.name}, {"event_id", envelope->event_id()},
                    {"attempt", absl::StrCat(attempt)}, {"error", status.ToString()}});
      SleepUnlessStopped(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    return false;
  }

  bool DeadLetter(RdKafka::Message& msg, const absl::Status& error) {
    const std::string dlq = DeadLetterTopic(msg.topic_name(), options_.name);
    absl::Duration backoff = options_.initial_backoff;
    while (!stop_) {
      RdKafka::Headers* headers = CopyHeaders(msg, /*drop_dlq=*/true);
      headers->add(std::string(kDlqErrorHeader), std::string(error.message()));
      headers->add(std::string(kDlqTopicHeader), msg.topic_name());
      headers->add(std::string(kDlqPartitionHeader), absl::StrCat(msg.partition()));
      headers->add(std::string(kDlqOffsetHeader), absl::StrCat(msg.offset()));
      headers->add(std::string(kDlqConsumerHeader), options_.name);
      absl::Status s = ProduceSync(*dlq_producer_, delivery_, dlq, msg, headers);
      if (s.ok()) {
        metrics::EventsConsumed()
            .Add({{"topic", msg.topic_name()}, {"result", "dead_letter"}})
            .Increment();
        log::Error("event sent to the dead-letter topic",
                   {{"consumer", options_.name}, {"dlq", dlq},
                    {"offset", absl::StrCat(msg.offset())}, {"error", std::string(error.message())}});
        return true;
      }
      log::Warning("dead-letter produce failed, retrying", {{"error", s.ToString()}});
      SleepUnlessStopped(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    return false;
  }

  void SleepUnlessStopped(absl::Duration d) {
    const absl::Time until = absl::Now() + d;
    while (!stop_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(20));
  }

  ConsumerOptions options_;
  pg::Pool& pool_;
  Handler handler_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Producer> dlq_producer_;
  SyncDelivery delivery_;
  std::atomic<bool> stop_{false};
  bool closed_ = false;
  // The next offset to apply per (topic, partition), once one was applied.
  std::mutex applied_mu_;
  std::map<std::pair<std::string, int32_t>, int64_t> applied_;
  // This instance's consumer_lag_messages series (the consuming thread's,
  // then Stop()'s).
  std::map<std::pair<std::string, int32_t>, prometheus::Gauge*> lag_gauges_;
  std::thread thread_;
};

Consumer::Consumer(ConsumerOptions options, pg::Pool& pool, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), pool, std::move(handler))) {}

Consumer::~Consumer() { Stop(); }

absl::Status Consumer::Start() { return impl_->Start(); }

void Consumer::Stop() { impl_->Stop(); }

absl::StatusOr<int64_t> Consumer::Lag(absl::Duration timeout) { return impl_->Lag(timeout); }

absl::StatusOr<int> RedriveDeadLetters(const std::string& brokers, const std::string& dlq_topic,
                                       int max_messages, absl::Duration idle) {
  auto cconf = MakeConf(ConsumerProps(brokers, dlq_topic + ".redrive"));
  if (!cconf.ok()) return cconf.status();
  std::string err;
  (*cconf)->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(cconf->get(), err));
  if (!consumer) return absl::InternalError(err);
  SyncDelivery delivery;
  auto pconf = MakeConf(ProducerProps(brokers, "redrive"));
  if (!pconf.ok()) return pconf.status();
  (*pconf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&delivery), err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf->get(), err));
  if (!producer) return absl::InternalError(err);
  consumer->subscribe({dlq_topic});
  // The idle clock starts once the group has given this consumer its
  // partitions (joining a group takes a few seconds).
  const absl::Time join_deadline = absl::Now() + absl::Seconds(60);
  bool assigned = false;
  // Each partition's end when the redrive began: only what was dead-lettered
  // by then is copied. A record that fails again lands after it and waits
  // for the next redrive, instead of going round and round.
  std::map<int32_t, int64_t> end;
  absl::Time last = absl::Now();
  int count = 0;
  absl::Status result;
  while (count < max_messages) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (!assigned) {
      std::vector<RdKafka::TopicPartition*> partitions;
      consumer->assignment(partitions);
      assigned = !partitions.empty();
      for (const RdKafka::TopicPartition* tp : partitions) {
        int64_t low = 0, high = 0;
        if (consumer->query_watermark_offsets(dlq_topic, tp->partition(), &low, &high, 5000) !=
            RdKafka::ERR_NO_ERROR) {
          result = absl::UnavailableError(absl::StrCat("could not read the end of ", dlq_topic,
                                                       " partition ", tp->partition()));
        }
        end[tp->partition()] = high;
      }
      RdKafka::TopicPartition::destroy(partitions);
      if (!result.ok()) break;
      last = absl::Now();
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      if (assigned ? absl::Now() - last > idle : absl::Now() > join_deadline) break;
      continue;
    }
    if (auto e = end.find(msg->partition()); e == end.end() || msg->offset() >= e->second) {
      continue;  // dead-lettered after the redrive began
    }
    last = absl::Now();
    const std::string target = HeaderValue(*msg, kDlqTopicHeader);
    if (target.empty()) {
      result = absl::FailedPreconditionError(
          absl::StrCat("record at offset ", msg->offset(), " has no ", kDlqTopicHeader, " header"));
      break;
    }
    result = ProduceSync(*producer, delivery, target, *msg, CopyHeaders(*msg, true));
    if (!result.ok()) break;
    consumer->commitSync(msg.get());
    ++count;
  }
  consumer->close();
  if (!result.ok()) return result;
  return count;
}

}  // namespace store::events
