#include "services/order/store/settings_store.h"

#include "libs/core/log.h"
#include "libs/pg/pool.h"
#include "libs/pg/values.h"
#include "services/order/domain/cart_rules.h"

namespace store::order {
namespace {

const pg::Statement kLoadSettings("order_settings_load",
                                  "SELECT (SELECT body FROM order_settings WHERE id = 1),"
                                  " (SELECT CASE WHEN is_called THEN last_value + 1"
                                  "  ELSE last_value END FROM order_number_seq)");
const pg::Statement kSaveSettings(
    "order_settings_save",
    "INSERT INTO order_settings (id, body, updated_at) VALUES (1, $1, $2::timestamptz)"
    " ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at");
const pg::Statement kSetNextNumber(
    "order_settings_next_number",
    "SELECT setval('order_number_seq', $1::bigint, false)"
    " WHERE $1::bigint > (SELECT coalesce(max(number), 0) FROM orders)");
const pg::Statement kLastNumber("order_settings_last_number",
                                "SELECT coalesce(max(number), 0) FROM orders");

}  // namespace

v1::OrderSettings SettingsStore::FromBody(const pqxx::field& body) {
  if (body.is_null()) return DefaultOrderSettings();
  v1::OrderSettings saved;
  if (!saved.ParseFromString(pg::FromBytes(body))) {
    log::Error("corrupt order settings; using the defaults");
    return DefaultOrderSettings();
  }
  return saved;
}

v1::OrderSettings SettingsStore::Load(pqxx::transaction_base& tx) {
  pqxx::row r = tx.exec_prepared1(kLoadSettings.name);
  v1::OrderSettings settings = FromBody(r[0]);
  settings.set_order_number_start(r[1].is_null() ? 0 : r[1].as<int64_t>());
  return settings;
}

void SettingsStore::Save(pqxx::transaction_base& tx, const v1::OrderSettings& settings,
                         absl::Time at) {
  v1::OrderSettings body = settings;
  body.clear_order_number_start();
  tx.exec_prepared0(kSaveSettings.name, pg::Bytes(body.SerializeAsString()), pg::PgTime(at));
}

bool SettingsStore::SetNextOrderNumber(pqxx::transaction_base& tx, int64_t start) {
  // setval is not transactional: it holds even if the settings update
  // around it rolls back later (the start is checked before).
  return tx.exec_prepared(kSetNextNumber.name, start).size() == 1;
}

int64_t SettingsStore::LastOrderNumber(pqxx::transaction_base& tx) {
  return tx.exec_prepared1(kLastNumber.name)[0].as<int64_t>();
}

}  // namespace store::order
