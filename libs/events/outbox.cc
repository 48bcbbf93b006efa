#include "libs/events/outbox.h"

#include "libs/pg/values.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

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

namespace {
// Envelopes travel base64-encoded in a text[] (a bytea[] literal would need
// escaping of every byte); PostgreSQL decodes them.
const pg::Statement kInsertOutboxMany(
    "store_outbox_insert_many",
    "WITH outbox_row AS ("
    "  INSERT INTO outbox (event_id, topic, aggregate_id, event_type, envelope, traceparent)"
    "  SELECT e.id, $1, e.key, e.type, decode(e.env, 'base64'), e.tp"
    "  FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])"
    "   AS e(id, key, type, env, tp) RETURNING 1)"
    " SELECT pg_notify('store_outbox', '') FROM (SELECT 1 FROM outbox_row LIMIT 1) n");

}  // namespace

void AppendManyToOutbox(pqxx::transaction_base& tx, absl::string_view topic,
                        const std::vector<common::v1::EventEnvelope>& envelopes) {
  if (envelopes.empty()) return;
  std::vector<std::string> ids, keys, types, envs, tps;
  for (const auto& env : envelopes) {
    ids.push_back(env.event_id());
    keys.push_back(env.aggregate_id());
    types.push_back(env.type());
    envs.push_back(absl::Base64Escape(env.SerializeAsString()));
    tps.push_back(env.traceparent());
  }
  tx.exec_prepared(kInsertOutboxMany.name, std::string(topic), pg::TextArray(ids), pg::TextArray(keys),
                   pg::TextArray(types), pg::TextArray(envs), pg::TextArray(tps));
}

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

namespace {
const pg::Statement kDeleteEvents(
    "outbox_delete_events",
    "DELETE FROM outbox WHERE topic = $1 AND aggregate_id = $2"
    " AND (sent_at IS NOT NULL OR NOT $3::boolean)");
}  // namespace

int64_t DeleteEvents(pqxx::transaction_base& tx, absl::string_view topic,
                     absl::string_view aggregate_id, bool sent_only) {
  return tx.exec_prepared(kDeleteEvents.name, std::string(topic), std::string(aggregate_id),
                          sent_only)
      .affected_rows();
}

}  // namespace store::events
