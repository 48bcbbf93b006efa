// Replay (OPS-07): moves a consumer group's committed offsets on one topic
// back (or forward), so the group reads those records again when its service
// consumes next. Safe by design: every consumer applies an event at most once
// (the inbox row commits with the handler's changes), so a replayed event
// that was applied before is skipped; one that never was (a record re-driven
// from the dead-letter topic, a service restored from an older backup) is
// applied now. What a replay is for: re-applying events after restoring a
// service's database from a backup, rebuilding a read model from scratch
// (with its inbox emptied), or re-reading a range after a bug fix.
//
// The reset is refused while the group has live members (a running service's
// consumers would undo it with their next commit): stop the service's
// consumers first (scale to 0), reset, start them again. It asks the
// coordinator for the group's members (DescribeGroups) and commits from
// outside the group, as Kafka's own tools do; where the cluster cannot list
// groups and refuses commits from outside a group it knows (the dev broker,
// librdkafka's mock cluster), it joins the group and commits as its only
// member instead (a live group then sees one short rebalance before the
// refusal).
#ifndef STORE_LIBS_EVENTS_REPLAY_H_
#define STORE_LIBS_EVENTS_REPLAY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace store::events {

struct ReplayFrom {
  enum class Kind { kBeginning, kOffset, kTime };
  Kind kind = Kind::kBeginning;
  int64_t offset = 0;  // kOffset: the same offset on every partition
  absl::Time time;     // kTime: the first record at or after it
};

struct PartitionOffsets {
  int32_t partition = 0;
  // The group's committed offset (-1: none), the partition's low and high
  // watermarks, and, for a reset, the offset it was set to.
  int64_t committed = -1;
  int64_t low = 0;
  int64_t high = 0;
  int64_t reset_to = -1;
  // Records the group has yet to read: high minus its committed offset
  // (minus low when it has none).
  int64_t Remaining() const;
};

// Sets group `group`'s committed offsets on every partition of `topic` to
// where `from` says (an offset is clamped into [low, high]; a time after the
// last record gives high). Returns each partition before the reset and where
// it now is. FAILED_PRECONDITION with reason GROUP_HAS_MEMBERS while the group
// has live members; NOT_FOUND for an unknown topic; UNAVAILABLE when the
// cluster does not answer within `timeout`.
absl::StatusOr<std::vector<PartitionOffsets>> ResetGroupOffsets(const std::string& brokers,
                                                                const std::string& group,
                                                                const std::string& topic,
                                                                const ReplayFrom& from,
                                                                absl::Duration timeout);

// The group's committed offsets and the watermarks of every partition of
// `topic`: how far a replay has come.
absl::StatusOr<std::vector<PartitionOffsets>> GroupOffsets(const std::string& brokers,
                                                           const std::string& group,
                                                           const std::string& topic,
                                                           absl::Duration timeout);

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_REPLAY_H_
