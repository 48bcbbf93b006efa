// Writing events to the outbox inside the caller's transaction. They reach
// Kafka only if that transaction commits (see relay.h).
#ifndef STORE_LIBS_EVENTS_OUTBOX_H_
#define STORE_LIBS_EVENTS_OUTBOX_H_

#include <pqxx/pqxx>

#include "absl/strings/string_view.h"
#include "libs/pg/pool.h"
#include "store/common/v1/event.pb.h"

namespace store::events {

// The NOTIFY channel the relay listens on.
inline constexpr absl::string_view kOutboxChannel = "store_outbox";

// Inserts `envelope` for `topic` and wakes the relay at commit.
void AppendToOutbox(pqxx::transaction_base& tx, absl::string_view topic,
                    const common::v1::EventEnvelope& envelope);

// The statement AppendToOutbox runs ($1 event_id, $2 topic, $3 aggregate_id,
// $4 event_type, $5 envelope bytes, $6 traceparent). Exposed so the benchmark
// runs the very same SQL.
extern const pg::Statement kInsertOutbox;

}  // namespace store::events

#endif  // STORE_LIBS_EVENTS_OUTBOX_H_
