// Pure rules of carts (ORD-12, ORD-19) and discount codes (ORD-17): what a
// cart may hold, how it changes, how it is priced (by PriceOrder, the same
// code that prices orders), what its checkout places, and when a code
// applies. No I/O; unit tested in cart_rules_test.cc.
#ifndef STORE_SERVICES_ORDER_DOMAIN_CART_RULES_H_
#define STORE_SERVICES_ORDER_DOMAIN_CART_RULES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "store/order/v1/cart.pb.h"
#include "store/order/v1/cart_service.pb.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

inline constexpr int kMaxCartLines = 100;
// Purpose of the signed recovery-link tokens (libs/auth/link_token.h).
inline constexpr char kCartRecoveryPurpose[] = "cart-recovery";

// Who changes a cart: a trusted caller (staff, the storefront server,
// internal callers) or the shopper themselves (a customer token).
enum class CartCaller { kTrusted, kCustomer };

// A new cart from CreateCart's `in` (errors name "cart.<field>"): currency
// (default `store_currency`), customer id or guest email, lines (a sku at
// most once), addresses, delivery method, code (normalised only; whether it
// applies is the app's question) and note. `new_id` names each line.
absl::StatusOr<v1::Cart> BuildNewCart(const v1::Cart& in, const std::string& store_currency,
                                      const std::function<std::string()>& new_id);

// Checks a line as given (errors name "<field>.quantity" ...); the line as
// stored, without id and output fields.
absl::StatusOr<v1::CartLine> CheckCartLine(absl::string_view field, const v1::CartLine& line,
                                           const std::string& currency);

// Adds `line` (already checked) to the cart; a sku it holds adds to that
// line's quantity and takes the new name, price and tax rate.
absl::Status AddCartLine(v1::Cart* cart, const v1::CartLine& line, const std::string& new_id);

// Changes the line `line.id` per `mask` (quantity, name, unit_price,
// tax_rate_bp; empty: each of them set in `line`).
absl::Status UpdateCartLine(v1::Cart* cart, const v1::CartLine& line,
                            const google::protobuf::FieldMask& mask);

absl::Status RemoveCartLine(v1::Cart* cart, const std::string& line_id);

// UpdateCart: copies the fields named in `mask` from `in`. A customer may
// change email, addresses, discount code and note; customer_id and
// delivery_method need a trusted caller (PERMISSION_DENIED on update_mask).
absl::Status ApplyCartUpdate(v1::Cart* cart, const v1::Cart& in,
                             const google::protobuf::FieldMask& mask, CartCaller caller);

// FAILED_PRECONDITION CART_CONVERTED or CART_EXPIRED unless the cart may
// change (and be checked out) at `now`.
absl::Status CheckCartOpen(const v1::Cart& cart, absl::Time now);

// Prices the cart as an order with these discounts would be (lines'
// subtotal, discount share, tax, total; the cart's totals).
absl::Status PriceCart(v1::Cart* cart, const std::vector<v1::Discount>& discounts);

// The PlaceOrderRequest a checkout of `cart` makes: FAILED_PRECONDITION
// CART_EMPTY, or CHECKOUT_INCOMPLETE naming the missing field (email for a
// guest, shipping_address, delivery_method); the buyer's name and phone
// default to the shipping address's.
absl::StatusOr<v1::PlaceOrderRequest> CheckoutRequest(const v1::Cart& cart,
                                                      const v1::CheckoutCartRequest& request,
                                                      const std::vector<v1::Discount>& discounts);

// ---- Store settings (ORD-15) ----

// The settings when none were saved: 60 minutes, everyone with an email,
// 90 days.
v1::OrderSettings DefaultOrderSettings();
// Copies the fields named in `mask` from `in` and checks the result
// (errors name "settings.<field>"). order_number_start is checked by the
// caller against the numbers given.
absl::Status ApplySettingsUpdate(v1::OrderSettings* settings, const v1::OrderSettings& in,
                                 const google::protobuf::FieldMask& mask);
absl::Duration CartRetention(const v1::OrderSettings& settings);
absl::Duration AbandonmentDelay(const v1::OrderSettings& settings);

// ---- Abandonment (ORD-12, NEW-07) ----

// A cart the sweep found abandoned (lines, an email, unchanged for the
// delay), with what the sweep knows.
struct AbandonCandidate {
  std::string cart_id;
  std::string email;
  absl::Time update_time;
};
// Which of `candidates` get a reminder: per email, only the most recently
// changed cart, and none when that email was reminded of another cart
// within the delay (`reminded_recently`). The rest are abandoned silently.
// Returns the ids that get one.
std::vector<std::string> PlanReminders(const std::vector<AbandonCandidate>& candidates,
                                       const std::vector<std::string>& reminded_recently);

// The payload of a recovery token: "<cart id>.<expiry, unix seconds>".
std::string RecoveryPayload(const std::string& cart_id, absl::Time expires);
// The cart id of a verified payload; INVALID_ARGUMENT LINK_EXPIRED after
// its expiry, BAD_TOKEN when malformed.
absl::StatusOr<std::string> CartOfRecoveryPayload(absl::string_view payload, absl::Time now);

// ---- Discount codes ----

// "summer-10 " -> "SUMMER-10": 3..32 characters of A-Z, 0-9, '-', '_'.
absl::StatusOr<std::string> NormalizeDiscountCode(absl::string_view field, absl::string_view code);

// A new code from CreateDiscountCode's `in` (errors name
// "discount_code.<field>"); a fixed amount or minimum without a currency
// takes `store_currency`.
absl::StatusOr<v1::DiscountCode> BuildDiscountCode(const v1::DiscountCode& in,
                                                   const std::string& store_currency);

// UpdateDiscountCode: copies the fields named in `mask` and checks the result.
absl::Status ApplyDiscountCodeUpdate(v1::DiscountCode* code, const v1::DiscountCode& in,
                                     const google::protobuf::FieldMask& mask,
                                     const std::string& store_currency);

// What a code is checked against.
struct CodeUse {
  int64_t items_subtotal = 0;  // minor units, before discounts
  std::string currency;
  absl::Time now;
  // The shopper: a registered customer id, or "" for a guest.
  std::string customer_id;
  // The shopper's group, when known (at checkout); nullopt before.
  std::optional<std::string> group_id;
  // Orders that carry the code already: in all, and of this shopper.
  int64_t times_used = 0;
  int64_t times_used_by_shopper = 0;
};

// The discount `code` gives in `use`, or FAILED_PRECONDITION with reason
// DISCOUNT_CODE_DISABLED, _NOT_STARTED, _EXPIRED, _MINIMUM_NOT_MET,
// _CURRENCY, _GROUP_ONLY or _USED_UP (field "discount_code").
absl::StatusOr<v1::Discount> DiscountFor(const v1::DiscountCode& code, const CodeUse& use);

// FAILED_PRECONDITION DISCOUNT_CODE_UNKNOWN for a code that does not exist.
absl::Status UnknownDiscountCode(absl::string_view code);

// The key a shopper's uses of a code are counted by: the customer id, or
// "email:<email>" for a guest.
std::string ShopperKey(const std::string& customer_id, const std::string& email);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_CART_RULES_H_
