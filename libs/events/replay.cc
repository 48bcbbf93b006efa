#include "libs/events/replay.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/core/status.h"
#include "libs/events/kafka.h"

namespace store::events {
namespace {

struct PartsGuard {
  std::vector<RdKafka::TopicPartition*> parts;
  ~PartsGuard() { RdKafka::TopicPartition::destroy(parts); }
};

int Ms(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

// The coordinator's answer to a commit that the group's members would undo.
bool RefusedByTheGroup(RdKafka::ErrorCode code) {
  return code == RdKafka::ERR_UNKNOWN_MEMBER_ID || code == RdKafka::ERR_ILLEGAL_GENERATION ||
         code == RdKafka::ERR_REBALANCE_IN_PROGRESS;
}

// `parts` set to commit each partition's reset_to (replacing what it held).
void CommitList(const std::string& topic, const std::vector<PartitionOffsets>& offsets,
                PartsGuard& parts) {
  RdKafka::TopicPartition::destroy(parts.parts);
  parts.parts.clear();
  for (const PartitionOffsets& o : offsets) {
    parts.parts.push_back(RdKafka::TopicPartition::create(topic, o.partition, o.reset_to));
  }
}

absl::Status Unavailable(absl::string_view what, RdKafka::ErrorCode err) {
  return absl::UnavailableError(absl::StrCat(what, ": ", RdKafka::err2str(err)));
}

// Records whether the group took this client in, and with how many
// partitions (rebalance callbacks run inside consume()).
class JoinWatch : public RdKafka::RebalanceCb {
 public:
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->assign(partitions);
      joined_ = true;
      assigned_ = partitions.size();
    } else {
      consumer->unassign();
      assigned_ = 0;
    }
  }
  bool joined() const { return joined_; }
  size_t assigned() const { return assigned_; }

 private:
  bool joined_ = false;
  size_t assigned_ = 0;
};

// A consumer of `group` that commits only when told; it joins the group
// only if it subscribes.
absl::StatusOr<std::unique_ptr<RdKafka::KafkaConsumer>> GroupClient(const std::string& brokers,
                                                                    const std::string& group,
                                                                    JoinWatch* watch) {
  std::map<std::string, std::string> props = ConsumerProps(brokers, group);
  props["enable.auto.commit"] = "false";
  auto conf = MakeConf(props);
  if (!conf.ok()) return conf.status();
  std::string err;
  if (watch != nullptr && (*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(watch),
                                       err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) return absl::InternalError(err);
  return consumer;
}

// Every partition of `topic`, with its watermarks and the group's committed
// offset.
absl::StatusOr<std::vector<PartitionOffsets>> Read(RdKafka::KafkaConsumer& consumer,
                                                   const std::string& topic,
                                                   absl::Duration timeout) {
  // All topics: asking for one by name would create it where the cluster
  // creates topics on first use.
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode code = consumer.metadata(true, nullptr, &raw, Ms(timeout));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) return Unavailable("metadata", code);
  std::vector<PartitionOffsets> out;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() != topic || t->err() != RdKafka::ERR_NO_ERROR) continue;
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      PartitionOffsets o;
      o.partition = p->id();
      out.push_back(o);
    }
  }
  if (out.empty()) {
    return MakeError(absl::StatusCode::kNotFound, "TOPIC_NOT_FOUND", "topic",
                     absl::StrCat("no topic ", topic, " on the cluster"));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });
  PartsGuard committed;
  for (PartitionOffsets& o : out) {
    code = consumer.query_watermark_offsets(topic, o.partition, &o.low, &o.high, Ms(timeout));
    if (code != RdKafka::ERR_NO_ERROR) return Unavailable("watermarks", code);
    committed.parts.push_back(RdKafka::TopicPartition::create(topic, o.partition));
  }
  code = consumer.committed(committed.parts, Ms(timeout));
  if (code != RdKafka::ERR_NO_ERROR) return Unavailable("committed offsets", code);
  for (size_t i = 0; i < out.size(); ++i) {
    if (committed.parts[i]->err() != RdKafka::ERR_NO_ERROR) {
      return Unavailable(absl::StrCat("committed offset of partition ", out[i].partition),
                         committed.parts[i]->err());
    }
    const int64_t offset = committed.parts[i]->offset();
    out[i].committed = offset >= 0 ? offset : -1;
  }
  return out;
}

// Where `from` puts each partition.
absl::Status Targets(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                     const ReplayFrom& from, absl::Duration timeout,
                     std::vector<PartitionOffsets>& offsets) {
  if (from.kind == ReplayFrom::Kind::kTime) {
    PartsGuard by_time;
    for (const PartitionOffsets& o : offsets) {
      by_time.parts.push_back(
          RdKafka::TopicPartition::create(topic, o.partition, absl::ToUnixMillis(from.time)));
    }
    const RdKafka::ErrorCode code = consumer.offsetsForTimes(by_time.parts, Ms(timeout));
    if (code != RdKafka::ERR_NO_ERROR) return Unavailable("offsets for the time", code);
    for (size_t i = 0; i < offsets.size(); ++i) {
      // -1: no record at or after the time: the end.
      const int64_t offset = by_time.parts[i]->offset();
      offsets[i].reset_to = offset >= 0 ? offset : offsets[i].high;
    }
  }
  for (PartitionOffsets& o : offsets) {
    switch (from.kind) {
      case ReplayFrom::Kind::kBeginning:
        o.reset_to = o.low;
        break;
      case ReplayFrom::Kind::kOffset:
        o.reset_to = from.offset;
        break;
      case ReplayFrom::Kind::kTime:
        break;
    }
    o.reset_to = std::clamp(o.reset_to, o.low, o.high);
  }
  return absl::OkStatus();
}

}  // namespace

