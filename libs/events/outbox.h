// Writing events to the outbox inside the caller's transaction. They reach
// Kafka only if that transaction commits (see relay.h).
#ifndef STORE_LIBS_EVENTS_OUTBOX_H_
#define STORE_LIBS_EVENTS_OUTBOX_H_

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "store/common/v1/event.pb.h"

namespace store::events {

// The NOTIFY channel the relay listens on.
inline constexpr absl::string_view kOutboxChannel = "store_outbox";

// Inserts `envelope` for `topic` and wakes the relay at commit.
void AppendToOutbox(pqxx::transaction_base& tx, absl::string_view topic,
                    const common::v1::EventEnvelope& envelope);

// Inserts many events for `topic` in one statement (bulk operations such as
// imports: one round trip for a batch instead of one per event).
void AppendManyToOutbox(pqxx::transaction_base& tx, absl::string_view topic,
                        const std::vector<common::v1::EventEnvelope>& envelopes);

// Erasure (CUS-13): deletes the events of `aggregate_id` on `topic` from
// the outbox (they carry personal data as it was): only those already
// published with `sent_only` (unsent ones must still reach their readers),
// else all. Returns how many rows went.
int64_t DeleteEvents(pqxx::transaction_base& tx, absl::string_view topic,
                     absl::string_view aggregate_id, bool sent_only);

// The statement AppendToOutbox runs ($1 event_id, $2 topic, $3 aggregate_id,
// $4 event_type, $5 envelope bytes, $6 traceparent).
extern const pg::Statement kInsertOutbox;

// The same insert as common table expressions, for a statement that writes a
// state change and its event in one round trip: inserts one outbox row per
// row of CTE `driver` (none when it is empty), with parameters $first ..
// $first+5 in the order above, and wakes the relay. The statement's final
// SELECT must read from `outbox_notify` (an unread SELECT CTE never runs).
std::string OutboxCte(int first_param, absl::string_view driver);

// The parameters of both, in order.
struct OutboxParams {
  explicit OutboxParams(absl::string_view topic, const common::v1::EventEnvelope& envelope);
  std::string event_id;
  std::string topic;
  std::string aggregate_id;
  std::string event_type;
  std::string envelope;  // bytes
  std::string traceparent;
};

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_OUTBOX_H_
