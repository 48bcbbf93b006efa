#include "libs/events/outbox.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace store::events {

std::string OutboxCte(int first_param, absl::string_view driver) {
  const int p = first_param;
  return absl::StrFormat(
      "outbox_row AS ("
      "  INSERT INTO outbox (event_id, topic, aggregate_id, event_type, envelope, traceparent)"
      "  SELECT $%d::uuid, $%d, $%d, $%d, $%d::bytea, $%d FROM %s RETURNING 1),"
      " outbox_notify AS (SELECT pg_notify('%s', '') FROM outbox_row)",
      p, p + 1, p + 2, p + 3, p + 4, p + 5, driver, kOutboxChannel);
}

namespace {
const std::string& InsertOutboxSql() {
  static const auto* const kSql = new std::string(absl::StrCat(
      "WITH one AS (SELECT 1), ", OutboxCte(1, "one"), " SELECT count(*) FROM outbox_notify"));
  return *kSql;
}
}  // namespace

const pg::Statement kInsertOutbox("store_outbox_insert", InsertOutboxSql().c_str());

OutboxParams::OutboxParams(absl::string_view topic, const common::v1::EventEnvelope& env)
    : event_id(env.event_id()),
      topic(topic),
      aggregate_id(env.aggregate_id()),
      event_type(env.type()),
      envelope(env.SerializeAsString()),
      traceparent(env.traceparent()) {}

void AppendToOutbox(pqxx::transaction_base& tx, absl::string_view topic,
                    const common::v1::EventEnvelope& envelope) {
  const OutboxParams p(topic, envelope);
  tx.exec_prepared(kInsertOutbox.name, p.event_id, p.topic, p.aggregate_id, p.event_type,
                   pqxx::binarystring(p.envelope.data(), p.envelope.size()), p.traceparent);
}

}  // namespace store::events
