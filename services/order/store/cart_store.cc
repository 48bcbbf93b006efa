#include "services/order/store/cart_store.h"

#include "absl/strings/str_cat.h"
#include "libs/core/log.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"
#include "services/order/store/settings_store.h"

namespace store::order {
namespace {

using pg::Bytes;
using pg::PgTime;

const pg::Statement kInsertCart(
    "cart_insert",
    "INSERT INTO carts (id, request_id, request_hash, state, customer_id, email, body, version,"
    " created_at, updated_at, expires_at, line_count)"
    " VALUES ($1::uuid, $2::uuid, $3, $4::smallint, NULLIF($5, '')::uuid, $6, $7, $8::bigint,"
    " $9::timestamptz, $10::timestamptz, $11::timestamptz, $12::int)"
    " ON CONFLICT (request_id) DO NOTHING");
const pg::Statement kFindCartByRequest(
    "cart_find_by_request", "SELECT body, request_hash FROM carts WHERE request_id = $1::uuid");
const pg::Statement kLoadCart("cart_load", "SELECT body FROM carts WHERE id = $1::uuid");
const pg::Statement kLoadCartForUpdate("cart_load_for_update",
                                       "SELECT body FROM carts WHERE id = $1::uuid FOR UPDATE");
const pg::Statement kLoadCartForSave(
    "cart_load_for_save",
    "SELECT c.body, (SELECT body FROM order_settings WHERE id = 1) FROM carts c"
    " WHERE c.id = $1::uuid FOR UPDATE OF c");
const pg::Statement kUpdateCart(
    "cart_update",
    "UPDATE carts SET state = $2::smallint, customer_id = NULLIF($3, '')::uuid, email = $4,"
    " body = $5, version = $6::bigint, updated_at = $7::timestamptz, expires_at = $8::timestamptz,"
    " order_id = NULLIF($9, '')::uuid,"
    " checkout_request_id = coalesce(NULLIF($10, '')::uuid, checkout_request_id),"
    " line_count = $11::int, abandoned_at = NULLIF($12, '')::timestamptz,"
    " reminded_at = NULLIF($13, '')::timestamptz"
    " WHERE id = $1::uuid");
const pg::Statement kLockAbandonCandidates(
    "cart_lock_abandon_candidates",
    "SELECT body FROM carts WHERE state = 1 AND abandoned_at IS NULL AND line_count > 0"
    " AND email <> '' AND updated_at <= $1::timestamptz AND expires_at > $2::timestamptz"
    " ORDER BY updated_at LIMIT $3::int FOR UPDATE SKIP LOCKED");
const pg::Statement kLockShopper(
    "cart_lock_shopper", "SELECT pg_advisory_xact_lock(hashtext('cart-reminder:' || $1))");
const pg::Statement kRemindedSince(
    "cart_reminded_since",
    "SELECT DISTINCT email FROM carts WHERE email = ANY($1::text[])"
    " AND reminded_at > $2::timestamptz");
const pg::Statement kPurge(
    "cart_purge",
    "WITH d AS (DELETE FROM carts WHERE id IN (SELECT id FROM carts"
    "  WHERE expires_at <= $1::timestamptz LIMIT $2::int) RETURNING 1) SELECT count(*) FROM d");
const pg::Statement kCheckoutRequest(
    "cart_checkout_request",
    "SELECT coalesce(checkout_request_id::text, '') FROM carts WHERE id = $1::uuid");
const pg::Statement kListCarts(
    "cart_list",
    "SELECT body FROM carts"
    " WHERE ($1 = '' OR customer_id = NULLIF($1, '')::uuid) AND ($2 = '' OR email = $2)"
    "  AND (cardinality($3::smallint[]) = 0 OR state = ANY($3::smallint[]))"
    "  AND (NOT $7::boolean OR (abandoned_at IS NOT NULL AND state = 1))"
    "  AND ($4 = '' OR (updated_at, id) < ('epoch'::timestamptz"
    "   + $5::bigint * interval '1 microsecond', NULLIF($4, '')::uuid))"
    " ORDER BY updated_at DESC, id DESC LIMIT $6::int");

const pg::Statement kDeleteForErasure(
    "cart_delete_for_erasure",
    "WITH r AS (UPDATE discount_redemptions SET customer_key = 'erased:' || order_id::text"
    "  WHERE customer_key = $1 OR ($2 <> '' AND customer_key LIKE 'email:%'"
    "   AND encode(sha256(convert_to(substr(customer_key, 7), 'UTF8')), 'hex') = lower($2))),"
    " d AS (DELETE FROM carts WHERE customer_id = NULLIF($1, '')::uuid"
    "  OR ($2 <> '' AND customer_id IS NULL"
    "   AND encode(sha256(convert_to(email, 'UTF8')), 'hex') = lower($2)) RETURNING 1)"
    " SELECT count(*) FROM d");
const pg::Statement kInsertCode(
    "discount_code_insert",
    "INSERT INTO discount_codes (id, code, disabled, body, version, created_at, updated_at)"
    " VALUES ($1::uuid, $2, $3::boolean, $4, 1, $5::timestamptz, $5::timestamptz)"
    " ON CONFLICT (code) DO NOTHING");
const pg::Statement kLoadCode("discount_code_load",
                              "SELECT body, times_used FROM discount_codes WHERE id = $1::uuid");
const pg::Statement kLoadCodeForUpdate(
    "discount_code_load_for_update",
    "SELECT body, times_used FROM discount_codes WHERE id = $1::uuid FOR UPDATE");
const pg::Statement kFindCode("discount_code_find",
                              "SELECT body, times_used FROM discount_codes WHERE code = $1");
const pg::Statement kFindCodeForUpdate(
    "discount_code_find_for_update",
    "SELECT body, times_used FROM discount_codes WHERE code = $1 FOR UPDATE");
const pg::Statement kUpdateCode(
    "discount_code_update",
    "UPDATE discount_codes SET disabled = $2::boolean, body = $3, version = $4::bigint,"
    " updated_at = $5::timestamptz WHERE id = $1::uuid");
const pg::Statement kListCodes(
    "discount_code_list",
    "SELECT body, times_used FROM discount_codes WHERE ($1::boolean OR NOT disabled)"
    " AND code > $2 ORDER BY code LIMIT $3::int");
const pg::Statement kCountShopperUses(
    "discount_code_shopper_uses",
    "SELECT count(*) FROM discount_redemptions WHERE code_id = $1::uuid AND customer_key = $2");
const pg::Statement kRedeem(
    "discount_code_redeem",
    "WITH r AS (INSERT INTO discount_redemptions (code_id, order_id, customer_key, created_at)"
    "  VALUES ($1::uuid, $2::uuid, $3, $4::timestamptz))"
    " UPDATE discount_codes SET times_used = times_used + 1 WHERE id = $1::uuid");

template <typename M>
M Parse(const pqxx::field& f, absl::string_view what) {
  pqxx::binarystring b(f);
  M m;
  if (!m.ParseFromArray(b.data(), static_cast<int>(b.size()))) {
    log::Error(absl::StrCat("corrupt ", what, " body"));
  }
  return m;
}

v1::DiscountCode CodeFromRow(const pqxx::row& r) {
  v1::DiscountCode code = Parse<v1::DiscountCode>(r[0], "discount code");
  code.set_times_used(r[1].as<int>());
  return code;
}

std::optional<v1::DiscountCode> OneCode(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return CodeFromRow(r[0]);
}

}  // namespace

bool CartStore::Insert(pqxx::transaction_base& tx, const v1::Cart& cart,
                       const std::string& request_id, const std::string& request_hash) {
  pqxx::result r = tx.exec_prepared(
      kInsertCart.name, cart.id(), request_id, request_hash, static_cast<int>(cart.state()),
      cart.customer_id(), cart.email(), Bytes(cart.SerializeAsString()), cart.version(),
      PgTime(cart.create_time()), PgTime(cart.update_time()), PgTime(cart.expire_time()),
      cart.lines_size());
  return r.affected_rows() == 1;
}

std::optional<CartStore::ByRequest> CartStore::FindByRequestId(pqxx::transaction_base& tx,
                                                               const std::string& request_id) {
  pqxx::result r = tx.exec_prepared(kFindCartByRequest.name, request_id);
  if (r.empty()) return std::nullopt;
  return ByRequest{Parse<v1::Cart>(r[0][0], "cart"), r[0][1].as<std::string>()};
}

std::optional<v1::Cart> CartStore::Load(pqxx::transaction_base& tx, const std::string& id,
                                        bool for_update) {
  pqxx::result r = tx.exec_prepared(for_update ? kLoadCartForUpdate.name : kLoadCart.name, id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::Cart>(r[0][0], "cart");
}

std::optional<CartStore::ForSave> CartStore::LoadForSave(pqxx::transaction_base& tx,
                                                         const std::string& id) {
  pqxx::result r = tx.exec_prepared(kLoadCartForSave.name, id);
  if (r.empty()) return std::nullopt;
  return ForSave{Parse<v1::Cart>(r[0][0], "cart"), SettingsStore::FromBody(r[0][1])};
}

void CartStore::Update(pqxx::transaction_base& tx, const v1::Cart& cart,
                       const std::string& checkout_request_id) {
  tx.exec_prepared0(kUpdateCart.name, cart.id(), static_cast<int>(cart.state()), cart.customer_id(),
                    cart.email(), Bytes(cart.SerializeAsString()), cart.version(),
                    PgTime(cart.update_time()), PgTime(cart.expire_time()), cart.order_id(),
                    checkout_request_id, cart.lines_size(),
                    cart.has_abandon_time() ? PgTime(cart.abandon_time()) : std::string(),
                    cart.reminder_state() == v1::CART_REMINDER_STATE_REQUESTED
                        ? PgTime(cart.abandon_time())
                        : std::string());
}

std::vector<v1::Cart> CartStore::LockAbandonCandidates(pqxx::transaction_base& tx,
                                                       absl::Time changed_before, absl::Time now,
                                                       int limit) {
  pqxx::result r = tx.exec_prepared(kLockAbandonCandidates.name, PgTime(changed_before),
                                    PgTime(now), limit);
  std::vector<v1::Cart> out;
  for (const auto& row : r) out.push_back(Parse<v1::Cart>(row[0], "cart"));
  return out;
}

void CartStore::LockShopper(pqxx::transaction_base& tx, const std::string& email) {
  tx.exec_prepared(kLockShopper.name, email);
}

std::vector<std::string> CartStore::RemindedSince(pqxx::transaction_base& tx,
                                                  const std::vector<std::string>& emails,
                                                  absl::Time since) {
  pqxx::result r = tx.exec_prepared(kRemindedSince.name, pg::TextArray(emails), PgTime(since));
  std::vector<std::string> out;
  for (const auto& row : r) out.push_back(row[0].as<std::string>());
  return out;
}

int64_t CartStore::Purge(pqxx::transaction_base& tx, absl::Time now, int limit) {
  return tx.exec_prepared1(kPurge.name, PgTime(now), limit)[0].as<int64_t>();
}

std::string CartStore::CheckoutRequestId(pqxx::transaction_base& tx, const std::string& cart_id) {
  pqxx::result r = tx.exec_prepared(kCheckoutRequest.name, cart_id);
  return r.empty() ? "" : r[0][0].as<std::string>();
}

std::vector<v1::Cart> CartStore::List(pqxx::transaction_base& tx, const v1::CartFilter& filter,
                                      const std::optional<KeysetCursor>& after, int limit) {
  std::vector<std::string> states;
  for (int s : filter.states()) states.push_back(absl::StrCat(s));
  pqxx::result r = tx.exec_prepared(kListCarts.name, filter.customer_id(), filter.email(),
                                    pg::TextArray(states), after.has_value() ? after->id : "",
                                    after.has_value() ? after->sort_value : 0, limit + 1,
                                    filter.abandoned());
  std::vector<v1::Cart> out;
  for (const auto& row : r) out.push_back(Parse<v1::Cart>(row[0], "cart"));
  return out;
}

int64_t CartStore::DeleteForErasure(pqxx::transaction_base& tx, const std::string& customer_id,
                                    const std::string& email_sha256) {
  return tx.exec_prepared1(kDeleteForErasure.name, customer_id, email_sha256)[0].as<int64_t>();
}

bool CartStore::InsertCode(pqxx::transaction_base& tx, const v1::DiscountCode& code) {
  pqxx::result r = tx.exec_prepared(kInsertCode.name, code.id(), code.code(), code.disabled(),
                                    Bytes(code.SerializeAsString()), PgTime(code.create_time()));
  return r.affected_rows() == 1;
}

std::optional<v1::DiscountCode> CartStore::LoadCode(pqxx::transaction_base& tx,
                                                    const std::string& id, bool for_update) {
  return OneCode(tx.exec_prepared(for_update ? kLoadCodeForUpdate.name : kLoadCode.name, id));
}

std::optional<v1::DiscountCode> CartStore::FindCode(pqxx::transaction_base& tx,
                                                    const std::string& code, bool for_update) {
  return OneCode(tx.exec_prepared(for_update ? kFindCodeForUpdate.name : kFindCode.name, code));
}

void CartStore::UpdateCode(pqxx::transaction_base& tx, const v1::DiscountCode& code) {
  v1::DiscountCode body = code;
  body.clear_times_used();  // the column is the count
  tx.exec_prepared0(kUpdateCode.name, code.id(), code.disabled(), Bytes(body.SerializeAsString()),
                    code.version(), PgTime(code.update_time()));
}

std::vector<v1::DiscountCode> CartStore::ListCodes(pqxx::transaction_base& tx,
                                                   bool include_disabled, const std::string& after,
                                                   int limit) {
  pqxx::result r = tx.exec_prepared(kListCodes.name, include_disabled, after, limit + 1);
  std::vector<v1::DiscountCode> out;
  for (const auto& row : r) out.push_back(CodeFromRow(row));
  return out;
}

int64_t CartStore::CountShopperUses(pqxx::transaction_base& tx, const std::string& code_id,
                                    const std::string& shopper_key) {
  return tx.exec_prepared1(kCountShopperUses.name, code_id, shopper_key)[0].as<int64_t>();
}

void CartStore::Redeem(pqxx::transaction_base& tx, const std::string& code_id,
                       const std::string& order_id, const std::string& shopper_key, absl::Time at) {
  tx.exec_prepared0(kRedeem.name, code_id, order_id, shopper_key, PgTime(at));
}

}  // namespace store::order
