#include "libs/events/outbox.h"

namespace store::events {

const pg::Statement kInsertOutbox(
    "store_outbox_insert",
    "WITH ins AS ("
    "  INSERT INTO outbox (event_id, topic, aggregate_id, event_type, envelope, traceparent)"
    "  VALUES ($1::uuid, $2, $3, $4, $5, $6) RETURNING 1)"
    " SELECT pg_notify('store_outbox', '') FROM ins");

void AppendToOutbox(pqxx::transaction_base& tx, absl::string_view topic,
                    const common::v1::EventEnvelope& envelope) {
  const std::string bytes = envelope.SerializeAsString();
  tx.exec_prepared(kInsertOutbox.name, envelope.event_id(), std::string(topic),
                 envelope.aggregate_id(), envelope.type(),
                 pqxx::binarystring(bytes.data(), bytes.size()), envelope.traceparent());
}

}  // namespace store::events
