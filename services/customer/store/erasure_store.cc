#include "services/customer/store/erasure_store.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/pg/pool.h"
#include "services/customer/store/customer_store.h"

namespace store::customer {
namespace {


const pg::Statement kAnonymise(
    "era_anonymise",
    "WITH a AS (DELETE FROM customer_addresses WHERE customer_id = $1::uuid RETURNING 1),"
    " n AS (DELETE FROM customer_notes WHERE customer_id = $1::uuid RETURNING 1),"
    " k AS (DELETE FROM consent_records WHERE customer_id = $1::uuid RETURNING 1),"
    " t AS (DELETE FROM account_tokens WHERE customer_id = $1::uuid RETURNING 1),"
    " m AS (DELETE FROM segment_members WHERE customer_id = $1::uuid RETURNING 1),"
    " o AS (DELETE FROM outbox WHERE aggregate_id = $1::text RETURNING 1),"
    " c AS (UPDATE customers SET email = 'erased+' || id::text || '@invalid', name = '',"
    "  phone = '', country = '', custom = '{}', password_hash = NULL, email_consent = NULL,"
    "  sms_consent = NULL, accepts_marketing = false, email_verified = false, state = 3,"
    "  request_id = NULL, erased_at = $2::timestamptz, version = version + 1,"
    "  updated_at = $2::timestamptz WHERE id = $1::uuid RETURNING 1)"
    " SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM a), (SELECT count(*) FROM n),"
    " (SELECT count(*) FROM k), (SELECT count(*) FROM t), (SELECT count(*) FROM o)");
const pg::Statement kInsert(
    "era_insert",
    "INSERT INTO erasures (id, customer_id, email_sha256, phone_sha256, reason, requested_by,"
    " requested_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7::timestamptz)");
const pg::Statement kInsertStep(
    "era_insert_step",
    "INSERT INTO erasure_steps (erasure_id, service, summary, records, completed_at)"
    " SELECT $1::uuid, $2, $3, $4::bigint, $5::timestamptz WHERE EXISTS"
    " (SELECT 1 FROM erasures WHERE id = $1::uuid) ON CONFLICT DO NOTHING RETURNING 1");
const pg::Statement kLoad(
    "era_load",
    "SELECT customer_id::text, email_sha256, phone_sha256, reason, requested_by,"
    " " STORE_PG_MICROS("requested_at") " FROM erasures WHERE id = $1::uuid");
const pg::Statement kSteps(
    "era_steps",
    "SELECT service, summary, records, " STORE_PG_MICROS("completed_at") " FROM erasure_steps"
    " WHERE erasure_id = $1::uuid ORDER BY completed_at, service");

}  // namespace

std::pair<std::string, int64_t> ErasureStore::Anonymise(pqxx::transaction_base& tx,
                                                        const std::string& customer_id,
                                                        absl::Time now) {
  pqxx::row r = tx.exec_prepared1(kAnonymise.name, customer_id, PgTime(now));
  const int64_t customers = r[0].as<int64_t>(), addresses = r[1].as<int64_t>(),
                notes = r[2].as<int64_t>(), consents = r[3].as<int64_t>(),
                tokens = r[4].as<int64_t>(), events = r[5].as<int64_t>();
  return {absl::StrCat("customer row anonymised; deleted ", addresses, " addresses, ", notes,
                       " notes, ", consents, " consent records, ", tokens, " tokens, ", events,
                       " outbox events"),
          customers + addresses + notes + consents + tokens + events};
}

void ErasureStore::Insert(pqxx::transaction_base& tx, const v1::ErasureRecord& e) {
  tx.exec_prepared(kInsert.name, e.id(), e.customer_id(), e.email_sha256(), e.phone_sha256(),
                   e.reason(), e.requested_by(), PgTime(e.request_time()));
}

bool ErasureStore::InsertStep(pqxx::transaction_base& tx, const std::string& erasure_id,
                              const v1::ErasureStep& s) {
  return !tx.exec_prepared(kInsertStep.name, erasure_id, s.service(), s.summary(), s.records(),
                           PgTime(s.complete_time()))
              .empty();
}

std::optional<v1::ErasureRecord> ErasureStore::Load(pqxx::transaction_base& tx,
                                                    const std::string& id) {
  pqxx::result r = tx.exec_prepared(kLoad.name, id);
  if (r.empty()) return std::nullopt;
  v1::ErasureRecord e;
  e.set_id(id);
  e.set_customer_id(r[0][0].as<std::string>());
  e.set_email_sha256(r[0][1].as<std::string>());
  e.set_phone_sha256(r[0][2].as<std::string>());
  e.set_reason(r[0][3].as<std::string>());
  e.set_requested_by(r[0][4].as<std::string>());
  *e.mutable_request_time() = TimestampFromMicros(r[0][5].as<int64_t>());
  for (const auto& s : tx.exec_prepared(kSteps.name, id)) {
    v1::ErasureStep* step = e.add_steps();
    step->set_service(s[0].as<std::string>());
    step->set_summary(s[1].as<std::string>());
    step->set_records(s[2].as<int64_t>());
    *step->mutable_complete_time() = TimestampFromMicros(s[3].as<int64_t>());
  }
  return e;
}

}  // namespace store::customer