int64_t PartitionOffsets::Remaining() const {
  return std::max<int64_t>(0, high - (committed >= 0 ? committed : low));
}

absl::StatusOr<std::vector<PartitionOffsets>> GroupOffsets(const std::string& brokers,
                                                           const std::string& group,
                                                           const std::string& topic,
                                                           absl::Duration timeout) {
  auto consumer = GroupClient(brokers, group, nullptr);
  if (!consumer.ok()) return consumer.status();
  auto out = Read(**consumer, topic, timeout);
  (*consumer)->close();
  return out;
}

absl::StatusOr<std::vector<PartitionOffsets>> ResetGroupOffsets(const std::string& brokers,
                                                                const std::string& group,
                                                                const std::string& topic,
                                                                const ReplayFrom& from,
                                                                absl::Duration timeout) {
  JoinWatch watch;
  auto client = GroupClient(brokers, group, &watch);
  if (!client.ok()) return client.status();
  RdKafka::KafkaConsumer& consumer = **client;
  auto finish = [&consumer](absl::Status status) {
    consumer.close();  // leaves the group
    return status;
  };
  auto offsets = Read(consumer, topic, timeout);
  if (!offsets.ok()) return finish(offsets.status());
  if (absl::Status s = Targets(consumer, topic, from, timeout, *offsets); !s.ok()) return finish(s);

  const absl::Status has_members = MakeError(
      absl::StatusCode::kFailedPrecondition, "GROUP_HAS_MEMBERS", "group",
      absl::StrCat("consumer group ", group,
                   " has live members: stop its service's consumers first (a reset while they "
                   "run would be undone by their next commit)"));
  // 1. Ask the coordinator who is in the group (DescribeGroups); a cluster
  //    that cannot say (the dev broker) goes on to 2.
  const rd_kafka_group_list* groups = nullptr;
  const rd_kafka_resp_err_t listed =
      rd_kafka_list_groups(consumer.c_ptr(), group.c_str(), &groups, Ms(timeout));
  if (listed == RD_KAFKA_RESP_ERR_NO_ERROR && groups != nullptr) {
    int members = 0;
    for (int i = 0; i < groups->group_cnt; ++i) {
      if (group == groups->groups[i].group) members += groups->groups[i].member_cnt;
    }
    rd_kafka_group_list_destroy(groups);
    if (members > 0) return finish(has_members);
  }
  PartsGuard commit;
  CommitList(topic, *offsets, commit);
  // 2. Commit from outside the group, as Kafka's own tools do: the
  //    coordinator accepts it only while the group is empty.
  RdKafka::ErrorCode code = consumer.commitSync(commit.parts);
  if (RefusedByTheGroup(code) && listed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // 3. A coordinator that could not list the group and refuses commits
    //    from outside any group it knows (the dev broker): join and commit
    //    as a member. Alone in the group, this client is given every
    //    partition; fewer means other members hold the rest, and the reset
    //    is refused. (A topic of one partition cannot show it: the one
    //    partition may come to this client with a member beside it. Every
    //    topic of the store has several.)
    code = consumer.subscribe({topic});
    if (code != RdKafka::ERR_NO_ERROR) return finish(Unavailable("joining the group", code));
    const absl::Time deadline = absl::Now() + timeout + absl::Seconds(10);
    while (!watch.joined() && absl::Now() < deadline) {
      std::unique_ptr<RdKafka::Message> discarded(consumer.consume(200));
    }
    if (!watch.joined()) {
      // An empty group takes a new member in within seconds; a rebalance
      // that does not finish waits on the members it already has.
      return finish(MakeError(
          absl::StatusCode::kFailedPrecondition, "GROUP_HAS_MEMBERS", "group",
          absl::StrCat("consumer group ", group,
                       " did not let the reset in (a rebalance waiting on live members): stop "
                       "its service's consumers first")));
    }
    if (watch.assigned() < offsets->size()) return finish(has_members);
    CommitList(topic, *offsets, commit);  // fresh, without the refusal's errors
    code = consumer.commitSync(commit.parts);
  }
  // Refused after all: a member joined since the listing (or the join).
  if (RefusedByTheGroup(code)) return finish(has_members);
  if (code != RdKafka::ERR_NO_ERROR) return finish(Unavailable("offset commit", code));
  for (RdKafka::TopicPartition* tp : commit.parts) {
    if (tp->err() != RdKafka::ERR_NO_ERROR) {
      return finish(
          Unavailable(absl::StrCat("offset commit of partition ", tp->partition()), tp->err()));
    }
  }
  consumer.close();
  return offsets;
}

}  // namespace store::events
