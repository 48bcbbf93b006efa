#include "services/customer/store/customer_store.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/core/log.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/pg/pool.h"
#include "store/topics.h"

namespace store::customer {

using google::protobuf::util::TimeUtil;

void PublishCustomerEvent(pqxx::transaction_base& tx, const google::protobuf::Message& payload,
                          const std::string& customer_id, int64_t version, absl::Time now) {
  events::AppendToOutbox(tx, customer::v1::kCustomersTopic,
                         events::MakeEnvelope(payload, customer_id, version, kSource, now));
}

namespace {

constexpr char kCols[] =
    "c.id::text, c.email, c.name, c.phone, c.country, coalesce(c.group_id::text, ''),"
    " c.tax_exempt, c.email_consent, c.sms_consent, c.email_verified, c.state, c.blocked,"
    " c.custom::text, c.guest, c.password_hash IS NOT NULL, c.orders_count, c.total_spent,"
    " " STORE_PG_MICROS("c.first_order_at") ", " STORE_PG_MICROS("c.last_order_at") ", c.wallet_balance,"
    " " STORE_PG_MICROS("c.created_at") ", " STORE_PG_MICROS("c.updated_at") ", c.version";

std::string CustomJson(const google::protobuf::Map<std::string, std::string>& values) {
  google::protobuf::Struct s;
  for (const auto& [k, v] : values) (*s.mutable_fields())[k].set_string_value(v);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(s, &json);
  return json;
}

v1::Customer ParseCustomer(const pqxx::row& r, absl::string_view currency) {
  v1::Customer c;
  c.set_id(r[0].as<std::string>());
  c.set_email(r[1].as<std::string>());
  c.set_name(r[2].as<std::string>());
  c.set_phone(r[3].as<std::string>());
  c.set_country_code(r[4].as<std::string>());
  c.set_group_id(r[5].as<std::string>());
  c.set_tax_exempt(r[6].as<bool>());
  if (!r[7].is_null()) c.mutable_email_marketing()->ParseFromString(FromBytes(r[7]));
  if (!r[8].is_null()) c.mutable_sms_marketing()->ParseFromString(FromBytes(r[8]));
  c.set_email_verified(r[9].as<bool>());
  c.set_state(static_cast<v1::AccountState>(r[10].as<int>()));
  c.set_blocked(r[11].as<bool>());
  // Most customers have no custom values: skip the JSON parser for "{}"
  // (bulk loads such as the import's events parse thousands of rows).
  const std::string custom_json = r[12].as<std::string>();
  google::protobuf::Struct custom;
  if (custom_json != "{}" &&
      google::protobuf::util::JsonStringToMessage(custom_json, &custom).ok()) {
    for (const auto& [k, v] : custom.fields()) (*c.mutable_custom_fields())[k] = v.string_value();
  }
  c.set_guest(r[13].as<bool>());
  c.set_has_account(r[14].as<bool>());
  auto* facts = c.mutable_facts();
  facts->set_orders_count(r[15].as<int64_t>());
  facts->mutable_total_spent()->set_amount_minor(r[16].as<int64_t>());
  facts->mutable_total_spent()->set_currency_code(std::string(currency));
  if (!r[17].is_null()) *facts->mutable_first_order_time() = TimestampFromMicros(r[17].as<int64_t>());
  if (!r[18].is_null()) *facts->mutable_last_order_time() = TimestampFromMicros(r[18].as<int64_t>());
  c.mutable_wallet_balance()->set_amount_minor(r[19].as<int64_t>());
  c.mutable_wallet_balance()->set_currency_code(std::string(currency));
  *c.mutable_create_time() = TimestampFromMicros(r[20].as<int64_t>());
  *c.mutable_update_time() = TimestampFromMicros(r[21].as<int64_t>());
  c.set_version(r[22].as<int64_t>());
  return c;
}

const pg::Statement kLoad("cus_load", absl::StrCat("SELECT ", kCols,
                                                       " FROM customers c WHERE c.id = $1::uuid"));
const pg::Statement kLoadForUpdate(
    "cus_load_for_update",
    absl::StrCat("SELECT ", kCols, " FROM customers c WHERE c.id = $1::uuid FOR UPDATE"));
const pg::Statement kLoadByEmail(
    "cus_load_by_email",
    absl::StrCat("SELECT ", kCols, " FROM customers c WHERE c.email = $1"));
const pg::Statement kLoadByEmailForUpdate(
    "cus_load_by_email_for_update",
    absl::StrCat("SELECT ", kCols, " FROM customers c WHERE c.email = $1 FOR UPDATE"));
const pg::Statement kLoadByRequest(
    "cus_load_by_request",
    absl::StrCat("SELECT ", kCols, " FROM customers c WHERE c.request_id = $1::uuid"));
const pg::Statement kLoadMany(
    "cus_load_many",
    absl::StrCat("SELECT ", kCols, " FROM customers c WHERE c.id = ANY($1::uuid[])"));
const pg::Statement kPasswordHash("cus_password_hash",
                                  "SELECT coalesce(password_hash, '') FROM customers"
                                  " WHERE id = $1::uuid");
const pg::Statement kInsert(
    "cus_insert",
    "INSERT INTO customers (id, request_id, email, name, phone, country, group_id, tax_exempt,"
    " blocked, state, custom, guest, email_verified, password_hash, created_at, updated_at)"
    " VALUES ($1::uuid, NULLIF($2, '')::uuid, $3, $4, $5, $6, NULLIF($7, '')::uuid, $8::boolean,"
    " $9::boolean, $10::smallint, $11::jsonb, $12::boolean, $13::boolean, NULLIF($14, ''),"
    " $15::timestamptz, $15::timestamptz)"
    " ON CONFLICT (email) DO NOTHING RETURNING id");
const pg::Statement kUpdateProfile(
    "cus_update_profile",
    "UPDATE customers SET email = $2, name = $3, phone = $4, country = $5,"
    " group_id = NULLIF($6, '')::uuid, tax_exempt = $7::boolean, blocked = $8::boolean,"
    " state = $9::smallint, custom = $10::jsonb, guest = $11::boolean,"
    " email_verified = $12::boolean, version = version + 1, updated_at = $13::timestamptz"
    " WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.email = $2"
    "  AND o.id <> $1::uuid) RETURNING version");
const pg::Statement kTouch("cus_touch",
                           "UPDATE customers SET version = version + 1,"
                           " updated_at = $2::timestamptz WHERE id = $1::uuid RETURNING version");
const pg::Statement kSetPassword("cus_set_password",
                                 "UPDATE customers SET password_hash = $2 WHERE id = $1::uuid");
const pg::Statement kSetEmailConsent(
    "cus_set_email_consent",
    "UPDATE customers SET email_consent = $2, accepts_marketing = $3::boolean"
    " WHERE id = $1::uuid");
const pg::Statement kSetSmsConsent("cus_set_sms_consent",
                                   "UPDATE customers SET sms_consent = $2 WHERE id = $1::uuid");
const pg::Statement kDelete("cus_delete", "DELETE FROM customers WHERE id = $1::uuid RETURNING id");

const pg::Statement kListAddresses(
    "cus_list_addresses",
    "SELECT id::text, address, default_shipping, default_billing FROM customer_addresses"
    " WHERE customer_id = $1::uuid ORDER BY position, id");
const pg::Statement kInsertAddress(
    "cus_insert_address",
    "INSERT INTO customer_addresses (id, customer_id, address, default_shipping,"
    " default_billing, position, created_at)"
    " SELECT $1::uuid, $2::uuid, $3, $4::boolean, $5::boolean,"
    " coalesce(max(position), 0) + 1, $6::timestamptz FROM customer_addresses"
    " WHERE customer_id = $2::uuid");
const pg::Statement kUpdateAddress(
    "cus_update_address",
    "UPDATE customer_addresses SET address = $3, default_shipping = $4::boolean,"
    " default_billing = $5::boolean WHERE id = $2::uuid AND customer_id = $1::uuid RETURNING id");
const pg::Statement kDeleteAddress(
    "cus_delete_address",
    "DELETE FROM customer_addresses WHERE id = $2::uuid AND customer_id = $1::uuid RETURNING id");
const pg::Statement kClearDefaults(
    "cus_clear_defaults",
    "UPDATE customer_addresses SET"
    " default_shipping = CASE WHEN $3::boolean THEN false ELSE default_shipping END,"
    " default_billing = CASE WHEN $4::boolean THEN false ELSE default_billing END"
    " WHERE customer_id = $1::uuid AND id <> $2::uuid");

const pg::Statement kInsertNote(
    "cus_insert_note",
    "INSERT INTO customer_notes (id, customer_id, body, author, created_at)"
    " VALUES ($1::uuid, $2::uuid, $3, $4, $5::timestamptz)");
const pg::Statement kListNotes(
    "cus_list_notes",
    "SELECT id::text, body, author, " STORE_PG_MICROS("created_at") " FROM customer_notes"
    " WHERE customer_id = $1::uuid ORDER BY created_at, id");

const pg::Statement kInsertConsent(
    "cus_insert_consent",
    "INSERT INTO consent_records (id, customer_id, channel, granted, level, source,"
    " wording_version, ip, actor, created_at) VALUES ($1::uuid, $2::uuid, $3::smallint,"
    " $4::boolean, $5::smallint, $6, $7, $8, $9, $10::timestamptz)");
const pg::Statement kListConsents(
    "cus_list_consents",
    "SELECT id::text, channel, granted, level, source, wording_version, ip, actor,"
    " " STORE_PG_MICROS("created_at") " FROM consent_records WHERE customer_id = $1::uuid"
    " ORDER BY seq DESC");

const pg::Statement kInsertToken(
    "cus_insert_token",
    "INSERT INTO account_tokens (token_hash, customer_id, purpose, expires_at, created_at)"
    " VALUES ($1, $2::uuid, $3, $4::timestamptz, $5::timestamptz)");
const pg::Statement kConsumeToken(
    "cus_consume_token",
    "UPDATE account_tokens SET used_at = $3::timestamptz WHERE token_hash = $1 AND purpose = $2"
    " AND used_at IS NULL AND expires_at > $3::timestamptz RETURNING customer_id::text");

const pg::Statement kLoadSettings(
    "cus_load_settings",
    "SELECT require_approval, coalesce(default_group_id::text, '') FROM customer_settings");
const pg::Statement kSaveSettings(
    "cus_save_settings",
    "UPDATE customer_settings SET require_approval = $1::boolean,"
    " default_group_id = NULLIF($2, '')::uuid");

constexpr char kGroupCols[] =
    "g.id::text, g.name, g.discount_bp, g.built_in IS NOT NULL,"
    " (SELECT count(*) FROM customers c WHERE c.group_id = g.id)";
const pg::Statement kLoadGroup(
    "cus_load_group",
    absl::StrCat("SELECT ", kGroupCols, " FROM customer_groups g WHERE g.id = $1::uuid"));
const pg::Statement kListGroups(
    "cus_list_groups",
    absl::StrCat("SELECT ", kGroupCols, " FROM customer_groups g ORDER BY lower(g.name)"));
const pg::Statement kInsertGroup(
    "cus_insert_group",
    "INSERT INTO customer_groups (id, name, discount_bp) VALUES ($1::uuid, $2, $3::int)"
    " ON CONFLICT DO NOTHING RETURNING id");
const pg::Statement kUpdateGroup(
    "cus_update_group",
    "UPDATE customer_groups SET name = $2, discount_bp = $3::int WHERE id = $1::uuid"
    " AND NOT EXISTS (SELECT 1 FROM customer_groups o WHERE lower(o.name) = lower($2)"
    " AND o.id <> $1::uuid) RETURNING id");
const pg::Statement kDeleteGroup(
    "cus_delete_group",
    "WITH moved AS (UPDATE customers SET group_id = (SELECT id FROM customer_groups"
    "  WHERE built_in = 'default') WHERE group_id = $1::uuid)"
    " DELETE FROM customer_groups WHERE id = $1::uuid AND built_in IS NULL RETURNING id");
const pg::Statement kAssignGroup(
    "cus_assign_group",
    "UPDATE customers SET group_id = $1::uuid, version = version + 1,"
    " updated_at = $3::timestamptz WHERE id = ANY($2::uuid[]) RETURNING id::text");
// One row per check, in order: the customer (by id, else by email), the
// first blacklist entry matching the given or the customer's email or phone,
// and the group (the customer's, else the fallback).
const pg::Statement kCheckouts(
    "cus_checkouts",
    "SELECT c.id IS NOT NULL, c.erased_at IS NOT NULL, coalesce(c.blocked, false),"
    " coalesce(c.state, 0), b.hit IS NOT NULL, b.reason, g.name, g.discount_bp, g.id::text"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY"
    "  AS q(customer_id, email, phone, fallback, n)"
    " LEFT JOIN LATERAL (SELECT id, email, phone, blocked, state, group_id, erased_at"
    "  FROM customers WHERE (q.customer_id <> '' AND id = NULLIF(q.customer_id, '')::uuid)"
    "  OR (q.customer_id = '' AND q.email <> '' AND email = q.email) LIMIT 1) c ON true"
    " LEFT JOIN LATERAL (SELECT true AS hit, reason FROM blacklist"
    "  WHERE (q.email <> '' AND email = q.email) OR (q.phone <> '' AND phone = q.phone)"
    "  OR (c.email <> '' AND email = c.email) OR (c.phone <> '' AND phone = c.phone)"
    "  ORDER BY created_at LIMIT 1) b ON true"
    " LEFT JOIN customer_groups g ON g.id = coalesce(c.group_id, q.fallback::uuid)"
    " ORDER BY q.n");
const pg::Statement kGroupDiscount(
    "cus_group_discount", "SELECT name, discount_bp FROM customer_groups WHERE id = $1::uuid");

const pg::Statement kListFields(
    "cus_list_fields", "SELECT key, label, type, choices, max_length FROM custom_fields ORDER BY key");
const pg::Statement kUpsertField(
    "cus_upsert_field",
    "INSERT INTO custom_fields (key, label, type, choices, max_length)"
    " VALUES ($1, $2, $3::smallint, $4::text[], $5::int) ON CONFLICT (key) DO UPDATE"
    " SET label = EXCLUDED.label, choices = EXCLUDED.choices, max_length = EXCLUDED.max_length");
const pg::Statement kDeleteField(
    "cus_delete_field",
    "WITH f AS (DELETE FROM custom_fields WHERE key = $1 RETURNING key),"
    " c AS (UPDATE customers SET custom = custom - $1 WHERE custom ? $1)"
    " SELECT count(*) FROM f");

const pg::Statement kInsertBlacklist(
    "cus_insert_blacklist",
    "INSERT INTO blacklist (id, phone, email, reason, created_by, created_at)"
    " VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz)");
const pg::Statement kDeleteBlacklist("cus_delete_blacklist",
                                     "DELETE FROM blacklist WHERE id = $1::uuid RETURNING id");
constexpr char kBlacklistCols[] =
    "id::text, phone, email, reason, created_by, " STORE_PG_MICROS("created_at");
const pg::Statement kUpdateBlacklist(
    "cus_update_blacklist",
    absl::StrCat("UPDATE blacklist SET phone = $2, email = $3, reason = $4 WHERE id = $1::uuid"
                 " RETURNING ", kBlacklistCols));
const pg::Statement kFindBlacklisted(
    "cus_find_blacklisted",
    absl::StrCat("SELECT ", kBlacklistCols, " FROM blacklist WHERE ($1 <> '' AND email = $1)"
                     " OR ($2 <> '' AND phone = $2) ORDER BY created_at LIMIT 1"));

v1::BlacklistEntry ParseBlacklist(const pqxx::row& r) {
  v1::BlacklistEntry e;
  e.set_id(r[0].as<std::string>());
  e.set_phone(r[1].as<std::string>());
  e.set_email(r[2].as<std::string>());
  e.set_reason(r[3].as<std::string>());
  e.set_created_by(r[4].as<std::string>());
  *e.mutable_create_time() = TimestampFromMicros(r[5].as<int64_t>());
  return e;
}

v1::CustomerGroup ParseGroup(const pqxx::row& r) {
  v1::CustomerGroup g;
  g.set_id(r[0].as<std::string>());
  g.set_name(r[1].as<std::string>());
  g.set_discount_bp(r[2].as<int>());
  g.set_built_in(r[3].as<bool>());
  g.set_member_count(r[4].as<int64_t>());
  return g;
}

std::optional<v1::Customer> One(pqxx::transaction_base& tx, absl::string_view currency,
                                const pqxx::result& r, bool with_addresses) {
  if (r.empty()) return std::nullopt;
  v1::Customer c = ParseCustomer(r[0], currency);
  if (with_addresses) {
    for (auto& a : CustomerStore::ListAddresses(tx, c.id())) *c.add_addresses() = std::move(a);
  }
  return c;
}

}  // namespace

std::optional<v1::Customer> CustomerStore::Load(pqxx::transaction_base& tx,
                                                absl::string_view currency, const std::string& id,
                                                bool for_update, bool with_addresses) {
  return One(tx, currency, tx.exec_prepared(for_update ? kLoadForUpdate.name : kLoad.name, id),
             with_addresses);
}

std::optional<v1::Customer> CustomerStore::LoadByEmail(pqxx::transaction_base& tx,
                                                       absl::string_view currency,
                                                       const std::string& email, bool for_update,
                                                       bool with_addresses) {
  return One(tx, currency,
             tx.exec_prepared(for_update ? kLoadByEmailForUpdate.name : kLoadByEmail.name, email),
             with_addresses);
}

std::optional<v1::Customer> CustomerStore::LoadByRequestId(pqxx::transaction_base& tx,
                                                           absl::string_view currency,
                                                           const std::string& request_id) {
  return One(tx, currency, tx.exec_prepared(kLoadByRequest.name, request_id), true);
}

std::vector<v1::Customer> CustomerStore::LoadMany(pqxx::transaction_base& tx,
                                                  absl::string_view currency,
                                                  const std::vector<std::string>& ids) {
  std::vector<v1::Customer> out;
  for (const auto& r :
       tx.exec_prepared(kLoadMany.name, absl::StrCat("{", absl::StrJoin(ids, ","), "}"))) {
    out.push_back(ParseCustomer(r, currency));
  }
  return out;
}

std::string CustomerStore::PasswordHash(pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r = tx.exec_prepared(kPasswordHash.name, id);
  return r.empty() ? "" : r[0][0].as<std::string>();
}

bool CustomerStore::Insert(pqxx::transaction_base& tx, const std::string& id, const NewCustomer& n,
                           absl::Time now) {
  const v1::Customer& c = n.customer;
  return !tx.exec_prepared(kInsert.name, id, n.request_id, c.email(), c.name(), c.phone(),
                           c.country_code(), c.group_id(), c.tax_exempt(), c.blocked(),
                           static_cast<int>(c.state()), CustomJson(c.custom_fields()), c.guest(),
                           c.email_verified(), n.password_hash, PgTime(now))
              .empty();
}

bool CustomerStore::UpdateProfile(pqxx::transaction_base& tx, const v1::Customer& c,
                                  absl::Time now) {
  return !tx.exec_prepared(kUpdateProfile.name, c.id(), c.email(), c.name(), c.phone(),
                           c.country_code(), c.group_id(), c.tax_exempt(), c.blocked(),
                           static_cast<int>(c.state()), CustomJson(c.custom_fields()), c.guest(),
                           c.email_verified(), PgTime(now))
              .empty();
}

int64_t CustomerStore::Touch(pqxx::transaction_base& tx, const std::string& id, absl::Time now) {
  pqxx::result r = tx.exec_prepared(kTouch.name, id, PgTime(now));
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

void CustomerStore::SetPasswordHash(pqxx::transaction_base& tx, const std::string& id,
                                    const std::string& hash) {
  tx.exec_prepared(kSetPassword.name, id, hash);
}

void CustomerStore::SetConsentState(pqxx::transaction_base& tx, const std::string& id,
                                    v1::ConsentChannel channel, const v1::ConsentState& state) {
  const std::string bytes = state.SerializeAsString();
  if (channel == v1::CONSENT_CHANNEL_EMAIL) {
    tx.exec_prepared(kSetEmailConsent.name, id, Bytes(bytes), state.granted());
  } else {
    tx.exec_prepared(kSetSmsConsent.name, id, Bytes(bytes));
  }
}

bool CustomerStore::Delete(pqxx::transaction_base& tx, const std::string& id) {
  return !tx.exec_prepared(kDelete.name, id).empty();
}

std::vector<v1::CustomerAddress> CustomerStore::ListAddresses(pqxx::transaction_base& tx,
                                                              const std::string& customer_id) {
  std::vector<v1::CustomerAddress> out;
  for (const auto& r : tx.exec_prepared(kListAddresses.name, customer_id)) {
    v1::CustomerAddress a;
    a.set_id(r[0].as<std::string>());
    a.mutable_address()->ParseFromString(FromBytes(r[1]));
    a.set_default_shipping(r[2].as<bool>());
    a.set_default_billing(r[3].as<bool>());
    out.push_back(std::move(a));
  }
  return out;
}

void CustomerStore::InsertAddress(pqxx::transaction_base& tx, const std::string& customer_id,
                                  const v1::CustomerAddress& a, absl::Time now) {
  tx.exec_prepared(kInsertAddress.name, a.id(), customer_id, Bytes(a.address().SerializeAsString()),
                   a.default_shipping(), a.default_billing(), PgTime(now));
}

bool CustomerStore::UpdateAddress(pqxx::transaction_base& tx, const std::string& customer_id,
                                  const v1::CustomerAddress& a) {
  return !tx.exec_prepared(kUpdateAddress.name, customer_id, a.id(),
                           Bytes(a.address().SerializeAsString()), a.default_shipping(),
                           a.default_billing())
              .empty();
}

bool CustomerStore::DeleteAddress(pqxx::transaction_base& tx, const std::string& customer_id,
                                  const std::string& address_id) {
  return !tx.exec_prepared(kDeleteAddress.name, customer_id, address_id).empty();
}

void CustomerStore::ClearDefaults(pqxx::transaction_base& tx, const std::string& customer_id,
                                  const std::string& keep_id, bool shipping, bool billing) {
  if (!shipping && !billing) return;
  tx.exec_prepared(kClearDefaults.name, customer_id, keep_id, shipping, billing);
}

void CustomerStore::InsertNote(pqxx::transaction_base& tx, const v1::CustomerNote& n) {
  tx.exec_prepared(kInsertNote.name, n.id(), n.customer_id(), n.body(), n.author(),
                   PgTime(n.create_time()));
}

std::vector<v1::CustomerNote> CustomerStore::ListNotes(pqxx::transaction_base& tx,
                                                       const std::string& customer_id) {
  std::vector<v1::CustomerNote> out;
  for (const auto& r : tx.exec_prepared(kListNotes.name, customer_id)) {
    v1::CustomerNote n;
    n.set_id(r[0].as<std::string>());
    n.set_customer_id(customer_id);
    n.set_body(r[1].as<std::string>());
    n.set_author(r[2].as<std::string>());
    *n.mutable_create_time() = TimestampFromMicros(r[3].as<int64_t>());
    out.push_back(std::move(n));
  }
  return out;
}

void CustomerStore::InsertConsent(pqxx::transaction_base& tx, const v1::ConsentRecord& c) {
  tx.exec_prepared(kInsertConsent.name, c.id(), c.customer_id(), static_cast<int>(c.channel()),
                   c.granted(), static_cast<int>(c.level()), c.source(), c.wording_version(),
                   c.ip(), c.actor(), PgTime(c.create_time()));
}

std::vector<v1::ConsentRecord> CustomerStore::ListConsents(pqxx::transaction_base& tx,
                                                           const std::string& customer_id) {
  std::vector<v1::ConsentRecord> out;
  for (const auto& r : tx.exec_prepared(kListConsents.name, customer_id)) {
    v1::ConsentRecord c;
    c.set_id(r[0].as<std::string>());
    c.set_customer_id(customer_id);
    c.set_channel(static_cast<v1::ConsentChannel>(r[1].as<int>()));
    c.set_granted(r[2].as<bool>());
    c.set_level(static_cast<v1::ConsentLevel>(r[3].as<int>()));
    c.set_source(r[4].as<std::string>());
    c.set_wording_version(r[5].as<std::string>());
    c.set_ip(r[6].as<std::string>());
    c.set_actor(r[7].as<std::string>());
    *c.mutable_create_time() = TimestampFromMicros(r[8].as<int64_t>());
    out.push_back(std::move(c));
  }
  return out;
}

void CustomerStore::InsertToken(pqxx::transaction_base& tx, const std::string& token_hash,
                                const std::string& customer_id, const std::string& purpose,
                                absl::Time expires_at, absl::Time now) {
  tx.exec_prepared(kInsertToken.name, Bytes(token_hash), customer_id, purpose, PgTime(expires_at),
                   PgTime(now));
}

std::optional<std::string> CustomerStore::ConsumeToken(pqxx::transaction_base& tx,
                                                       const std::string& token_hash,
                                                       const std::string& purpose,
                                                       absl::Time now) {
  pqxx::result r = tx.exec_prepared(kConsumeToken.name, Bytes(token_hash), purpose, PgTime(now));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

v1::CustomerSettings CustomerStore::LoadSettings(pqxx::transaction_base& tx) {
  pqxx::row r = tx.exec_prepared1(kLoadSettings.name);
  v1::CustomerSettings s;
  s.set_require_approval(r[0].as<bool>());
  s.set_default_group_id(r[1].as<std::string>());
  return s;
}

void CustomerStore::SaveSettings(pqxx::transaction_base& tx, const v1::CustomerSettings& s) {
  tx.exec_prepared(kSaveSettings.name, s.require_approval(), s.default_group_id());
}

std::optional<v1::CustomerGroup> CustomerStore::LoadGroup(pqxx::transaction_base& tx,
                                                          const std::string& id) {
  pqxx::result r = tx.exec_prepared(kLoadGroup.name, id);
  if (r.empty()) return std::nullopt;
  return ParseGroup(r[0]);
}

std::vector<v1::CustomerGroup> CustomerStore::ListGroups(pqxx::transaction_base& tx) {
  std::vector<v1::CustomerGroup> out;
  for (const auto& r : tx.exec_prepared(kListGroups.name)) out.push_back(ParseGroup(r));
  return out;
}

bool CustomerStore::InsertGroup(pqxx::transaction_base& tx, const v1::CustomerGroup& g) {
  return !tx.exec_prepared(kInsertGroup.name, g.id(), g.name(), g.discount_bp()).empty();
}

bool CustomerStore::UpdateGroup(pqxx::transaction_base& tx, const v1::CustomerGroup& g) {
  return !tx.exec_prepared(kUpdateGroup.name, g.id(), g.name(), g.discount_bp()).empty();
}

bool CustomerStore::DeleteGroup(pqxx::transaction_base& tx, const std::string& id) {
  return !tx.exec_prepared(kDeleteGroup.name, id).empty();
}

std::vector<std::string> CustomerStore::AssignGroup(pqxx::transaction_base& tx,
                                                    const std::string& group_id,
                                                    const std::vector<std::string>& ids,
                                                    absl::Time now) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec_prepared(kAssignGroup.name, group_id, TextArray(ids), PgTime(now))) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

std::optional<std::pair<std::string, int>> CustomerStore::GroupDiscount(
    pqxx::transaction_base& tx, const std::string& id) {
  pqxx::result r = tx.exec_prepared(kGroupDiscount.name, id);
  if (r.empty()) return std::nullopt;
  return std::make_pair(r[0][0].as<std::string>(), r[0][1].as<int>());
}

std::vector<CustomerStore::CheckoutFacts> CustomerStore::Checkouts(
    pqxx::transaction_base& tx, const std::vector<CheckoutKey>& keys) {
  std::vector<std::string> ids, emails, phones, fallbacks;
  for (const CheckoutKey& k : keys) {
    ids.push_back(k.customer_id);
    emails.push_back(k.email);
    phones.push_back(k.phone);
    fallbacks.push_back(k.fallback_group_id);
  }
  std::vector<CheckoutFacts> out;
  out.reserve(keys.size());
  for (const auto& r : tx.exec_prepared(kCheckouts.name, TextArray(ids), TextArray(emails),
                                        TextArray(phones), TextArray(fallbacks))) {
    CheckoutFacts& f = out.emplace_back();
    f.found = r[0].as<bool>();
    f.erased = r[1].as<bool>();
    f.blocked = r[2].as<bool>();
    f.state = static_cast<v1::AccountState>(r[3].as<int>());
    if (r[4].as<bool>()) f.blacklist_reason = r[5].is_null() ? "" : r[5].as<std::string>();
    if (!r[6].is_null()) {
      f.group_name = r[6].as<std::string>();
      f.discount_bp = r[7].as<int>();
      f.group_id = r[8].as<std::string>();
    }
  }
  return out;
}

std::vector<v1::CustomField> CustomerStore::ListCustomFields(pqxx::transaction_base& tx) {
  std::vector<v1::CustomField> out;
  for (const auto& r : tx.exec_prepared(kListFields.name)) {
    v1::CustomField f;
    f.set_key(r[0].as<std::string>());
    f.set_label(r[1].as<std::string>());
    f.set_type(static_cast<v1::CustomFieldType>(r[2].as<int>()));
    for (auto& c : pg::ParseTextArray(r[3])) f.add_choices(std::move(c));
    f.set_max_length(r[4].as<int>());
    out.push_back(std::move(f));
  }
  return out;
}

void CustomerStore::UpsertCustomField(pqxx::transaction_base& tx, const v1::CustomField& f) {
  tx.exec_prepared(kUpsertField.name, f.key(), f.label(), static_cast<int>(f.type()),
                   TextArray({f.choices().begin(), f.choices().end()}),
                   f.max_length() > 0 ? f.max_length() : 1000);
}

bool CustomerStore::DeleteCustomField(pqxx::transaction_base& tx, const std::string& key) {
  return tx.exec_prepared1(kDeleteField.name, key)[0].as<int64_t>() > 0;
}

void CustomerStore::InsertBlacklist(pqxx::transaction_base& tx, const v1::BlacklistEntry& e) {
  tx.exec_prepared(kInsertBlacklist.name, e.id(), e.phone(), e.email(), e.reason(), e.created_by(),
                   PgTime(e.create_time()));
}

std::optional<v1::BlacklistEntry> CustomerStore::UpdateBlacklist(pqxx::transaction_base& tx,
                                                                 const v1::BlacklistEntry& e) {
  pqxx::result r = tx.exec_prepared(kUpdateBlacklist.name, e.id(), e.phone(), e.email(), e.reason());
  if (r.empty()) return std::nullopt;
  return ParseBlacklist(r[0]);
}

bool CustomerStore::DeleteBlacklist(pqxx::transaction_base& tx, const std::string& id) {
  return !tx.exec_prepared(kDeleteBlacklist.name, id).empty();
}

std::vector<v1::BlacklistEntry> CustomerStore::ListBlacklist(
    pqxx::transaction_base& tx, const std::string& text, const std::optional<KeysetCursor>& after,
    int limit) {
  std::vector<std::string> params;
  auto param = [&params](std::string v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  std::string sql = absl::StrCat("SELECT ", kBlacklistCols, " FROM blacklist WHERE true");
  if (!text.empty()) {
    const std::string p = param(ContainsPattern(text));
    absl::StrAppend(&sql, " AND (lower(phone || ' ' || email || ' ' || reason) LIKE ", p, ")");
  }
  if (after.has_value()) {
    absl::StrAppend(&sql, " AND (created_at, id) < ('epoch'::timestamptz + ",
                    param(absl::StrCat(after->sort_value)),
                    "::bigint * interval '1 microsecond', ", param(after->id), "::uuid)");
  }
  absl::StrAppend(&sql, " ORDER BY created_at DESC, id DESC LIMIT ",
                  param(absl::StrCat(limit + 1)), "::int");
  std::vector<v1::BlacklistEntry> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.push_back(ParseBlacklist(r));
  }
  return out;
}

std::optional<v1::BlacklistEntry> CustomerStore::FindBlacklisted(pqxx::transaction_base& tx,
                                                                 const std::string& email,
                                                                 const std::string& phone) {
  pqxx::result r = tx.exec_prepared(kFindBlacklisted.name, email, phone);
  if (r.empty()) return std::nullopt;
  return ParseBlacklist(r[0]);
}

KeysetCursor CustomerStore::CursorOf(const v1::Customer& c, v1::CustomerSortField sort) {
  KeysetCursor k;
  k.id = c.id();
  switch (sort) {
    case v1::CUSTOMER_SORT_FIELD_NAME:
      k.sort_text = absl::StrCat("n:", absl::AsciiStrToLower(c.name()));
      break;
    case v1::CUSTOMER_SORT_FIELD_TOTAL_SPENT:
      k.sort_value = c.facts().total_spent().amount_minor();
      break;
    case v1::CUSTOMER_SORT_FIELD_ORDERS_COUNT:
      k.sort_value = c.facts().orders_count();
      break;
    case v1::CUSTOMER_SORT_FIELD_LAST_ORDER_TIME:
      // Customers without orders sort as the epoch minus one.
      k.sort_value = c.facts().has_last_order_time()
                         ? TimeUtil::TimestampToMicroseconds(c.facts().last_order_time())
                         : -1;
      break;
    default:
      k.sort_value = TimeUtil::TimestampToMicroseconds(c.create_time());
  }
  return k;
}

std::vector<v1::Customer> CustomerStore::List(pqxx::transaction_base& tx,
                                              absl::string_view currency,
                                              const v1::CustomerFilter& f,
                                              const std::string& segment_sql,
                                              const std::vector<std::string>& segment_params,
                                              v1::CustomerSortField sort, bool ascending,
                                              const std::optional<KeysetCursor>& after, int limit) {
  // Built from fixed fragments only; every value is a numbered parameter.
  std::vector<std::string> params = segment_params;
  std::vector<std::string> where = {"c.erased_at IS NULL"};
  if (!segment_sql.empty()) where.push_back(absl::StrCat("(", segment_sql, ")"));
  auto param = [&params](std::string v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  auto boolean = [&](const char* col, bool v) {
    where.push_back(absl::StrCat("c.", col, " = ", param(v ? "true" : "false"), "::boolean"));
  };
  if (!f.text().empty()) {
    where.push_back(absl::StrCat("(lower(c.name) || ' ' || c.email) LIKE ",
                                 param(ContainsPattern(f.text()))));
  }
  if (!f.group_id().empty()) where.push_back(absl::StrCat("c.group_id = ", param(f.group_id()), "::uuid"));
  if (f.has_tax_exempt()) boolean("tax_exempt", f.tax_exempt());
  if (f.has_accepts_marketing()) boolean("accepts_marketing", f.accepts_marketing());
  if (f.has_blocked()) boolean("blocked", f.blocked());
  if (f.has_guest()) boolean("guest", f.guest());
  if (!f.country_code().empty()) {
    where.push_back(absl::StrCat("c.country = ", param(absl::AsciiStrToUpper(f.country_code()))));
  }
  if (f.has_orders_count_min()) {
    where.push_back(absl::StrCat("c.orders_count >= ", param(absl::StrCat(f.orders_count_min())), "::bigint"));
  }
  if (f.has_orders_count_max()) {
    where.push_back(absl::StrCat("c.orders_count < ", param(absl::StrCat(f.orders_count_max())), "::bigint"));
  }
  if (f.total_spent().has_min_minor()) {
    where.push_back(absl::StrCat("c.total_spent >= ", param(absl::StrCat(f.total_spent().min_minor())), "::bigint"));
  }
  if (f.total_spent().has_max_minor()) {
    where.push_back(absl::StrCat("c.total_spent < ", param(absl::StrCat(f.total_spent().max_minor())), "::bigint"));
  }
  if (f.has_last_order_time_from()) {
    where.push_back(absl::StrCat("c.last_order_at >= ", param(PgTime(f.last_order_time_from())), "::timestamptz"));
  }
  if (f.has_last_order_time_to()) {
    where.push_back(absl::StrCat("c.last_order_at < ", param(PgTime(f.last_order_time_to())), "::timestamptz"));
  }
  if (f.has_create_time_from()) {
    where.push_back(absl::StrCat("c.created_at >= ", param(PgTime(f.create_time_from())), "::timestamptz"));
  }
  if (f.has_create_time_to()) {
    where.push_back(absl::StrCat("c.created_at < ", param(PgTime(f.create_time_to())), "::timestamptz"));
  }
  if (f.state() != v1::ACCOUNT_STATE_UNSPECIFIED) {
    where.push_back(absl::StrCat("c.state = ", param(absl::StrCat(static_cast<int>(f.state()))), "::smallint"));
  }
  std::string key;
  switch (sort) {
    case v1::CUSTOMER_SORT_FIELD_NAME: key = "lower(c.name)"; break;
    case v1::CUSTOMER_SORT_FIELD_TOTAL_SPENT: key = "c.total_spent"; break;
    case v1::CUSTOMER_SORT_FIELD_ORDERS_COUNT: key = "c.orders_count::bigint"; break;
    case v1::CUSTOMER_SORT_FIELD_LAST_ORDER_TIME:
      key = "coalesce(" STORE_PG_MICROS("c.last_order_at") ", -1)";
      break;
    default: key = STORE_PG_MICROS("c.created_at");
  }
  if (after.has_value()) {
    const std::string value = sort == v1::CUSTOMER_SORT_FIELD_NAME
                                  ? param(after->sort_text.size() >= 2 ? after->sort_text.substr(2) : "")
                                  : absl::StrCat(param(absl::StrCat(after->sort_value)), "::bigint");
    where.push_back(absl::StrCat("(", key, ", c.id) ", ascending ? ">" : "<", " (", value, ", ",
                                 param(after->id), "::uuid)"));
  }
  const std::string dir = ascending ? "ASC" : "DESC";
  std::string sql = absl::StrCat("SELECT ", kCols, " FROM customers c WHERE ",
                                 absl::StrJoin(where, " AND "), " ORDER BY ", key, " ", dir,
                                 ", c.id ", dir, " LIMIT ", param(absl::StrCat(limit + 1)), "::int");
  std::vector<v1::Customer> out;
  for (const auto& r : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    out.push_back(ParseCustomer(r, currency));
  }
  return out;
}

}  // namespace store::customer
