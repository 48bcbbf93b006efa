// Use cases of carts and discount codes (ORD-12, ORD-17, ORD-19): each runs
// one transaction that loads the cart (locked), applies the domain rules
// (domain/cart_rules.h), prices it with the order pricing and writes it
// back. Checkout places the order through OrderApp::PlaceOrder (the same
// customer checks, group discount and store credit) and, in the placing
// transaction, redeems the discount code and converts the cart.
#ifndef STORE_SERVICES_ORDER_APP_CART_APP_H_
#define STORE_SERVICES_ORDER_APP_CART_APP_H_

#include <string>

#include "absl/status/statusor.h"
#include "libs/core/clock.h"
#include "libs/pg/pool.h"
#include "services/order/app/order_app.h"
#include "services/order/domain/cart_rules.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/cart_service.pb.h"

namespace store::order {

struct CartOptions {
  // STORE_CURRENCY: of carts that name none, and of codes' amounts.
  std::string store_currency = "USD";
  // CART_RECOVERY_SECRET: signs recovery links; empty: no links.
  std::string recovery_secret;
  // CART_RECOVERY_URL: the storefront page a recovery link opens, the token
  // appended ("https://shop.example.com/cart/recover?token="); empty: no links.
  std::string recovery_url;
};

class CartApp {
 public:
  CartApp(pg::Pool& pool, const Clock& clock, OrderApp& orders, CartOptions options)
      : pool_(pool), clock_(clock), orders_(orders), options_(std::move(options)) {}

  // `owner`: for a customer caller, their customer id; a cart of anyone
  // else is NOT_FOUND. Empty for trusted callers.
  absl::StatusOr<v1::Cart> CreateCart(const v1::CreateCartRequest& request);
  absl::StatusOr<v1::Cart> GetCart(const std::string& id, const std::string& owner);
  absl::StatusOr<v1::ListCartsResponse> ListCarts(const v1::ListCartsRequest& request);
  absl::StatusOr<v1::Cart> AddLine(const v1::AddCartLineRequest& request);
  absl::StatusOr<v1::Cart> UpdateLine(const v1::UpdateCartLineRequest& request);
  absl::StatusOr<v1::Cart> RemoveLine(const v1::RemoveCartLineRequest& request);
  absl::StatusOr<v1::Cart> UpdateCart(const v1::UpdateCartRequest& request,
                                      const std::string& owner);
  absl::StatusOr<v1::Order> Checkout(const v1::CheckoutCartRequest& request,
                                     const std::string& owner, const std::string& actor);
  // The cart a recovery link's token names; marks it recovered_via_link.
  absl::StatusOr<v1::Cart> Recover(const std::string& token);

  // The abandonment sweep (run every CART_SWEEP_INTERVAL by main.cc, and by
  // tests on their clock): marks up to `limit` abandoned carts, each with
  // its one CartAbandoned, in one transaction; returns how many.
  absl::StatusOr<int> MarkAbandoned(int limit = 200);
  // Deletes carts past their expiry (retention); returns how many.
  absl::StatusOr<int64_t> PurgeExpired(int limit = 500);
  // Both, logged.
  absl::Status Sweep();

  absl::StatusOr<v1::DiscountCode> CreateCode(const v1::CreateDiscountCodeRequest& request);
  absl::StatusOr<v1::DiscountCode> GetCode(const std::string& id);
  absl::StatusOr<v1::ListDiscountCodesResponse> ListCodes(
      const v1::ListDiscountCodesRequest& request);
  absl::StatusOr<v1::DiscountCode> UpdateCode(const v1::UpdateDiscountCodeRequest& request);

 private:
  using CartChange = std::function<absl::Status(v1::Cart& cart)>;
  // Loads the open cart `id` for update, lets `change` change it, prices it
  // and writes it (next version, new expiry) in one transaction.
  absl::StatusOr<v1::Cart> Mutate(const std::string& id, const std::string& owner,
                                  bool code_changed, const CartChange& change);
  // Prices `cart` with its discount code where that applies now; with
  // `strict`, a code that does not apply is the error.
  absl::Status Price(pqxx::transaction_base& tx, v1::Cart* cart, bool strict);

  // The recovery link of `cart` (expiring with it), or "".
  std::string RecoveryUrl(const v1::Cart& cart) const;

  pg::Pool& pool_;
  const Clock& clock_;
  OrderApp& orders_;
  const CartOptions options_;
};

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_APP_CART_APP_H_
