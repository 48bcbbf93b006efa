#include "services/customer/store/segment_store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/log.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/pool.h"
#include "services/customer/store/customer_store.h"
#include "store/customer/v1/events.pb.h"
#include "store/topics.h"

namespace store::customer {
namespace {


constexpr char kSegCols[] =
    "id::text, name, description, rule, member_count, " STORE_PG_MICROS("created_at") ", " STORE_PG_MICROS(
        "updated_at") ", " STORE_PG_MICROS("evaluated_at");

const pg::Statement kLoad("seg_load", absl::StrCat(
                                          "SELECT ", kSegCols, " FROM segments WHERE id = $1::uuid"));
const pg::Statement kList("seg_list", absl::StrCat(
                                          "SELECT ", kSegCols, " FROM segments ORDER BY lower(name)"));
const pg::Statement kInsert(
    "seg_insert",
    "INSERT INTO segments (id, name, description, rule, created_at, updated_at)"
    " VALUES ($1::uuid, $2, $3, $4, $5::timestamptz, $5::timestamptz)"
    " ON CONFLICT DO NOTHING RETURNING id");
const pg::Statement kUpdate(
    "seg_update",
    "UPDATE segments SET name = $2, description = $3, rule = $4, updated_at = $5::timestamptz"
    " WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM segments o WHERE lower(o.name) ="
    " lower($2) AND o.id <> $1::uuid) RETURNING id");
const pg::Statement kDelete("seg_delete", "DELETE FROM segments WHERE id = $1::uuid RETURNING id");
const pg::Statement kFields("seg_fields",
                            "SELECT key, type, choices FROM custom_fields ORDER BY key");
const pg::Statement kSetCount(
    "seg_set_count",
    "UPDATE segments SET member_count = (SELECT count(*) FROM segment_members"
    " WHERE segment_id = $1::uuid), evaluated_at = $2::timestamptz WHERE id = $1::uuid");
const pg::Statement kEmails("seg_emails",
                            "SELECT id::text, email FROM customers WHERE id = ANY($1::uuid[])");

v1::Segment Parse(const pqxx::row& r) {
  v1::Segment s;
  s.set_id(r[0].as<std::string>());
  s.set_name(r[1].as<std::string>());
  s.set_description(r[2].as<std::string>());
  s.set_rule(r[3].as<std::string>());
  s.set_member_count(r[4].as<int64_t>());
  *s.mutable_create_time() = TimestampFromMicros(r[5].as<int64_t>());
  *s.mutable_update_time() = TimestampFromMicros(r[6].as<int64_t>());
  if (!r[7].is_null()) *s.mutable_evaluate_time() = TimestampFromMicros(r[7].as<int64_t>());
  return s;
}

std::string UuidArray(const std::vector<std::string>& ids) { return pg::TextArray(ids); }

// Publishes joins and leaves of `segment` for `joined` / `left` ids.
void Publish(pqxx::transaction_base& tx, const v1::Segment& segment,
             const std::vector<std::string>& joined, const std::vector<std::string>& left,
             absl::Time now) {
  std::vector<std::string> all = joined;
  all.insert(all.end(), left.begin(), left.end());
  if (all.empty()) return;
  std::map<std::string, std::string> emails;
  for (const auto& r : tx.exec_prepared(kEmails.name, UuidArray(all))) {
    emails[r[0].as<std::string>()] = r[1].as<std::string>();
  }
  std::vector<common::v1::EventEnvelope> envelopes;
  auto add = [&](const std::string& id, bool join) {
    v1::SegmentMembershipChanged e;
    e.set_segment_id(segment.id());
    e.set_segment_name(segment.name());
    e.set_customer_id(id);
    e.set_email(emails[id]);
    e.set_joined(join);
    envelopes.push_back(events::MakeEnvelope(e, id, 0, kSource, now));
  };
  for (const auto& id : joined) add(id, true);
  for (const auto& id : left) add(id, false);
  events::AppendManyToOutbox(tx, customer::v1::kCustomersTopic, envelopes);
}

}  // namespace

absl::StatusOr<CompiledSegment> SegmentStore::Compile(pqxx::transaction_base& tx,
                                                      absl::string_view currency,
                                                      const std::string& rule, absl::Time now,
                                                      int first_param) {
  SegmentContext ctx;
  ctx.now = now;
  ctx.currency_exponent = CurrencyExponent(currency).value_or(2);
  ctx.first_param = first_param;
  for (const auto& r : tx.exec_prepared(kFields.name)) {
    CustomFieldDef def;
    def.key = r[0].as<std::string>();
    switch (static_cast<v1::CustomFieldType>(r[1].as<int>())) {
      case v1::CUSTOM_FIELD_TYPE_NUMBER: def.type = CustomFieldType::kNumber; break;
      case v1::CUSTOM_FIELD_TYPE_DATE: def.type = CustomFieldType::kDate; break;
      case v1::CUSTOM_FIELD_TYPE_CHOICE: def.type = CustomFieldType::kChoice; break;
      default: def.type = CustomFieldType::kText;
    }
    def.choices = pg::ParseTextArray(r[2]);
    ctx.custom_fields.push_back(std::move(def));
  }
  return CompileSegmentRule(rule, ctx);
}

std::optional<v1::Segment> SegmentStore::Load(pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r = tx.exec_prepared(kLoad.name, id);
  if (r.empty()) return std::nullopt;
  return Parse(r[0]);
}

std::vector<v1::Segment> SegmentStore::List(pqxx::transaction_base& tx) {
  std::vector<v1::Segment> out;
  for (const auto& r : tx.exec_prepared(kList.name)) out.push_back(Parse(r));
  return out;
}

bool SegmentStore::Insert(pqxx::transaction_base& tx, const v1::Segment& s, absl::Time now) {
  return !tx.exec_prepared(kInsert.name, s.id(), s.name(), s.description(), s.rule(), PgTime(now))
              .empty();
}

bool SegmentStore::Update(pqxx::transaction_base& tx, const v1::Segment& s, absl::Time now) {
  return !tx.exec_prepared(kUpdate.name, s.id(), s.name(), s.description(), s.rule(), PgTime(now))
              .empty();
}

bool SegmentStore::Delete(pqxx::transaction_base& tx, const std::string& id) {
  return !tx.exec_prepared(kDelete.name, id).empty();
}

int64_t SegmentStore::Count(pqxx::transaction_base& tx, const CompiledSegment& compiled) {
  const std::string sql = absl::StrCat(
      "SELECT count(*) FROM customers c WHERE c.erased_at IS NULL AND (", compiled.where_sql, ")");
  return tx.exec_params1(sql, pqxx::prepare::make_dynamic_params(compiled.params))[0]
      .as<int64_t>();
}

absl::Status SegmentStore::RefreshFor(pqxx::transaction_base& tx, absl::string_view currency,
                                      const std::vector<std::string>& ids, absl::Time now) {
  if (ids.empty()) return absl::OkStatus();
  for (const v1::Segment& segment : List(tx)) {
    // $1 = segment id, $2 = the customer ids; the rule's parameters follow.
    absl::StatusOr<CompiledSegment> compiled = Compile(tx, currency, segment.rule(), now, 3);
    if (!compiled.ok()) {
      log::Warning("segment rule no longer compiles; membership not refreshed",
                {{"segment_id", segment.id()}, {"error", compiled.status().ToString()}});
      continue;
    }
    std::vector<std::string> params = {segment.id(), UuidArray(ids)};
    params.insert(params.end(), compiled->params.begin(), compiled->params.end());
    const std::string sql = absl::StrCat(
        "WITH now_in AS (SELECT c.id FROM customers c WHERE c.id = ANY($2::uuid[])"
        "  AND c.erased_at IS NULL AND (", compiled->where_sql, ")),"
        " joined AS (INSERT INTO segment_members (segment_id, customer_id)"
        "  SELECT $1::uuid, id FROM now_in ON CONFLICT DO NOTHING RETURNING customer_id),"
        " left_ AS (DELETE FROM segment_members m WHERE m.segment_id = $1::uuid"
        "  AND m.customer_id = ANY($2::uuid[]) AND m.customer_id NOT IN (SELECT id FROM now_in)"
        "  RETURNING customer_id)"
        " SELECT customer_id::text, true FROM joined UNION ALL"
        " SELECT customer_id::text, false FROM left_");
    std::vector<std::string> joined, left;
    for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
      (r[1].as<bool>() ? joined : left).push_back(r[0].as<std::string>());
    }
    if (!joined.empty() || !left.empty()) {
      tx.exec_prepared(kSetCount.name, segment.id(), PgTime(now));
      Publish(tx, segment, joined, left, now);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SegmentStore::RefreshAll(pqxx::transaction_base& tx,
                                                 absl::string_view currency,
                                                 const v1::Segment& segment, absl::Time now,
                                                 bool publish) {
  STORE_ASSIGN_OR_RETURN(CompiledSegment compiled, Compile(tx, currency, segment.rule(), now, 2));
  std::vector<std::string> params = {segment.id()};
  params.insert(params.end(), compiled.params.begin(), compiled.params.end());
  const std::string sql = absl::StrCat(
      "WITH now_in AS (SELECT c.id FROM customers c WHERE c.erased_at IS NULL AND (",
      compiled.where_sql, ")),"
      " joined AS (INSERT INTO segment_members (segment_id, customer_id)"
      "  SELECT $1::uuid, id FROM now_in ON CONFLICT DO NOTHING RETURNING customer_id),"
      " left_ AS (DELETE FROM segment_members m WHERE m.segment_id = $1::uuid"
      "  AND NOT EXISTS (SELECT 1 FROM now_in n WHERE n.id = m.customer_id)"
      "  RETURNING customer_id)"
      " SELECT customer_id::text, true FROM joined UNION ALL"
      " SELECT customer_id::text, false FROM left_");
  std::vector<std::string> joined, left;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    (r[1].as<bool>() ? joined : left).push_back(r[0].as<std::string>());
  }
  tx.exec_prepared(kSetCount.name, segment.id(), PgTime(now));
  if (publish) Publish(tx, segment, joined, left, now);
  return static_cast<int64_t>(joined.size() + left.size());
}

std::vector<std::string> SegmentStore::SegmentsUsingField(pqxx::transaction_base& tx,
                                                          const std::string& key) {
  std::vector<std::string> out;
  for (const v1::Segment& s : List(tx)) {
    absl::StatusOr<std::vector<std::string>> fields = SegmentRuleFields(s.rule());
    if (!fields.ok()) continue;
    for (const auto& f : *fields) {
      if (f == absl::StrCat("custom.", key)) out.push_back(s.name());
    }
  }
  return out;
}

}  // namespace store::customer
