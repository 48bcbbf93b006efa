// Pure rules of an order: validation of a new order, pricing (totals are
// always computed here, never taken from the client), payments, shipping and
// refunds. No I/O; unit tested in order_rules_test.cc.
#ifndef STORE_SERVICES_ORDER_DOMAIN_ORDER_RULES_H_
#define STORE_SERVICES_ORDER_DOMAIN_ORDER_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.pb.h"

namespace store::order {

inline constexpr int kMaxItems = 500;
inline constexpr int kMaxQuantity = 10000;

// Validates a PlaceOrderRequest and returns the new order it describes:
// normalised (email lower-cased, phones in E.164, billing address defaulted
// to shipping), output-only fields dropped, and priced. Errors are
// INVALID_ARGUMENT naming the field ("items[1].quantity"). Id, number,
// status and times are left for the caller.
absl::StatusOr<v1::Order> BuildNewOrder(const v1::PlaceOrderRequest& request);

// The checks BuildNewOrder makes, shared with carts; `field` prefixes the
// field named in an error ("items[1]", "line", "cart.delivery_method").
common::v1::Money MakeMoney(int64_t amount_minor, const std::string& currency);
// In `currency` (or no currency given), not negative (positive unless
// `allow_zero`), not too large.
absl::Status CheckMoney(absl::string_view field, const common::v1::Money& money,
                        const std::string& currency, bool allow_zero);
// 1..10000 basis points.
absl::Status CheckPercent(absl::string_view field, int32_t percent_bp);
// Name, lines, city, country (upper-cased), phone (E.164) of an address.
absl::Status CheckAddress(absl::string_view field, common::v1::Address* address);
// Sku, name, quantity, unit price in `currency`, tax rate; the item as
// stored (output fields dropped).
absl::StatusOr<v1::OrderItem> CheckItem(absl::string_view field, const v1::OrderItem& item,
                                        const std::string& currency);
// Code, description, and a percentage or an amount in `currency`; the
// discount as stored (`applied` left for PriceOrder).
absl::StatusOr<v1::Discount> CheckDiscount(absl::string_view field, const v1::Discount& discount,
                                           const std::string& currency);
// Code, name, fee in `currency`, tax rate; the method as stored.
absl::StatusOr<v1::DeliveryMethod> CheckDeliveryMethod(absl::string_view field,
                                                       const v1::DeliveryMethod& method,
                                                       const std::string& currency);

// Recomputes every output amount of `order` from its items, discounts and
// delivery method. Discounts apply to the items subtotal, are shared among
// lines in proportion to their subtotal (largest remainder, so the shares
// add up exactly), and tax is computed per line on (subtotal - discount),
// rounded half away from zero. paid and refunded are kept.
absl::Status PriceOrder(v1::Order* order);

// Code of the discount ApplyGroupDiscount adds.
inline constexpr char kGroupDiscountCode[] = "GROUP";

// ORD-13: a registered customer's group discount, appended to the order's
// discounts (so it applies after any coupon, on what is left) as
// {code "GROUP", description "<group name> group discount", percent_bp},
// then the order is priced again. Nothing happens for a guest or when
// `percent_bp` <= 0; more than 10000 counts as 10000.
absl::Status ApplyGroupDiscount(int32_t percent_bp, absl::string_view group_name,
                                v1::Order* order);

// CUS-13: replaces the personal data of `order` for an erasure: the buyer
// (name "Erased customer", email "erased+<tag>@invalid", no phone), both
// addresses except country and region (kept for tax records), and the
// customer note. The customer id, amounts, items and status stay. `tag` is
// the first 8 characters of the customer id, or of the order id for a guest.
void AnonymiseOrder(v1::Order* order);

// Whether AnonymiseOrder already ran on `order`.
bool IsAnonymised(const v1::Order& order);

// Tracking page for a carrier's tracking number; "" for an unknown carrier.
std::string TrackingUrl(absl::string_view carrier, absl::string_view tracking_number);

// Validates a shipment request (carrier and tracking number shape, an
// https tracking URL if given) and returns the shipment to record.
absl::StatusOr<v1::Shipment> BuildShipment(const v1::ShipOrderRequest& request);

// What a refund request comes to, checked against the order: lines name
// skus of the order with quantities not yet refunded; the amount (given or
// computed from lines and shipping) is positive and at most paid - refunded.
// On success `order`'s refunded quantities and refunded total are updated.
absl::StatusOr<int64_t> ApplyRefund(const v1::RefundOrderRequest& request, v1::Order* order);

// Validates a free-text reason (cancel, reject, refund): 1..500 characters.
absl::Status ValidateReason(absl::string_view field, absl::string_view reason);

// Records a return on `order` (ORD-05): the order must have shipped
// (FAILED_PRECONDITION NOT_SHIPPED); each line names a sku of the order with
// received and damaged units (>= 0, at least one in all), never more than
// shipped and not yet returned; the reason is optional (at most 500
// characters). Adds the units to the items' returned_quantity and returns
// the return's lines.
absl::StatusOr<std::vector<v1::ReturnLine>> ApplyReturn(const v1::RecordReturnRequest& request,
                                                        v1::Order* order);

// A ListOrders or ExportOrders filter: known statuses, a UUID customer id, a
// positive number, a query of at most 200 characters, an ordered time range.
// Errors name the field under "filter.".
absl::Status ValidateOrderFilter(const v1::OrderFilter& filter);

// Validates a payment record against the order (currency, amount > 0,
// provider and reference shape).
absl::Status ValidatePayment(const v1::RecordPaymentRequest& request, const v1::Order& order);

}  // namespace store::order

#endif  // STORE_SERVICES_ORDER_DOMAIN_ORDER_RULES_H_
