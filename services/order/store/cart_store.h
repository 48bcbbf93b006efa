// The SQL of carts and discount codes (migrations/0002_carts.sql). Every
// function runs inside the caller's transaction; statements are prepared
// once per connection (pg::Statement) and always parameterised.
#ifndef STORE_SERVICES_ORDER_STORE_CART_STORE_H_
#define STORE_SERVICES_ORDER_STORE_CART_STORE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/core/paging.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/cart_service.pb.h"

namespace store::order {

class CartStore {
 public:
  // False when a cart with the same request_id exists (nothing written).
  static bool Insert(pqxx::transaction_base& tx, const v1::Cart& cart,
                     const std::string& request_id, const std::string& request_hash);

  struct ByRequest {
    v1::Cart cart;
    std::string request_hash;
  };
  static std::optional<ByRequest> FindByRequestId(pqxx::transaction_base& tx,
                                                  const std::string& request_id);

  // The cart, optionally locked for update until commit.
  static std::optional<v1::Cart> Load(pqxx::transaction_base& tx, const std::string& id,
                                      bool for_update);

  // The cart locked for update until commit, with the store settings (its
  // retention sets the cart's expiry on every save), in one statement.
  struct ForSave {
    v1::Cart cart;
    v1::OrderSettings settings;  // without order_number_start
  };
  static std::optional<ForSave> LoadForSave(pqxx::transaction_base& tx, const std::string& id);

  // Writes the aggregate back (body and projections); `checkout_request_id`
  // once converted.
  static void Update(pqxx::transaction_base& tx, const v1::Cart& cart,
                     const std::string& checkout_request_id = "");

  // ---- Abandonment ----

  // Open carts with lines and an email, unchanged since `changed_before`,
  // not yet abandoned nor expired at `now`: locked, the ones another
  // sweep holds skipped (two replicas never take the same cart).
  static std::vector<v1::Cart> LockAbandonCandidates(pqxx::transaction_base& tx,
                                                     absl::Time changed_before, absl::Time now,
                                                     int limit);
  // Serialises the reminder decision for one email across sweeps (a
  // transaction-scoped advisory lock).
  static void LockShopper(pqxx::transaction_base& tx, const std::string& email);
  // Which of `emails` were reminded of a cart after `since`.
  static std::vector<std::string> RemindedSince(pqxx::transaction_base& tx,
                                                const std::vector<std::string>& emails,
                                                absl::Time since);
  // Deletes up to `limit` carts expired at `now`; returns how many.
  static int64_t Purge(pqxx::transaction_base& tx, absl::Time now, int limit);

  // The checkout request that converted the cart, or "".
  static std::string CheckoutRequestId(pqxx::transaction_base& tx, const std::string& cart_id);

  // A page of carts, newest change first; up to `limit` + 1 rows. The
  // cursor's sort value is update_time in micros.
  static std::vector<v1::Cart> List(pqxx::transaction_base& tx, const v1::CartFilter& filter,
                                    const std::optional<KeysetCursor>& after, int limit);

  // CUS-13: deletes the carts of `customer_id` and the guest carts whose
  // email has the SHA-256 hex digest `email_sha256` (none when empty), and
  // re-keys their discount-code redemptions to "erased:<order id>" (the
  // counts stay). Returns the number of carts deleted.
  static int64_t DeleteForErasure(pqxx::transaction_base& tx, const std::string& customer_id,
                                  const std::string& email_sha256);

  // ---- Discount codes ----

  // False when the code exists already.
  static bool InsertCode(pqxx::transaction_base& tx, const v1::DiscountCode& code);
  static std::optional<v1::DiscountCode> LoadCode(pqxx::transaction_base& tx, const std::string& id,
                                                  bool for_update);
  // By the (normalised) code; locked for update when asked (checkout).
  static std::optional<v1::DiscountCode> FindCode(pqxx::transaction_base& tx,
                                                  const std::string& code, bool for_update);
  static void UpdateCode(pqxx::transaction_base& tx, const v1::DiscountCode& code);
  // Sorted by code; `after` is the last code of the previous page.
  static std::vector<v1::DiscountCode> ListCodes(pqxx::transaction_base& tx, bool include_disabled,
                                                 const std::string& after, int limit);
  // Orders of one shopper (ShopperKey) that carry the code.
  static int64_t CountShopperUses(pqxx::transaction_base& tx, const std::string& code_id,
                                  const std::string& shopper_key);
  // Records that `order_id` carries the code and counts it.
  static void Redeem(pqxx::transaction_base& tx, const std::string& code_id,
                     const std::string& order_id, const std::string& shopper_key, absl::Time at);
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_STORE_CART_STORE_H_
